import { RangeTracker } from '../../nn/history.js';
import type { Criterion } from './types.js';

// The tracker lives with the training history (src/nn/history.ts): train records it, the model file stores it.
export { RangeTracker };

export const range: Criterion = {
  needs: ['tracker'],
  describe: 'max_t w_t − min_t w_t, the range of each weight over training snapshots',
  score: (_model, inputs) => inputs.tracker!.scores(),
};
