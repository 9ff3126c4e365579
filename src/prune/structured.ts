/**
 * Structured pruning: whole hidden neurons, and N:M semi-structured sparsity.
 *
 * Neurons: hidden neuron j of hidden layer h (the output j of `layers[h]`, h < L−1) is scored by the
 * Lp norm of its incoming weights (row j of layers[h].weight; Li et al. 2017 "Pruning Filters for
 * Efficient ConvNets" use L1), optionally plus the norm of its outgoing weights (column j of
 * layers[h+1].weight). Removing it deletes row j (weight, mask, bias) of layers[h] and column j
 * (weight, mask) of layers[h+1]: the model really gets smaller. Its contribution act(z_j)·W[:, j]
 * is dropped, so outputs change unless its outgoing weights were zero (folding a constant output
 * into the next bias is dead-neuron removal's job, src/compact/adjust.ts).
 *
 * N:M (Zhou et al. 2021; NVIDIA Ampere 2:4): in each group of M consecutive weights along a row's
 * input dimension, keep the N with the highest scores (ties: lower index kept). The last group of a
 * row may be shorter; it keeps min(N, its length). Already-pruned weights stay pruned and count as
 * pruned in their group.
 */
import type { Layer, MLP } from '../nn/model.js';
import { cloneMLP } from '../nn/model.js';
import { kthSmallest } from './select.js';

export interface NeuronScoreOptions {
  /** 1 (L1, default) or 2 (L2). */
  norm?: 1 | 2;
  /** Add the norm of the outgoing weights (column in the next layer). */
  outgoing?: boolean;
}

/** Score of every neuron of hidden layer h (the outputs of layers[h]). */
export function neuronScores(model: MLP, h: number, opts: NeuronScoreOptions = {}): Float64Array {
  checkHidden(model, h);
  const p = opts.norm ?? 1;
  const L = model.layers[h],
    N = model.layers[h + 1];
  const s = new Float64Array(L.outFeatures);
  const acc = (x: number) => (p === 1 ? Math.abs(x) : x * x);
  for (let j = 0; j < L.outFeatures; j++) {
    let a = 0;
    for (let i = 0; i < L.inFeatures; i++) a += acc(L.weight[j * L.inFeatures + i]);
    let b = 0;
    if (opts.outgoing) for (let k = 0; k < N.outFeatures; k++) b += acc(N.weight[k * N.inFeatures + j]);
    s[j] = p === 1 ? a + b : Math.sqrt(a) + Math.sqrt(b);
  }
  return s;
}

function checkHidden(model: MLP, h: number): void {
  const nh = model.layers.length - 1;
  if (!Number.isInteger(h) || h < 0 || h >= nh) {
    throw new RangeError(`hidden layer ${h} does not exist: the model has ${nh} hidden layer${nh === 1 ? '' : 's'}${nh ? ` (0..${nh - 1})` : ''}`);
  }
}

/** A new model without the listed neurons of hidden layer h (both adjacent matrices shrink). */
export function removeNeurons(model: MLP, h: number, remove: number[]): MLP {
  checkHidden(model, h);
  const L = model.layers[h];
  const drop = new Set(remove);
  for (const j of drop)
    if (!Number.isInteger(j) || j < 0 || j >= L.outFeatures) throw new RangeError(`neuron ${j} does not exist in hidden layer ${h} (0..${L.outFeatures - 1})`);
  const keep: number[] = [];
  for (let j = 0; j < L.outFeatures; j++) if (!drop.has(j)) keep.push(j);
  if (keep.length === 0) throw new RangeError(`cannot remove all ${L.outFeatures} neurons of hidden layer ${h}`);
  const out = cloneMLP(model);
  out.layers[h] = selectRows(L, keep);
  out.layers[h + 1] = selectCols(model.layers[h + 1], keep);
  delete out.history; // recorded for the old shapes
  return out;
}

function selectRows(L: Layer, rows: number[]): Layer {
  const n = L.inFeatures;
  const weight = new Float32Array(rows.length * n);
  const mask = L.mask ? new Uint8Array(rows.length * n) : undefined;
  rows.forEach((r, k) => {
    weight.set(L.weight.subarray(r * n, r * n + n), k * n);
    if (mask) mask.set(L.mask!.subarray(r * n, r * n + n), k * n);
  });
  return { ...L, outFeatures: rows.length, weight, bias: Float32Array.from(rows, (r) => L.bias[r]), mask };
}

function selectCols(L: Layer, cols: number[]): Layer {
  const n = cols.length;
  const weight = new Float32Array(L.outFeatures * n);
  const mask = L.mask ? new Uint8Array(L.outFeatures * n) : undefined;
  for (let r = 0; r < L.outFeatures; r++) {
    cols.forEach((c, k) => {
      weight[r * n + k] = L.weight[r * L.inFeatures + c];
      if (mask) mask[r * n + k] = L.mask![r * L.inFeatures + c];
    });
  }
  return { ...L, inFeatures: n, weight, bias: L.bias.slice(), mask };
}

export interface NeuronPruneOptions extends NeuronScoreOptions {
  /** Fraction of neurons to remove from each chosen hidden layer, in [0, 1); round(f·n), at least 1 kept. */
  fraction: number;
  /** Hidden layers to shrink (default: all). */
  hidden?: number[];
}

/** Removes the lowest-scoring round(fraction·n) neurons of each chosen hidden layer (ties: lower index removed first). */
export function pruneNeurons(model: MLP, opts: NeuronPruneOptions): { model: MLP; removed: number[][] } {
  if (!(opts.fraction >= 0 && opts.fraction < 1)) throw new RangeError(`neuron fraction must be in [0, 1), got ${opts.fraction}`);
  const nh = model.layers.length - 1;
  const hidden = opts.hidden ?? Array.from({ length: nh }, (_, h) => h);
  hidden.forEach((h) => checkHidden(model, h));
  let m = model;
  const removed: number[][] = Array.from({ length: nh }, () => []);
  for (const h of hidden) {
    const s = neuronScores(m, h, opts);
    const n = s.length;
    const k = Math.min(n - 1, Math.round(opts.fraction * n));
    if (k === 0) continue;
    const theta = kthSmallest(s, k - 1);
    const below: number[] = [],
      ties: number[] = [];
    for (let j = 0; j < n; j++) (s[j] < theta ? below : s[j] === theta ? ties : []).push(j);
    const drop = below.concat(ties.slice(0, k - below.length)).sort((a, b) => a - b);
    removed[h] = drop;
    m = removeNeurons(m, h, drop);
  }
  return { model: m === model ? cloneMLP(model) : m, removed };
}

/**
 * N:M step mask for one layer (rows × cols, row-major): in each group of M consecutive entries of a
 * row, keep the N highest-scoring still-kept entries (ties: lower index kept).
 */
export function nmMask(scores: ArrayLike<number>, rows: number, cols: number, n: number, m: number, old?: Uint8Array): Uint8Array {
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 1 || m < 1 || n >= m) throw new RangeError(`N:M needs whole numbers 1 ≤ N < M, got ${n}:${m}`);
  if (scores.length !== rows * cols) throw new RangeError(`nmMask: ${scores.length} scores for a ${rows}×${cols} layer`);
  const out = new Uint8Array(rows * cols);
  const idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols; g += m) {
      idx.length = 0;
      for (let c = g; c < Math.min(cols, g + m); c++) {
        const i = r * cols + c;
        if (!old || old[i]) idx.push(i);
      }
      idx.sort((a, b) => Number(scores[b]) - Number(scores[a]) || a - b);
      for (let k = 0; k < Math.min(n, idx.length); k++) out[idx[k]] = 1;
    }
  }
  return out;
}
