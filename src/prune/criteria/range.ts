import type { MLP } from '../../nn/model.js';
import { checkShapes, type Criterion, type Scores } from './types.js';

/**
 * Tracks the range max − min of every weight over the snapshots it observes. Call `observe(model)`
 * once before training (or let the constructor do it) and then from the trainer's epoch hook.
 */
export class RangeTracker {
  readonly min: Float32Array[];
  readonly max: Float32Array[];
  snapshots = 0;

  constructor(model: MLP) {
    this.min = model.layers.map((L) => L.weight.slice());
    this.max = model.layers.map((L) => L.weight.slice());
    this.snapshots = 1;
  }

  observe(model: MLP): void {
    checkShapes(model, this.min, 'RangeTracker.observe: the model changed shape;');
    model.layers.forEach((L, l) => {
      const lo = this.min[l], hi = this.max[l], w = L.weight;
      for (let i = 0; i < w.length; i++) {
        if (w[i] < lo[i]) lo[i] = w[i];
        if (w[i] > hi[i]) hi[i] = w[i];
      }
    });
    this.snapshots++;
  }

  /** max − min per weight. */
  scores(): Scores {
    return this.max.map((hi, l) => hi.map((h, i) => h - this.min[l][i]));
  }
}

export const range: Criterion = {
  needs: ['tracker'],
  describe: 'max − min of each weight over the training snapshots',
  score: (_model, inputs) => inputs.tracker!.scores(),
};
