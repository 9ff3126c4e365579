/**
 * From a masked MLP to the stored CompactModel: remove dead neurons (adjust.ts), then per layer
 * choose dense or CSR, the CSR index type and the value encoding (f32, f16, k-means codes).
 *
 * Dense or CSR: CSR when it is not larger in bytes AND the layer's sparsity reaches the measured
 * dense/CSR latency crossover for at least one batch size the user serves (BENCHMARKS.md,
 * `prunekit bench`; this kind of machine: 0.8 at batch 1, 0.5 at batch 64; interpolated
 * linearly in log2(batch) and clamped outside the table) — i.e. CSR whenever it is both smaller
 * and faster for some served batch size; name only `batchSizes: [1]` to optimise for batch 1
 * alone. `crossover` overrides the threshold; `layout` forces one layout.
 */
import { crossoverAt, DEFAULT_CROSSOVER } from '../kernels/crossover.js';
import type { MLP } from '../nn/model.js';
import { csrBytes, denseToCsr, type IndexType, narrowestIndex } from '../sparse/csr.js';
import { encodeF16 } from '../sparse/f16.js';
import { type CompactLayer, type CompactModel, denseF32ByteLength, encodeModel, type StoredValues, valuesF32 } from '../sparse/format.js';
import { describeModel, type ModelInfo, VALUE_BYTES } from '../sparse/info.js';
import { countNonzero } from '../util/stats.js';
import { removeDeadNeurons } from './adjust.js';
import { kmeansQuantize } from './kmeans.js';
import { chooseStorage, type EntropyOption, type IndexOption } from './storage.js';

export { DEFAULT_CROSSOVER, crossoverAt };

/** Approximate header bytes of a CSR layer's two extra tensor entries (name, dtype, shape, offsets, padding). */
const CSR_HEADER_BYTES = 160;

export interface CompactOptions {
  values?: 'f32' | 'f16' | 'kmeans';
  /** k-means: codebook size ≤ 2^bits (1…8). Default 5 (Deep Compression's choice for LeNet FC layers). */
  bits?: number;
  /**
   * CSR column indices: narrowest plain type that fits ('auto'; in format_version 2, the smallest of
   * plain and relative 4/5/8-bit indices per layer), forced plain u16/u32, or relative at 4, 5 or 8 bits ('delta:B', version 2).
   */
  index?: IndexOption;
  /** Huffman-code the k-means code and relative-index streams where smaller (format_version 2). Default 'none'. */
  entropy?: EntropyOption;
  /** 1 (default) or 2 (packed k-means codes, relative indices, Huffman); 'delta:B' indices or Huffman imply 2. */
  formatVersion?: 1 | 2;
  /** Batch sizes the model will serve. Default [1, 64]. */
  batchSizes?: number[];
  /** Override the crossover: CSR when sparsity ≥ this (and not larger in bytes). */
  crossover?: number;
  /** Force a layout for every layer. Default 'auto'. */
  layout?: 'auto' | 'dense' | 'csr';
  /** Force a layout per layer (overrides `layout` where given; 'auto' or undefined: as `layout` says). */
  layouts?: ('auto' | 'dense' | 'csr' | undefined)[];
  /** The crossover table (batch, sparsity), ascending batch. Default DEFAULT_CROSSOVER. */
  crossoverTable?: ReadonlyArray<readonly [number, number]>;
  /** Called after each layer is stored (`done` of `total` layers), for a progress display. */
  onLayer?: (done: number, total: number) => void;
}

export interface CompactLayerReport {
  format: 'dense' | 'csr';
  values: 'f32' | 'f16' | 'kmeans';
  /** The plain index type, `delta:B` for relative indices, null for dense layers. */
  index: ModelInfo['layers'][number]['index'];
  inFeatures: number;
  outFeatures: number;
  nonzeros: number;
  sparsity: number;
  /** Neurons of this layer's output removed as dead. */
  removedNeurons: number;
  /** Largest |stored − original| weight (0 for f32). */
  maxValueError: number;
  bytes: number;
}

export interface CompactReport {
  /** Size of the compact file. */
  bytes: number;
  /** Size of the original (masked) model stored dense with f32 values in the same format. */
  dense_bytes: number;
  /** The crossover sparsity used. */
  crossover: number;
  layers: CompactLayerReport[];
  info: ModelInfo;
}

function encodeValues(v: Float32Array, opts: CompactOptions, denseWithZeros: boolean): StoredValues {
  const enc = opts.values ?? 'f32';
  if (enc === 'f32') return { encoding: 'f32', values: v };
  if (enc === 'f16') return { encoding: 'f16', bits: encodeF16(v) };
  const { codebook, codes } = kmeansQuantize(v, opts.bits ?? 5, { fixedZero: denseWithZeros });
  return { encoding: 'kmeans', codes, codebook };
}

export function compact(model: MLP, opts: CompactOptions = {}): { compact: CompactModel; report: CompactReport } {
  const batchSizes = opts.batchSizes ?? [1, 64];
  if (!batchSizes.length || batchSizes.some((b) => !Number.isInteger(b) || b < 1))
    throw new RangeError(`compact: batch sizes must be positive integers, got [${batchSizes}]`);
  const threshold = opts.crossover ?? Math.min(...batchSizes.map((b) => crossoverAt(b, opts.crossoverTable)));
  const valueBytes = VALUE_BYTES[opts.values ?? 'f32'];
  const { model: adjusted, removed } = removeDeadNeurons(model);

  const reports: Omit<CompactLayerReport, 'bytes'>[] = [];
  const layers = adjusted.layers.map((l, i): CompactLayer => {
    const { inFeatures: inn, outFeatures: out } = l;
    const size = out * inn;
    const nnz = countNonzero(l.weight);
    const sparsity = size ? 1 - nnz / size : 0;
    const index: IndexType = opts.index === 'u16' || opts.index === 'u32' ? opts.index : narrowestIndex(inn);
    // CSR stores two more tensors (indices, indptr): count their header entries too, so a tiny
    // layer never grows the file by going CSR.
    const csrFileBytes = csrBytes(out, nnz, valueBytes, index) + CSR_HEADER_BYTES;
    const forced = opts.layouts?.[i] && opts.layouts[i] !== 'auto' ? opts.layouts[i] : opts.layout;
    const useCsr = forced === 'csr' || (forced !== 'dense' && sparsity >= threshold && csrFileBytes <= size * valueBytes);
    const common = { inFeatures: inn, outFeatures: out, activation: l.activation, bias: l.bias };
    let layer: CompactLayer;
    let original: Float32Array;
    if (useCsr) {
      const m = denseToCsr(l.weight, out, inn, index);
      original = m.data;
      layer = { ...common, layout: 'csr', indices: m.indices, indptr: m.indptr, values: encodeValues(m.data, opts, false) };
    } else {
      original = l.weight;
      layer = { ...common, layout: 'dense', values: encodeValues(l.weight, opts, nnz < size) };
    }
    const stored = valuesF32(layer.values);
    let maxValueError = 0;
    for (let k = 0; k < stored.length; k++) maxValueError = Math.max(maxValueError, Math.abs(stored[k] - original[k]));
    reports.push({
      format: layer.layout,
      values: layer.values.encoding,
      index: null,
      inFeatures: inn,
      outFeatures: out,
      nonzeros: nnz,
      sparsity,
      removedNeurons: removed[i],
      maxValueError,
    });
    opts.onLayer?.(i + 1, adjusted.layers.length);
    return layer;
  });
  const version = opts.formatVersion ?? (opts.index?.startsWith('delta:') || opts.entropy === 'huffman' ? 2 : 1);
  if (version === 1 && (opts.index?.startsWith('delta:') || opts.entropy === 'huffman'))
    throw new RangeError('compact: relative indices and Huffman coding need format_version 2');
  const result: CompactModel = {
    layers,
    preprocessing: adjusted.preprocessing,
    provenance: {
      ...adjusted.provenance,
      compaction: {
        values: opts.values ?? 'f32',
        bits: opts.values === 'kmeans' ? (opts.bits ?? 5) : undefined,
        index: opts.index ?? 'auto',
        batchSizes,
        crossover: threshold,
        removedNeurons: removed,
        ...(version === 2 ? { formatVersion: 2, entropy: opts.entropy ?? 'none' } : {}),
      },
    },
    ...(version === 2 ? { storage: chooseStorage(layers, opts.index ?? 'auto', opts.entropy ?? 'none') } : {}),
  };
  const bytes = encodeModel(result).length;
  const info = describeModel(result, bytes);
  const originalShape: CompactModel = {
    ...result,
    layers: model.layers.map((l) => ({
      inFeatures: l.inFeatures,
      outFeatures: l.outFeatures,
      activation: l.activation,
      bias: l.bias,
      layout: 'dense',
      values: { encoding: 'f32', values: l.weight },
    })),
  };
  return {
    compact: result,
    report: {
      bytes,
      dense_bytes: denseF32ByteLength(originalShape),
      crossover: threshold,
      layers: reports.map((r, i) => ({ ...r, index: info.layers[i].index, bytes: info.layers[i].bytes.total })),
      info,
    },
  };
}
