import type { MLP } from '../../nn/model.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/** |w − w₀|: how far each weight moved from `initial` (same architecture). */
export function movementScores(model: MLP, initial: MLP | Float32Array[]): Scores {
  const w0 = Array.isArray(initial) ? initial : initial.layers.map((L) => L.weight);
  checkShapes(model, w0, 'movement: initial weights');
  return model.layers.map((L, l) => L.weight.map((w, i) => Math.abs(w - w0[l][i])));
}

export const movement: Criterion = {
  needs: ['initial'],
  describe: '|w − w₀|, the distance travelled from initialisation',
  score: (model, inputs) => movementScores(model, inputs.initial!),
};
