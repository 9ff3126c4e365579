import type { MLP } from '../../nn/model.js';
import type { MovementTracker } from '../../nn/history.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/**
 * Movement pruning (Sanh, Wolf & Rush 2020): S = −Σ_t w_t · ∂L/∂w_t, accumulated over the optimizer
 * steps the tracker observed (src/nn/history.ts). Sign-sensitive: a weight moving away from zero
 * (w and its update −η·∂L/∂w of the same sign) gains score, one shrinking towards zero loses it,
 * so the lowest — most negative — scores are pruned first, whatever the weight's magnitude.
 */
export function movementScores(model: MLP, tracker: MovementTracker): Scores {
  if (tracker.steps === 0) {
    throw new RangeError(
      'criterion movement scores how weights moved during training (Sanh et al. 2020), but no optimizer step has been recorded yet: ' +
        'use a model trained by prunekit train (it records the movement), or a schedule that fine-tunes before it prunes (gradual)',
    );
  }
  checkShapes(model, tracker.scores, 'movement: accumulated scores');
  return tracker.scores.map((s) => s.slice());
}

export const movement: Criterion = {
  needs: ['movement'],
  describe: '−Σₜ w·∂L/∂w over training steps, signed (Sanh et al. 2020)',
  score: (model, inputs) => movementScores(model, inputs.movement!),
};
