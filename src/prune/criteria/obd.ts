import type { MLP } from '../../nn/model.js';
import { gradientsFor } from './gradients.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/**
 * Optimal Brain Damage saliency s = ½·h_ii·w² (LeCun, Denker & Solla 1990), with the diagonal of
 * the Hessian approximated by the empirical Fisher h_ii ≈ E[(∂L/∂w)²] (`sqGrads`). The Fisher from
 * batch-mean gradients is smaller than the per-sample one by about the batch size, uniformly, so
 * the ranking (all a threshold needs) is unaffected.
 */
export function obdScores(model: MLP, sqGrads: Float32Array[]): Scores {
  checkShapes(model, sqGrads, 'obd: squared gradients');
  return model.layers.map((L, l) => L.weight.map((w, i) => 0.5 * sqGrads[l][i] * w * w));
}

export const obd: Criterion = {
  needs: ['gradients'],
  describe: '½·h·w², Optimal Brain Damage (LeCun et al. 1990), h ≈ diagonal Fisher',
  score: (model, inputs) => obdScores(model, gradientsFor(model, inputs).sqGrads),
};
