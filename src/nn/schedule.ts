/**
 * Learning-rate schedules. `constant`, `step` and `cosine` are evaluated per epoch from the
 * initial rate; sklearn's `invscaling` and `adaptive` follow MLPClassifier's SGD solver:
 *   invscaling: lr_t = lr₀ / (t + 1)^power_t, t = samples seen so far (updated per epoch);
 *   adaptive:   lr stays lr₀ while the loss improves; after `nIterNoChange` epochs without an
 *               improvement of at least `tol`, lr ← lr / 5 (training stops when lr < 1e-6).
 */
export type ScheduleName = 'constant' | 'step' | 'cosine' | 'invscaling' | 'adaptive';
export const SCHEDULES: readonly ScheduleName[] = ['constant', 'step', 'cosine', 'invscaling', 'adaptive'];

export interface ScheduleOptions {
  name: ScheduleName;
  lr: number;
  epochs: number;
  /** step: multiply by `gamma` every `stepSize` epochs (default: gamma 0.1, every ⌈epochs/3⌉). */
  stepSize?: number;
  gamma?: number;
  /** invscaling exponent (sklearn default 0.5). */
  powerT?: number;
  /** cosine: final rate as a fraction of lr₀ (default 0). */
  minFactor?: number;
}

/** The learning rate for `epoch` (0-based) under the non-adaptive schedules. */
export function scheduledRate(o: ScheduleOptions, epoch: number, samplesSeen: number): number {
  switch (o.name) {
    case 'constant':
    case 'adaptive':
      return o.lr;
    case 'step': {
      const size = o.stepSize ?? Math.max(1, Math.ceil(o.epochs / 3));
      return o.lr * Math.pow(o.gamma ?? 0.1, Math.floor(epoch / size));
    }
    case 'cosine': {
      // SGDR without restarts (Loshchilov & Hutter 2017): lr₀·(m + (1 − m)·½(1 + cos(π·e/E)))
      const m = o.minFactor ?? 0;
      return o.lr * (m + (1 - m) * 0.5 * (1 + Math.cos((Math.PI * epoch) / Math.max(1, o.epochs))));
    }
    case 'invscaling':
      return o.lr / Math.pow(samplesSeen + 1, o.powerT ?? 0.5);
  }
}
