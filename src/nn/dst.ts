/**
 * Sparse networks trained from scratch (dynamic sparse training): every layer starts at its own
 * density with a random mask and keeps that many weights; every ΔT optimiser steps, until
 * `endFraction` of training, each layer drops the fraction f_t of its active weights with the
 * smallest magnitude and regrows as many at inactive positions, with
 *   f_t = α/2 · (1 + cos(π·t / T_end))                     (cosine decay, Evci et al. 2020, eq. 1)
 * SET (Mocanu et al. 2018) regrows at random; RigL (Evci et al. 2020) where the dense gradient
 * |∂L/∂W| is largest, computed on one mini-batch at update steps only. Regrown weights start at 0
 * (with zero momentum); a weight dropped at a step is not regrown at the same step. Between
 * updates the masked layers train on the sparse kernels (`train`'s 'auto' choice).
 *
 * Initial densities: 'uniform' gives every layer 1 − s; 'erk' (Erdős–Rényi–Kernel, Evci et al.
 * 2020 §3) gives layer l a density ∝ (n_in + n_out)/(n_in·n_out), scaled so the whole network
 * has sparsity s, layers that would exceed density 1 kept dense and the rest rescaled.
 */
import type { Dataset, SplitDataset } from '../data/types.js';
import type { Kernels } from '../kernels/types.js';
import { Rng } from '../util/rng.js';
import type { MLP } from './model.js';
import { Network } from './network.js';
import { DEFAULT_TRAIN, defaultKernels, sparseBelow, train, type TrainConfig, type TrainHooks, type TrainResult } from './train.js';

export type DstMethod = 'set' | 'rigl';
export type DensityDistribution = 'uniform' | 'erk';

export interface DstOptions {
  /** Overall sparsity of the weights, in [0, 1). */
  sparsity: number;
  method: DstMethod;
  /** Initial layer densities. Default 'erk'. */
  distribution?: DensityDistribution;
  /** Optimiser steps between mask updates (ΔT). Default 100. */
  deltaT?: number;
  /** Initial drop/regrow fraction α. Default 0.3. */
  dropFraction?: number;
  /** Mask updates stop after this fraction of all steps (T_end / T). Default 0.75. */
  endFraction?: number;
}

export interface DstResult extends TrainResult {
  /** Mask updates made, and the weights moved by each. */
  updates: { step: number; fraction: number; moved: number }[];
  densities: number[];
}

/** Layer densities for an overall sparsity (see the file comment). */
export function layerDensities(shapes: { inFeatures: number; outFeatures: number }[], sparsity: number, distribution: DensityDistribution): number[] {
  if (!(sparsity >= 0 && sparsity < 1)) throw new RangeError(`sparse training: sparsity must be in [0, 1), got ${sparsity}`);
  if (distribution === 'uniform') return shapes.map(() => 1 - sparsity);
  const n = shapes.map((l) => l.inFeatures * l.outFeatures),
    raw = shapes.map((l) => (l.inFeatures + l.outFeatures) / (l.inFeatures * l.outFeatures));
  const budget = (1 - sparsity) * n.reduce((a, b) => a + b, 0);
  const dense = new Set<number>();
  for (;;) {
    const left = budget - [...dense].reduce((a, i) => a + n[i], 0);
    const scaled = shapes.reduce((a, _, i) => (dense.has(i) ? a : a + raw[i] * n[i]), 0);
    const eps = left / scaled;
    const over = shapes.findIndex((_, i) => !dense.has(i) && eps * raw[i] > 1);
    if (over < 0) return shapes.map((_, i) => (dense.has(i) ? 1 : eps * raw[i]));
    dense.add(over);
  }
}

/** Random masks at the given densities (exactly round(d·n) kept per layer); pruned weights set to 0. */
export function initSparseMasks(model: MLP, densities: number[], rng: Rng): void {
  model.layers.forEach((l, i) => {
    const n = l.weight.length,
      keep = Math.round(densities[i] * n);
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, j) => j));
    const mask = new Uint8Array(n);
    for (let q = 0; q < keep; q++) mask[order[q]] = 1;
    l.mask = mask;
    for (let j = 0; j < n; j++) if (!mask[j]) l.weight[j] = 0;
  });
}

/**
 * The k candidates with the largest scores (ties: lower index first), in candidate order: the k-th
 * largest score from a native typed-array sort, then one pass (a comparator sort of 200,000
 * candidates cost RigL more than its training steps).
 */
function topK(candidates: number[], score: (j: number) => number, k: number): number[] {
  if (k <= 0) return [];
  const s = Float64Array.from(candidates, score);
  const t = s.slice().sort()[s.length - k];
  const out: number[] = [];
  for (let i = 0; i < s.length && out.length < k; i++) if (s[i] > t) out.push(candidates[i]);
  for (let i = 0; i < s.length && out.length < k; i++) if (s[i] === t) out.push(candidates[i]);
  return out;
}

/** One drop/regrow update of every layer; returns the number of weights moved. */
export function updateMasks(model: MLP, fraction: number, grow: (layer: number, inactive: number[], k: number) => number[]): number {
  let moved = 0;
  model.layers.forEach((l, i) => {
    const mask = l.mask!;
    const active: number[] = [],
      inactive: number[] = [];
    for (let j = 0; j < mask.length; j++) (mask[j] ? active : inactive).push(j);
    const k = Math.min(Math.round(fraction * active.length), inactive.length);
    if (k === 0) return;
    for (const j of topK(active, (j) => -Math.abs(l.weight[j]), k)) {
      mask[j] = 0;
      l.weight[j] = 0;
    }
    for (const j of grow(i, inactive, k)) {
      mask[j] = 1;
      l.weight[j] = 0;
    }
    moved += k;
  });
  return moved;
}

/**
 * Trains `model` from its initial weights as a sparse network (SET or RigL), in place; the
 * model ends with masks at the initial per-layer densities.
 */
export async function trainSparse(
  model: MLP,
  data: Pick<SplitDataset, 'train'> & Partial<Pick<SplitDataset, 'test'>>,
  config: Partial<TrainConfig>,
  o: DstOptions,
  hooks: Omit<TrainHooks, 'onStep'> = {},
): Promise<DstResult> {
  if (o.method !== 'set' && o.method !== 'rigl') throw new RangeError(`sparse training: method must be 'set' or 'rigl', got '${o.method}'`);
  const deltaT = o.deltaT ?? 100,
    alpha = o.dropFraction ?? 0.3,
    endFraction = o.endFraction ?? 0.75;
  if (!Number.isInteger(deltaT) || deltaT < 1) throw new RangeError(`sparse training: ΔT must be a whole number ≥ 1, got ${deltaT}`);
  if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`sparse training: the drop fraction must be in [0, 1], got ${alpha}`);
  if (!(endFraction >= 0 && endFraction <= 1)) throw new RangeError(`sparse training: the end fraction must be in [0, 1], got ${endFraction}`);
  const cfg = { ...DEFAULT_TRAIN, ...config };
  const densities = layerDensities(model.layers, o.sparsity, o.distribution ?? 'erk');
  const rng = new Rng(cfg.seed ^ 0xd57);
  initSparseMasks(model, densities, rng);
  const train0: Dataset = data.train;
  const B = Math.min(cfg.batchSize, train0.nSamples);
  // the steps train will take (no validation hold-out here: the whole training split)
  const totalSteps = cfg.epochs * Math.ceil(train0.nSamples / B),
    tEnd = Math.floor(endFraction * totalSteps);
  const k: Kernels = hooks.kernels ?? defaultKernels();
  const updates: DstResult['updates'] = [];
  const grow =
    (step: number) =>
    (layer: number, inactive: number[], count: number): number[] => {
      if (o.method === 'set') return Array.from(rng.shuffle(Int32Array.from(inactive)).subarray(0, count));
      const g = gradientAt(step)[layer];
      return topK(inactive, (j) => Math.abs(g[j]), count);
    };
  // RigL's dense gradient: one random mini-batch through a network built for the update step (its
  // masked layers on the sparse kernels as in training), the gradient at every weight formed per
  // layer; its kernel memory is released at once and the host copy when the update is done, so
  // between updates nothing dense is held.
  let cached: { step: number; grads: Float32Array[] } | null = null;
  const rows = new Int32Array(B);
  const gradientAt = (step: number): Float32Array[] => {
    if (cached?.step === step) return cached.grads;
    const mark = k.heapTop();
    try {
      const net = new Network(k, model, B, { sparseBelow: sparseBelow(cfg.sparse, B) });
      const pick = new Rng(cfg.seed + step);
      for (let j = 0; j < B; j++) rows[j] = pick.int(train0.nSamples);
      net.setInput(train0.features, train0.nFeatures, rows, B);
      net.forward(B);
      net.lossAndGrad(train0.labels, rows, B, true);
      net.backward(B);
      cached = { step, grads: model.layers.map((_, i) => net.denseWeightGrad(i, B)) };
      return cached.grads;
    } finally {
      k.reset(mark);
    }
  };
  const result = await train(
    model,
    data,
    { ...config, validationFraction: 0, earlyStopping: false },
    {
      ...hooks,
      onStep: {
        every: deltaT,
        fn: (step, m) => {
          if (step >= tEnd) return;
          if (o.method === 'rigl') gradientAt(step); // the dense gradient at w_t, before any weight moves
          const fraction = (alpha / 2) * (1 + Math.cos((Math.PI * step) / tEnd));
          updates.push({ step, fraction, moved: updateMasks(m, fraction, grow(step)) });
          cached = null;
        },
      },
    },
  );
  return { ...result, updates, densities };
}
