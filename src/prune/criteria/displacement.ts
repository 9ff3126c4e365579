import type { MLP } from '../../nn/model.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/**
 * |w − w₀|: how far each weight ended up from its initial value `initial` (same architecture).
 * Zhou et al. 2019 ("Deconstructing Lottery Tickets") study it as a mask criterion; it is not
 * movement pruning (Sanh et al. 2020, criteria/movement.ts), which sums −w·∂L/∂w along the way.
 */
export function displacementScores(model: MLP, initial: MLP | Float32Array[]): Scores {
  const w0 = Array.isArray(initial) ? initial : initial.layers.map((L) => L.weight);
  checkShapes(model, w0, 'displacement: initial weights');
  return model.layers.map((L, l) => L.weight.map((w, i) => Math.abs(w - w0[l][i])));
}

export const displacement: Criterion = {
  needs: ['initial'],
  describe: '|w − w₀|, distance from initialisation (Zhou et al. 2019)',
  score: (model, inputs) => displacementScores(model, inputs.initial!),
};
