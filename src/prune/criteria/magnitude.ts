import type { MLP } from '../../nn/model.js';
import type { Criterion, Scores } from './types.js';

/** |w| (Han et al. 2015). */
export function magnitudeScores(model: MLP): Scores {
  return model.layers.map((L) => L.weight.map(Math.abs));
}

export const magnitude: Criterion = {
  needs: [],
  describe: '|w| (Han et al. 2015)',
  score: (model) => magnitudeScores(model),
};
