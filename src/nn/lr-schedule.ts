/**
 * Learning-rate schedules, one registry entry each. `constant`, `step` and `cosine` are evaluated
 * per epoch from the initial rate; sklearn's `invscaling` and `adaptive` follow MLPClassifier's
 * SGD solver:
 *   invscaling: lr_t = lr₀ / (t + 1)^power_t, t = samples seen so far (updated per epoch);
 *   adaptive:   lr stays lr₀ while the loss improves; after `nIterNoChange` epochs without an
 *               improvement of at least `tol`, lr ← lr / 5 (training stops when lr < 1e-6;
 *               that part lives in the trainer, src/nn/train.ts).
 */
export interface LrScheduleOptions {
  name: LrScheduleName;
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

export interface LrSchedule {
  /** One line for help text. */
  readonly describe: string;
  /** The learning rate for `epoch` (0-based) after `samplesSeen` samples. */
  rate(o: LrScheduleOptions, epoch: number, samplesSeen: number): number;
}

export const LR_SCHEDULES = {
  constant: { describe: 'lr₀ throughout', rate: (o) => o.lr },
  step: {
    describe: 'lr₀ · γ^⌊epoch/size⌋ (default γ 0.1, size ⌈epochs/3⌉)',
    rate: (o, epoch) => {
      const size = o.stepSize ?? Math.max(1, Math.ceil(o.epochs / 3));
      return o.lr * (o.gamma ?? 0.1) ** Math.floor(epoch / size);
    },
  },
  cosine: {
    describe: 'cosine from lr₀ to 0 (Loshchilov & Hutter 2017, no restarts)',
    // SGDR without restarts (Loshchilov & Hutter 2017): lr₀·(m + (1 − m)·½(1 + cos(π·e/E)))
    rate: (o, epoch) => {
      const m = o.minFactor ?? 0;
      return o.lr * (m + (1 - m) * 0.5 * (1 + Math.cos((Math.PI * epoch) / Math.max(1, o.epochs))));
    },
  },
  invscaling: { describe: 'lr₀ / (t + 1)^0.5, t = samples seen (sklearn)', rate: (o, _epoch, samplesSeen) => o.lr / (samplesSeen + 1) ** (o.powerT ?? 0.5) },
  adaptive: { describe: 'lr₀, divided by 5 when the loss stalls (sklearn)', rate: (o) => o.lr },
} as const satisfies Record<string, LrSchedule>;

export type LrScheduleName = keyof typeof LR_SCHEDULES;
export const LR_SCHEDULE_NAMES = Object.keys(LR_SCHEDULES) as LrScheduleName[];

/** The learning rate for `epoch` (0-based) under the non-adaptive schedules. */
export function scheduledRate(o: LrScheduleOptions, epoch: number, samplesSeen: number): number {
  return LR_SCHEDULES[o.name].rate(o, epoch, samplesSeen);
}
