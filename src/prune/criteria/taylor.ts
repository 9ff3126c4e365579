import type { MLP } from '../../nn/model.js';
import { gradientsFor } from './gradients.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/** First-order Taylor / SNIP saliency |w · ḡ| with ḡ the mean gradient (Molchanov et al. 2017; Lee et al. 2019). */
export function taylorScores(model: MLP, grads: Float32Array[]): Scores {
  checkShapes(model, grads, 'taylor: gradients');
  return model.layers.map((L, l) => L.weight.map((w, i) => Math.abs(w * grads[l][i])));
}

export const taylor: Criterion = {
  needs: ['gradients'],
  describe: '|w · ∂L/∂w|, first-order Taylor (Molchanov et al. 2017)',
  score: (model, inputs) => taylorScores(model, gradientsFor(model, inputs).grads),
};
