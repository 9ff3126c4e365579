import type { MLP } from '../../nn/model.js';
import { Rng } from '../../util/rng.js';
import type { Criterion, Scores } from './types.js';

/** Uniform random scores from a seeded Rng: random pruning, the baseline. */
export function randomScores(model: MLP, seed: number): Scores {
  const rng = new Rng(seed);
  return model.layers.map((L) => Float32Array.from(L.weight, () => rng.next()));
}

export const random: Criterion = {
  needs: [],
  describe: 'u ~ U(0,1), seeded: the baseline every pruning study needs',
  score: (model, inputs) => randomScores(model, inputs.seed ?? 0),
};
