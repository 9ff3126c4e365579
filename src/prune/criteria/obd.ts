import type { MLP } from '../../nn/model.js';
import { gradientsFor } from './gradients.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/**
 * Optimal Brain Damage saliency s = ½·h_ii·w² (LeCun, Denker & Solla 1990): the loss increase a
 * second-order Taylor expansion predicts for setting w to 0 at a minimum. The Hessian diagonal is
 * approximated by the empirical Fisher h_ii ≈ F_ii = mean_n (∂ℓ_n/∂w)², the mean of *per-sample*
 * squared gradients (`fisher`, from computeGradients with `fisher: true`). The square of a
 * batch-mean gradient is not it: its expectation is μ² + σ²/B, and with one batch it ranks exactly
 * like taylor |w·ḡ|.
 */
export function obdScores(model: MLP, fisher: Float32Array[]): Scores {
  checkShapes(model, fisher, 'obd: Fisher diagonal');
  return model.layers.map((L, l) => L.weight.map((w, i) => 0.5 * fisher[l][i] * w * w));
}

export const obd: Criterion = {
  needs: ['gradients'],
  describe: '½·F_ii·w², Optimal Brain Damage (LeCun et al. 1990), F = per-sample Fisher',
  score: (model, inputs) => {
    const { fisher } = gradientsFor(model, inputs);
    if (!fisher) throw new RangeError('criterion obd needs the per-sample Fisher diagonal (gradients.fisher: computeGradients(…, { fisher: true }))');
    return obdScores(model, fisher);
  },
};
