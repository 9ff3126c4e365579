import { obsPrune, obsScores, type Selection } from '../obs.js';
import type { Criterion } from './types.js';

/**
 * Optimal Brain Surgeon, layer-wise, with weight correction (Hassibi & Stork 1993; OBC, Frantar &
 * Alistarh 2022; SparseGPT, Frantar & Alistarh 2023; the algorithm is in ../obs.ts). The score is the
 * OBS saliency w_q²/[H⁻¹]_qq with H = 2·X·Xᵀ/n + λ·mean(diag H)·I from each layer's calibration
 * inputs X: thresholds over it decide how many weights each layer loses (layer by layer or globally);
 * `prune` then removes that many per layer and corrects the weights it keeps.
 */
export const obs: Criterion = {
  needs: ['calibration'],
  describe: 'w²/[H⁻¹]_qq with weight correction, layer-wise OBS (SparseGPT, Frantar 2023)',
  score: (model, inputs) => obsScores(model, { calibration: inputs.calibration!, dampening: inputs.dampening }),
  prune: (model, plan, inputs) => {
    if (plan.kind === 'nm' && !(Number.isInteger(plan.n) && Number.isInteger(plan.m) && plan.n >= 1 && plan.n < plan.m)) {
      throw new RangeError(`N:M needs whole numbers 1 ≤ N < M, got ${plan.n}:${plan.m}`);
    }
    const selections: (Selection | undefined)[] =
      plan.kind === 'masks'
        ? plan.masks.map((m) => (m ? { kind: 'count', plan: m } : undefined))
        : model.layers.map((_, l) => (plan.layers.includes(l) ? { kind: 'nm', n: plan.n, m: plan.m } : undefined));
    obsPrune(model, selections, { calibration: inputs.calibration!, dampening: inputs.dampening });
  },
};
