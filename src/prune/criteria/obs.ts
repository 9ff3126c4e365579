import type { MLP } from '../../nn/model.js';
import { fisherPrune, fisherScores } from '../fisher.js';
import { modelRowFactors } from '../kfac.js';
import { obsPrune, obsScores, type ObsOptions, type Selection } from '../obs.js';
import type { Criterion, CriterionInputs } from './types.js';

/**
 * Optimal Brain Surgeon, layer-wise, with weight correction (Hassibi & Stork 1993; OBC, Frantar &
 * Alistarh 2022; SparseGPT, Frantar & Alistarh 2023; the algorithm is in ../obs.ts). The score is the
 * OBS saliency w_q²/[H⁻¹]_qq with H = 2·X·Xᵀ/n + λ·mean(diag H)·I from each layer's calibration
 * inputs X, times a factor per output row with `obsCurvature` 'kfac' or 'kfac-diag' (the saliency
 * carried to the loss, ../kfac.ts): thresholds over it decide how many weights each layer loses
 * (layer by layer or globally); `prune` then removes that many per layer and corrects the weights it keeps.
 * With `obsCurvature` 'fisher' ('fisher-true') the curvature is the loss's empirical (true) Fisher in blocks of `obsBlock`
 * weights of a row instead (WoodFisher / oBERT, ../fisher.ts): `prune` removes exactly the planned weights.
 */
export const obs: Criterion = {
  needs: ['calibration'],
  describe: 'w²/[H⁻¹]_qq with weight correction, layer-wise OBS (SparseGPT, Frantar 2023)',
  score: (model, inputs) => (isFisher(inputs) ? fisherScores(model, fisherOptions(inputs)) : obsScores(model, obsOptions(model, inputs))),
  prune: (model, plan, inputs) => {
    if (isFisher(inputs)) {
      if (plan.kind === 'nm') throw new RangeError('the Fisher curvature prunes to masks, not N:M: use the curvature layer, kfac or kfac-diag for N:M');
      return fisherPrune(model, plan.masks, fisherOptions(inputs));
    }
    if (plan.kind === 'nm' && !(Number.isInteger(plan.n) && Number.isInteger(plan.m) && plan.n >= 1 && plan.n < plan.m)) {
      throw new RangeError(`N:M needs whole numbers 1 ≤ N < M, got ${plan.n}:${plan.m}`);
    }
    const selections: (Selection | undefined)[] =
      plan.kind === 'masks'
        ? plan.masks.map((m) => (m ? { kind: 'count', plan: m } : undefined))
        : model.layers.map((_, l) => (plan.layers.includes(l) ? { kind: 'nm', n: plan.n, m: plan.m } : undefined));
    obsPrune(model, selections, obsOptions(model, inputs));
    stepFactors.delete(inputs); // the model has changed: a later call with these inputs works them out again
  },
};

/**
 * A pruning step scores and then prunes with one inputs object and the model unchanged in between
 * (src/prune/prune.ts): the K-FAC row factors (a pass over the calibration set per class, then an
 * r × r inverse per layer) are worked out once for the pair, not once for each.
 */
const stepFactors = new WeakMap<CriterionInputs, { model: MLP; factors: Float64Array[] | undefined }>();

const isFisher = (inputs: CriterionInputs) => inputs.obsCurvature === 'fisher' || inputs.obsCurvature === 'fisher-true';
const fisherOptions = (inputs: CriterionInputs) => ({
  calibration: inputs.calibration!,
  block: inputs.obsBlock,
  dampening: inputs.dampening,
  kind: inputs.obsCurvature === 'fisher-true' ? ('true' as const) : ('empirical' as const),
});

function obsOptions(model: MLP, inputs: CriterionInputs): ObsOptions {
  const calibration = inputs.calibration!;
  let step = stepFactors.get(inputs);
  if (step?.model !== model) {
    step = { model, factors: modelRowFactors(model, calibration, inputs.obsCurvature ?? 'layer', inputs.dampening) };
    stepFactors.set(inputs, step);
  }
  return { calibration, dampening: inputs.dampening, rowFactors: step.factors };
}
