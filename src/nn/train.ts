/**
 * Mini-batch SGD for the MLP on the kernels: per-epoch shuffling, momentum / Nesterov, L2 weight
 * decay, learning-rate schedules, early stopping on a validation fraction, max_iter / tol like
 * sklearn's MLPClassifier, and masked training (pruned weights and their momentum stay exactly 0).
 *
 * `alpha` follows sklearn: the penalty is alpha/(2·B)·‖W‖² per batch of B samples, i.e. the
 * gradient gains (alpha/B)·W; biases are not decayed.
 */
import { loadKernelsSync, nodeKernelLoader } from '../kernels/load.js';
import { LAYOUT } from '../kernels/parallel.js';
import { splitKernels } from '../kernels/split-kernels.js';
import type { KernelFlavor, Kernels } from '../kernels/types.js';
import type { Dataset, SplitDataset } from '../data/types.js';
import type { MLP } from './model.js';
import type { MovementTracker } from './history.js';
import { allocF32, viewF32, writeF32, type F32Buf } from '../kernels/checked.js';
import { Network } from './network.js';
import { SPARSE_KERNELS, type SparseKernels, sparseBelow } from './sparse-layer.js';
import { checkFiniteLogits, NonFiniteOutputError } from '../util/finite.js';
import { Rng } from '../util/rng.js';
import { createYielder } from '../util/yield.js';
import { trainValidationSplit } from '../data/split.js';

const renameVal = (s: { train: Dataset; validation: Dataset }) => ({ train: s.train, val: s.validation as Dataset | null });
import { scheduledRate, type LrScheduleName } from './lr-schedule.js';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  alpha: number;
  schedule: LrScheduleName;
  seed: number;
  /** Fraction of the training split held out for validation (0: none). */
  validationFraction: number;
  /** Stop when the validation accuracy (or, without validation, the training loss) stalls. */
  earlyStopping: boolean;
  /** Minimum improvement (sklearn's tol) and patience (n_iter_no_change). */
  tol: number;
  nIterNoChange: number;
  /** Extra schedule knobs. */
  stepSize?: number;
  gamma?: number;
  powerT?: number;
  /**
   * Masked layers on the sparse kernels (src/nn/sparse-layer.ts): 'auto' (default) when the
   * layer's sparsity is above the measured dense/CSR crossover at this batch size (src/kernels/crossover.ts),
   * 'on' for every masked layer with a pruned weight, 'off' never. Same results as masked dense
   * training up to float rounding; an `onGradient` hook (dense gradients) without `onGradientAt` keeps every layer dense.
   * A layer on the sparse path holds only its nonzeros (no dense weight, gradient or momentum buffers).
   */
  sparse?: SparseKernels;
  /**
   * Threads computing each batch's big products (1, the default: this thread alone): the forward
   * W·X, the input gradient Wᵀ·dY and the weight gradient dY·Xᵀ of every layer, dense or CSR, are
   * split by output rows over this thread and threads − 1 worker threads sharing one wasm memory
   * (src/kernels/split-kernels.ts). The trained model is bit-identical to one thread's. The
   * workers start with training and are terminated when it ends; Node, Deno and Bun only. With
   * `hooks.kernels`, the threads run that build (not the 'reference' kernels) on their own memory.
   */
  threads?: number;
}

/** Most threads a training run may use, as `loadModel`: a product is cut into at most LAYOUT.maxCalls = 64 runs. */
export const MAX_TRAIN_THREADS = LAYOUT.maxCalls;

/** The sparse-kernel choice of the passes outside training (evaluate, predictLabels, computeGradients): default 'auto'. */
export interface PassOptions {
  sparse?: SparseKernels;
}

export const DEFAULT_TRAIN: TrainConfig = {
  epochs: 20,
  batchSize: 64,
  lr: 0.1,
  momentum: 0.9,
  nesterov: false,
  alpha: 1e-4,
  schedule: 'constant',
  seed: 42,
  validationFraction: 0,
  earlyStopping: false,
  tol: 1e-4,
  nIterNoChange: 10,
};

export interface EpochRecord {
  epoch: number;
  /** Mean cross-entropy over the epoch's batches (data loss, without the L2 penalty). */
  loss: number;
  /** Accuracy of the training batches as they were seen during the epoch. */
  trainAccuracy: number;
  valAccuracy: number | null;
  testAccuracy: number | null;
  testLoss: number | null;
  /** Per layer: mean over the epoch's batches of ‖M ⊙ ∂L/∂W‖₂, over its kept weights only (on either kernel path). */
  gradNorms: number[];
  lr: number;
  seconds: number;
}

export interface TrainResult {
  epochs: EpochRecord[];
  /** Why training ended: 'max_iter', 'early_stopping', 'lr_too_small' (adaptive) or 'tol' (loss stalled). */
  stopReason: string;
  seconds: number;
  samplesPerSecond: number;
}

export interface TrainHooks {
  /** Called every `every` optimiser steps with the model's arrays synced; may change weights and masks. */
  onStep?: { every: number; fn: (step: number, model: MLP) => void };
  /**
   * Called after every backward pass, before the SGD step, with each layer's weights w_t and
   * batch-mean data-loss gradient M ⊙ ∂L/∂W at w_t, 0 at pruned weights (valid during the call
   * only). For movement scores (Sanh et al. 2020): src/nn/history.ts.
   */
  onGradient?: (weights: Float32Array[], grads: Float32Array[]) => void;
  /**
   * As `onGradient`, without making layers trained sparse dense: each layer's w_t and ∂L/∂W at
   * every weight (`positions` null) or, for a sparse layer, at its trainable weights only (entry q
   * at dense index positions[q]). Given this, `onGradient` is not called and layers may train sparse.
   */
  onGradientAt?: (layers: LayerGradient[]) => void;
  /**
   * Movement scores to continue (Sanh et al. 2020, src/nn/history.ts): every step adds −w_t ⊙ ∂L/∂w_t
   * at each layer's trainable weights, as `observeAt` would from `onGradientAt`, but summed in
   * kernel memory by a wasm kernel (the same f32 values bit for bit); the tracker is brought up to
   * date before every `onStep` and `onEpoch` call and when training ends. Layers may train sparse.
   */
  movement?: MovementTracker;
  /** Called after each epoch with its record; the model's arrays are synced. */
  onEpoch?: (rec: EpochRecord, model: MLP) => void;
  /** Kernel backend (default: the best wasm build). */
  kernels?: Kernels;
  /** Stops training (rejecting with the signal's reason) at the next batch once aborted. */
  signal?: AbortSignal;
}

/** One layer's weights and gradient at a step: all of them, or a sparse layer's trainable ones. */
export interface LayerGradient {
  positions: Int32Array | null;
  weights: Float32Array;
  grads: Float32Array;
}

/** Training diverged (NaN or Inf loss). */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

/** The DivergenceError for `what` happened, with the usual remedies. */
function diverged(what: string, lr: number): DivergenceError {
  return new DivergenceError(`training diverged: ${what} (learning rate ${lr}). Try a smaller --lr (e.g. ${lr / 10}), less momentum, or standardised inputs.`);
}

/** The first NaN or ±Infinity weight or bias of the model, or null. */
function firstNonFiniteWeight(model: MLP): { name: string; value: number } | null {
  for (let l = 0; l < model.layers.length; l++) {
    const { weight, bias } = model.layers[l];
    for (let i = 0; i < weight.length; i++) if (!Number.isFinite(weight[i])) return { name: `weight ${i} of layer ${l}`, value: weight[i] };
    for (let i = 0; i < bias.length; i++) if (!Number.isFinite(bias[i])) return { name: `bias ${i} of layer ${l}`, value: bias[i] };
  }
  return null;
}

let sharedKernels: Kernels | null = null;
/** One wasm instance shared by the training code in this process. */
export function defaultKernels(): Kernels {
  return (sharedKernels ??= loadKernelsSync());
}

function checkData(model: MLP, ds: Dataset): void {
  const nIn = model.layers[0].inFeatures,
    nOut = model.layers.at(-1)!.outFeatures;
  if (ds.nFeatures !== nIn) throw new RangeError(`the data (${ds.source}) has ${ds.nFeatures} features, the model expects ${nIn}`);
  for (let i = 0; i < ds.nSamples; i++) {
    const y = ds.labels[i];
    if (y < 0 || y >= nOut) throw new RangeError(`${ds.source}: sample ${i} has class ${y}, the model has ${nOut} outputs`);
  }
}

/** Runs `fn` with a kernel arena mark, releasing everything it allocated afterwards. */
function withArena<T>(k: Kernels, fn: () => T): T {
  const mark = k.heapTop();
  try {
    return fn();
  } finally {
    k.reset(mark);
  }
}

/** Checks a pass's `sparse` choice; the Network option for it at batch B. */
function passSparseBelow(opts: PassOptions, B: number, what: string): number {
  if (opts.sparse !== undefined && !SPARSE_KERNELS.includes(opts.sparse))
    throw new RangeError(`${what}: sparse must be 'auto', 'on' or 'off', got '${opts.sparse}'`);
  return sparseBelow(opts.sparse, B);
}

/** Accuracy and mean cross-entropy of the model on a dataset (masked layers on the sparse kernels as `opts.sparse` says). */
export function evaluate(model: MLP, ds: Dataset, kernels?: Kernels, opts: PassOptions = {}): { accuracy: number; loss: number } {
  checkData(model, ds);
  const k = kernels ?? defaultKernels();
  if (ds.nSamples === 0) return { accuracy: 0, loss: 0 };
  return withArena(k, () => {
    const B = Math.min(256, ds.nSamples);
    const net = new Network(k, model, B, { sparseBelow: passSparseBelow(opts, B, 'evaluate') });
    return evaluateOn(net, ds, B);
  });
}

/**
 * Runs `net` forward over every sample in order, at most B at a time; `visit` sees each batch's
 * logits (class-major, C × n), its row numbers and its first row.
 */
function forwardInBatches(
  net: Network,
  ds: Pick<Dataset, 'features' | 'nFeatures' | 'nSamples'>,
  B: number,
  visit: (logits: Float32Array, rows: Int32Array, n: number, start: number) => void,
): void {
  const rows = new Int32Array(B);
  for (let start = 0; start < ds.nSamples; start += B) {
    const n = Math.min(B, ds.nSamples - start);
    for (let j = 0; j < n; j++) rows[j] = start + j;
    net.setInput(ds.features, ds.nFeatures, rows, n);
    const logits = net.forward(n);
    checkFiniteLogits(logits, net.nOut, n, 'feature-major', start); // a NaN loss is no score, an argmax of NaN no label
    visit(logits, rows, n, start);
  }
}

function evaluateOn(net: Network, ds: Dataset, B: number): { accuracy: number; loss: number } {
  let lossSum = 0,
    correct = 0;
  forwardInBatches(net, ds, B, (_logits, rows, n) => {
    const r = net.lossAndGrad(ds.labels, rows, n, false);
    lossSum += r.lossSum;
    correct += r.correct;
  });
  return { accuracy: correct / ds.nSamples, loss: lossSum / ds.nSamples };
}

/** Predicted class per sample. */
export function predictLabels(model: MLP, ds: Pick<Dataset, 'features' | 'nFeatures' | 'nSamples'>, kernels?: Kernels, opts: PassOptions = {}): Int32Array {
  const k = kernels ?? defaultKernels();
  return withArena(k, () => {
    const B = Math.max(1, Math.min(256, ds.nSamples));
    const net = new Network(k, model, B, { sparseBelow: passSparseBelow(opts, B, 'predictLabels') });
    const out = new Int32Array(ds.nSamples),
      C = net.nOut;
    forwardInBatches(net, ds, B, (z, _rows, n, start) => {
      for (let j = 0; j < n; j++) {
        let arg = 0;
        for (let c = 1; c < C; c++) if (z[c * n + j] > z[arg * n + j]) arg = c;
        out[start + j] = arg;
      }
    });
    return out;
  });
}

/** Gradients of the data loss over a few mini-batches (see `computeGradients`). */
export interface GradientEstimate {
  /** Mean over the batches of the batch-mean gradient ∂L/∂W. */
  grads: Float32Array[];
  /** Mean over the batches of the squared batch-mean gradient (its norm is the recorded gradient norm). */
  sqGrads: Float32Array[];
  /**
   * With `fisher: true`: the empirical Fisher diagonal F = (1/N) Σ_n (∂ℓ_n/∂W)², the mean over the
   * N samples seen of each sample's own squared gradient. For a linear layer ∂ℓ_n/∂W[r,c] =
   * δ_n[r]·x_n[c] (δ = ∂ℓ_n/∂z), so F[r,c] = mean_n δ_n[r]²·x_n[c]². Not sqGrads: a batch mean's
   * square has expectation μ² + σ²/B, the Fisher μ² + σ².
   */
  fisher?: Float32Array[];
}

/**
 * Gradient statistics per layer over `batches` random mini-batches of `batchSize` samples: the mean
 * gradient, the mean squared batch gradient and, with `fisher: true`, the per-sample Fisher diagonal
 * (for the Taylor and OBD criteria and the recorded gradient norms). grads and sqGrads are those of
 * the masked objective, M ⊙ ∂L/∂W, and fisher is masked alike: 0 at pruned weights whichever kernels
 * (`opts.sparse`) run the pass.
 */
export function computeGradients(
  model: MLP,
  ds: Dataset,
  opts: { batches: number; batchSize: number; seed?: number; kernels?: Kernels; fisher?: boolean } & PassOptions,
): GradientEstimate {
  checkData(model, ds);
  const k = opts.kernels ?? defaultKernels();
  const B = Math.max(1, Math.min(opts.batchSize, ds.nSamples));
  return withArena(k, () => {
    const net = new Network(k, model, B, { sparseBelow: passSparseBelow(opts, B, 'computeGradients') });
    const rng = new Rng(opts.seed ?? 0);
    const order = rng.shuffle(Int32Array.from({ length: ds.nSamples }, (_, i) => i));
    const grads = model.layers.map((l) => new Float64Array(l.weight.length));
    const sq = model.layers.map((l) => new Float64Array(l.weight.length));
    const fisher = opts.fisher ? model.layers.map((l) => new Float64Array(l.weight.length)) : null;
    const nb = Math.max(1, Math.min(opts.batches, Math.floor(ds.nSamples / B)));
    for (let b = 0; b < nb; b++) {
      const rows = order.subarray(b * B, b * B + B);
      net.setInput(ds.features, ds.nFeatures, rows, B);
      net.forward(B);
      net.lossAndGrad(ds.labels, rows, B, true);
      net.backward(B);
      model.layers.forEach((L, i) => {
        const { positions, grads: g } = net.gradientAt(i); // no masked copy: the kept weights' gradients only
        addGradient(grads[i], sq[i], g, positions, positions ? null : L.mask);
        if (fisher) {
          // The batch-mean loss scales each sample's gradient by 1/B: undo it (B²) before averaging.
          const s = net.sumSquaredSampleGrads(i, B),
            f = fisher[i],
            mask = model.layers[i].mask;
          for (let j = 0; j < s.length; j++) if (!mask || mask[j]) f[j] += s[j] * B * B; // 0 at pruned weights, as grads
        }
      });
    }
    return {
      grads: grads.map((g) => dividedBy(g, nb)),
      sqGrads: sq.map((g) => dividedBy(g, nb)),
      fisher: fisher?.map((f) => dividedBy(f, nb * B)),
    };
  });
}

/**
 * sum += g and sumSq += g² at the kept weights of one layer: `g` at dense index positions[q]
 * (a sparse layer's trainable weights) or at every index where the mask (if any) is nonzero.
 * Pruned weights add nothing, as the masked gradient M ⊙ ∂L/∂W adds 0 there.
 */
function addGradient(sum: Float64Array, sumSq: Float64Array, g: Float32Array, positions: Int32Array | null, mask: ArrayLike<number> | null | undefined): void {
  if (positions) {
    for (let q = 0; q < positions.length; q++) {
      const j = positions[q],
        v = g[q];
      sum[j] += v;
      sumSq[j] += v * v;
    }
    return;
  }
  for (let j = 0; j < sum.length; j++) {
    if (mask && !mask[j]) continue;
    const v = g[j];
    sum[j] += v;
    sumSq[j] += v * v;
  }
}

/** a / d element by element, rounded to f32. */
function dividedBy(a: Float64Array, d: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let j = 0; j < a.length; j++) out[j] = a[j] / d;
  return out;
}

function validateConfig(c: TrainConfig): void {
  const bad = (what: string) => {
    throw new RangeError(`train: ${what}`);
  };
  if (!Number.isInteger(c.epochs) || c.epochs < 0) bad(`epochs must be a whole number ≥ 0, got ${c.epochs}`);
  if (!Number.isInteger(c.batchSize) || c.batchSize < 1) bad(`batch size must be a whole number ≥ 1, got ${c.batchSize}`);
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) bad(`learning rate must be > 0, got ${c.lr}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) bad(`momentum must be in [0, 1), got ${c.momentum}`);
  if (!(c.alpha >= 0) || !Number.isFinite(c.alpha)) bad(`alpha must be ≥ 0, got ${c.alpha}`);
  if (!(c.validationFraction >= 0 && c.validationFraction < 1)) bad(`validation fraction must be in [0, 1), got ${c.validationFraction}`);
  if (c.nesterov && c.momentum === 0) bad('Nesterov momentum needs momentum > 0');
  if (c.sparse !== undefined && !SPARSE_KERNELS.includes(c.sparse)) bad(`sparse must be 'auto', 'on' or 'off', got '${c.sparse}'`);
  if (c.threads !== undefined && !(Number.isInteger(c.threads) && c.threads >= 1 && c.threads <= MAX_TRAIN_THREADS))
    bad(`threads must be a whole number from 1 to ${MAX_TRAIN_THREADS}, got ${JSON.stringify(c.threads) ?? String(c.threads)}`);
}

/**
 * Kernels of `flavor` (default: the best build, as `defaultKernels`) on a shared memory with
 * threads − 1 workers, the training products split over them; `dispose` terminates the workers.
 */
async function startTrainingThreads(flavor: KernelFlavor | undefined, threads: number): Promise<{ kernels: Kernels; dispose: () => void }> {
  if (flavor === 'reference') throw new RangeError("train: threads run the WebAssembly kernels; the 'reference' kernels train on one thread (threads: 1)");
  const { startNodeThreads } = await import('../kernels/threads-node.js');
  const t = await startNodeThreads(nodeKernelLoader.build(flavor), threads);
  return { kernels: splitKernels(t.kernels, t.pool), dispose: () => t.pool.dispose() };
}

export { SPARSE_KERNELS, type SparseKernels, sparseBelow };

/**
 * Trains `model` in place on `data.train` (evaluating `data.test` after every epoch) and returns
 * the per-epoch records. Masked layers stay masked. Throws `DivergenceError` on a NaN/Inf loss.
 */
export async function train(
  model: MLP,
  data: Pick<SplitDataset, 'train'> & Partial<Pick<SplitDataset, 'test'>>,
  config: Partial<TrainConfig> = {},
  hooks: TrainHooks = {},
): Promise<TrainResult> {
  const cfg: TrainConfig = { ...DEFAULT_TRAIN, ...config };
  validateConfig(cfg);
  checkData(model, data.train);
  if (data.test) checkData(model, data.test);
  const threaded = (cfg.threads ?? 1) > 1 ? await startTrainingThreads(hooks.kernels?.flavor, cfg.threads!) : null;
  try {
    return await trainOn(threaded?.kernels ?? hooks.kernels ?? defaultKernels(), model, data, cfg, hooks);
  } finally {
    threaded?.dispose();
  }
}

/** `train` on the kernels `k`. */
async function trainOn(
  k: Kernels,
  model: MLP,
  data: Pick<SplitDataset, 'train'> & Partial<Pick<SplitDataset, 'test'>>,
  cfg: TrainConfig,
  hooks: TrainHooks,
): Promise<TrainResult> {
  const { train: trainSet, val } =
    cfg.validationFraction > 0 || cfg.earlyStopping
      ? renameVal(trainValidationSplit(data.train, { validationFraction: cfg.validationFraction > 0 ? cfg.validationFraction : 0.1, seed: cfg.seed ^ 0x5eed }))
      : { train: data.train, val: null as Dataset | null };
  const N = trainSet.nSamples;
  if (N === 0) throw new RangeError('train: the training split is empty');
  const B = Math.min(cfg.batchSize, N);
  const rng = new Rng(cfg.seed);

  const mark = k.heapTop();
  let movement: KernelMovement | null = null;
  try {
    const below = hooks.onGradient && !hooks.onGradientAt ? 0 : sparseBelow(cfg.sparse, B);
    const net = new Network(k, model, B, { sparseBelow: below });
    if (hooks.movement) movement = new KernelMovement(k, hooks.movement, model);
    const evalB = Math.min(256, Math.max(data.test?.nSamples ?? 1, val?.nSamples ?? 1));
    let evalNetwork: Network | null = null;
    const evalNet = () => {
      if (evalNetwork) evalNetwork.uploadFromModel();
      else evalNetwork = new Network(k, model, Math.max(1, evalB), { sparseBelow: below });
      return evalNetwork;
    };
    const order = Int32Array.from({ length: N }, (_, i) => i);
    const records: EpochRecord[] = [];
    const t0 = performance.now();
    let step = 0,
      samplesSeen = 0,
      lr = cfg.lr;
    let best = -Infinity,
      bestLoss = Infinity,
      noImprove = 0,
      stopReason = 'max_iter';
    let bestWeights: { w: Float32Array[]; b: Float32Array[] } | null = null;

    const pause = createYielder(hooks.signal); // timers and aborts get a turn between batches
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const te = performance.now();
      if (cfg.schedule !== 'adaptive')
        lr = scheduledRate(
          { name: cfg.schedule, lr: cfg.lr, epochs: cfg.epochs, stepSize: cfg.stepSize, gamma: cfg.gamma, powerT: cfg.powerT },
          epoch,
          samplesSeen,
        );
      rng.shuffle(order);
      let lossSum = 0,
        correct = 0,
        batches = 0;
      const gradNormSums = new Float64Array(model.layers.length);
      for (let start = 0; start < N; start += B) {
        const n = Math.min(B, N - start);
        const rows = order.subarray(start, start + n);
        net.setInput(trainSet.features, trainSet.nFeatures, rows, n);
        net.forward(n);
        const r = net.lossAndGrad(trainSet.labels, rows, n, true);
        if (!Number.isFinite(r.lossSum)) throw diverged(`the loss became ${r.lossSum} at epoch ${epoch + 1}, batch ${batches + 1}`, lr);
        lossSum += r.lossSum;
        correct += r.correct;
        batches++;
        net.backward(n);
        for (let i = 0; i < model.layers.length; i++) gradNormSums[i] += Math.sqrt(net.weightGradNormSq(i));
        if (movement) movement.step(net);
        if (hooks.onGradientAt) hooks.onGradientAt(model.layers.map((_, i) => net.gradientAt(i)));
        else if (hooks.onGradient)
          hooks.onGradient(
            model.layers.map((_, i) => net.weightView(i)),
            model.layers.map((_, i) => net.weightGrad(i)),
          );
        net.step({ lr, momentum: cfg.momentum, nesterov: cfg.nesterov, weightDecay: cfg.alpha / n });
        step++;
        if (hooks.onStep && step % hooks.onStep.every === 0) {
          net.syncToModel();
          movement?.download();
          hooks.onStep.fn(step, model);
          net.uploadFromModel();
          movement?.upload();
        }
        await pause();
      }
      samplesSeen += N;
      net.syncToModel();
      const loss = lossSum / N;
      const where = `after epoch ${epoch + 1}`;
      const bad = firstNonFiniteWeight(model);
      if (bad) throw diverged(`${bad.name} became ${bad.value} ${where}`, lr);
      const ev = val || data.test ? evalNet() : null;
      // Finite weights can still overflow the outputs: that too is divergence, not bad input.
      const evalOrDiverge = (ds: Dataset) => {
        try {
          return evaluateOn(ev!, ds, Math.min(evalB, ds.nSamples));
        } catch (e) {
          if (e instanceof NonFiniteOutputError) throw diverged(`the model's output ${e.output} for sample ${e.sample} became ${e.value} ${where}`, lr);
          throw e;
        }
      };
      const valAcc = val && ev ? evalOrDiverge(val).accuracy : null;
      const test = data.test && ev && data.test.nSamples > 0 ? evalOrDiverge(data.test) : null;
      const rec: EpochRecord = {
        epoch: epoch + 1,
        loss,
        trainAccuracy: correct / N,
        valAccuracy: valAcc,
        testAccuracy: test?.accuracy ?? null,
        testLoss: test?.loss ?? null,
        gradNorms: Array.from(gradNormSums, (s) => s / batches),
        lr,
        seconds: (performance.now() - te) / 1000,
      };
      records.push(rec);
      if (hooks.onEpoch) {
        movement?.download();
        hooks.onEpoch(rec, model);
        net.uploadFromModel();
        movement?.upload();
      }

      // sklearn's _update_no_improvement_count: validation score if early stopping, else training loss
      if (cfg.earlyStopping && valAcc !== null) {
        if (valAcc < best + cfg.tol) noImprove++;
        else noImprove = 0;
        if (valAcc > best) {
          best = valAcc;
          bestWeights = { w: model.layers.map((l) => l.weight.slice()), b: model.layers.map((l) => l.bias.slice()) };
        }
      } else {
        if (loss > bestLoss - cfg.tol) noImprove++;
        else noImprove = 0;
        if (loss < bestLoss) bestLoss = loss;
      }
      if (noImprove >= cfg.nIterNoChange) {
        if (cfg.schedule === 'adaptive' && lr / 5 > 1e-6) {
          lr /= 5;
          noImprove = 0;
        } else if (cfg.earlyStopping || cfg.schedule === 'adaptive') {
          stopReason = cfg.schedule === 'adaptive' && !cfg.earlyStopping ? 'lr_too_small' : 'early_stopping';
          break;
        } else if (cfg.tol > 0) {
          stopReason = 'tol';
          break;
        }
      }
    }
    if (bestWeights) {
      model.layers.forEach((l, i) => {
        l.weight.set(bestWeights!.w[i]);
        l.bias.set(bestWeights!.b[i]);
      });
    }
    const seconds = (performance.now() - t0) / 1000;
    return { epochs: records, stopReason, seconds, samplesPerSecond: (samplesSeen || 0) / Math.max(seconds, 1e-9) };
  } finally {
    movement?.download(); // also when training stops early (divergence, abort): the steps taken are counted
    k.reset(mark);
  }
}

/**
 * A MovementTracker's scores held in kernel memory while `train` runs (one out × in f32 buffer per
 * layer), so each step's S ← S − W ⊙ ∂L/∂W is one wasm pass (Network.accumulateMovement) instead of
 * a JavaScript loop; `download` writes them back to the tracker, `upload` reads them from it.
 */
class KernelMovement {
  private readonly bufs: F32Buf[];
  private pending = 0;

  constructor(
    private readonly k: Kernels,
    private readonly tracker: MovementTracker,
    model: MLP,
  ) {
    if (tracker.scores.length !== model.layers.length)
      throw new RangeError(`train: the movement tracker has ${tracker.scores.length} layers, the model ${model.layers.length}`);
    model.layers.forEach((L, l) => {
      if (tracker.scores[l].length !== L.weight.length)
        throw new RangeError(`train: the movement tracker's layer ${l} has ${tracker.scores[l].length} scores, expected ${L.weight.length}`);
    });
    this.bufs = tracker.scores.map((s) => allocF32(k, s.length, s));
  }

  step(net: Network): void {
    for (let i = 0; i < this.bufs.length; i++) net.accumulateMovement(i, this.bufs[i]);
    this.pending++;
  }

  download(): void {
    this.bufs.forEach((b, l) => this.tracker.scores[l].set(viewF32(this.k, b)));
    this.tracker.steps += this.pending;
    this.pending = 0;
  }

  upload(): void {
    this.bufs.forEach((b, l) => writeF32(this.k, b, this.tracker.scores[l]));
  }
}
