import type { MLP } from '../../nn/model.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/** Caller-supplied scores, validated (shape, no NaN). */
export function userScores(model: MLP, scores: ArrayLike<number>[]): Scores {
  checkShapes(model, scores, 'user scores');
  return scores.map((s, l) => {
    const out = Float32Array.from(s);
    const bad = out.findIndex(Number.isNaN);
    if (bad >= 0) throw new RangeError(`user scores: layer ${l} has NaN at index ${bad}`);
    return out;
  });
}

export const user: Criterion = {
  needs: ['userScores'],
  describe: 'scores the caller supplies (library only)',
  score: (model, inputs) => userScores(model, inputs.userScores!),
};
