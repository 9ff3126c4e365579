/**
 * Binds `pruneModel`'s injected functions to the real trainer (src/nn/train.ts) and a data split:
 * fine-tuning is masked SGD (`train`), evaluation is test accuracy/loss plus train accuracy/loss and
 * per-layer gradient norms, gradients for taylor/obd come from `computeGradients` over a few batches.
 */
import type { Dataset, SplitDataset } from '../data/types.js';
import type { Kernels } from '../kernels/types.js';
import type { MLP } from '../nn/model.js';
import { computeGradients, DEFAULT_TRAIN, evaluate, train, type TrainConfig } from '../nn/train.js';
import type { PruneContext } from './prune.js';
import type { Metrics } from './steps.js';
import type { CalibrationSet } from './obs.js';
import { Rng } from '../util/rng.js';

export interface TrainerContextOptions {
  /** Fine-tuning configuration (epochs are set per call). Validation hold-out and early stopping are off. Its `sparse` also chooses the kernels of evaluation and gradients. */
  train?: Partial<TrainConfig>;
  /** Batches × batch size used for taylor/obd gradients (and obd's per-sample Fisher) and the recorded gradient norms (default 8 × 64). */
  gradBatches?: number;
  gradBatchSize?: number;
  /** Also evaluate on the training split (train–test gap; one more pass over the training data per record). Default true. */
  trainMetrics?: boolean;
  /**
   * Evaluate the test split after every fine-tuning epoch (the `train` records' testAccuracy and
   * testLoss), default true. A caller that evaluates each pruned model itself (the sweep) turns it
   * off and saves one pass over the test split per epoch; the fine-tuned weights are the same.
   */
  epochMetrics?: boolean;
  /** Training samples drawn (seeded) for obs's layer Hessians (default 1024, at most the training set). */
  calibration?: number;
  kernels?: Kernels;
}

/** The default number of calibration samples for second-order criteria. */
export const DEFAULT_CALIBRATION = 1024;

export function trainerContext(data: SplitDataset, opts: TrainerContextOptions = {}): PruneContext {
  const cfg: Partial<TrainConfig> = { ...opts.train, validationFraction: 0, earlyStopping: false };
  const batchSize = Math.min(cfg.batchSize ?? DEFAULT_TRAIN.batchSize, data.train.nSamples);
  const gradOpts = {
    batches: opts.gradBatches ?? 8,
    batchSize: Math.min(opts.gradBatchSize ?? 64, data.train.nSamples),
    seed: cfg.seed,
    kernels: opts.kernels,
    sparse: cfg.sparse,
  };
  const passes = { sparse: cfg.sparse }; // evaluation on the kernels fine-tuning uses
  const ftData = (opts.epochMetrics ?? true) ? data : { train: data.train };
  let call = 0;
  return {
    calibration: calibrationSamples(data.train, opts.calibration ?? DEFAULT_CALIBRATION, cfg.seed ?? DEFAULT_TRAIN.seed),
    stepsPerEpoch: Math.ceil(data.train.nSamples / batchSize),
    gradients: (model: MLP) => computeGradients(model, data.train, { ...gradOpts, fisher: true }),
    fineTune: (model, epochs, hooks) =>
      // A different shuffle per fine-tuning call, still repeatable from the seed.
      train(model, ftData, { ...cfg, epochs, seed: (cfg.seed ?? DEFAULT_TRAIN.seed) + ++call }, { ...hooks, kernels: opts.kernels }),
    evaluate: (model: MLP): Metrics => {
      const test = evaluate(model, data.test, opts.kernels, passes);
      const m: Metrics = { accuracy: test.accuracy, loss: test.loss };
      if (opts.trainMetrics ?? true) {
        const tr = evaluate(model, data.train, opts.kernels, passes);
        m.trainAccuracy = tr.accuracy;
        m.trainLoss = tr.loss;
        // ‖∂L/∂W_l‖ as the root mean square over batches of the per-batch gradient norm: √(Σ_i mean_b g_b,i²).
        const g = computeGradients(model, data.train, gradOpts);
        m.gradNorms = g.sqGrads.map((s) => Math.sqrt(s.reduce((a, v) => a + v, 0)));
      }
      return m;
    },
  };
}

/** `count` training samples (all of them when there are fewer), drawn without replacement from a seeded shuffle. */
export function calibrationSamples(ds: Dataset, count: number, seed: number): CalibrationSet {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`calibration must be a whole number of samples ≥ 1, got ${count}`);
  const n = Math.min(count, ds.nSamples),
    d = ds.nFeatures;
  const rows = new Rng(seed).shuffle(Int32Array.from({ length: ds.nSamples }, (_, i) => i)).subarray(0, n);
  const features = new Float32Array(n * d);
  rows.forEach((r, k) => features.set(ds.features.subarray(r * d, r * d + d), k * d));
  return { features, nSamples: n, nFeatures: d, labels: Int32Array.from(rows, (r) => ds.labels[r]) };
}
