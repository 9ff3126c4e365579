/**
 * An inference model on the wasm kernels: each layer uploaded once into kernel memory (f16 and
 * codebook values decoded to f32 at load), two activation buffers allocated per batch capacity
 * and grown on demand, the stored standardisation applied on the way in, softmax on the way out.
 */
import { allocF32, type F32Buf, layerForward, type LayerOnDevice, uploadCsr, uploadDense, viewF32 } from '../kernels/checked.js';
import { Act, type ActCode, type KernelFlavor, type Kernels } from '../kernels/types.js';
import { activate } from '../kernels/activation.js';
import { type CompactModel, valuesF32 } from '../sparse/format.js';
import { describeModel, type ModelInfo } from '../sparse/info.js';

/** Row-major inputs: a flat array of `batch × features` values, or one array per sample. */
export type Inputs = Float32Array | Float64Array | ArrayLike<number>[];

export interface Model {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly featureNames: readonly string[];
  /** Class names; `predict` returns indices into this list. */
  readonly labels: readonly string[];
  /** The kernel build in use. */
  readonly flavor: KernelFlavor;
  /** Class index of each sample (argmax of the logits). */
  predict(inputs: Inputs, batch?: number): Int32Array;
  /** Softmax probabilities, row-major `batch × classes`. */
  predictProba(inputs: Inputs, batch?: number): Float32Array;
  /** Layer formats, nonzeros and bytes per part. */
  info(): ModelInfo;
}

/** Samples per kernel call; larger inputs are processed in chunks of this many. */
const CHUNK = 256;

interface RunLayer {
  dev: LayerOnDevice | null; // null when a dimension is 0 (handled in TS)
  rows: number;
  cols: number;
  act: ActCode;
  bias: Float32Array;
}

export class RuntimeModel implements Model {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly featureNames: readonly string[];
  readonly labels: readonly string[];
  private readonly layers: RunLayer[];
  /** Standardisation as x' = (x − mean)·invScale (mean 0 and invScale 1 when the model stores none). */
  private readonly mean: Float32Array;
  private readonly invScale: Float32Array;
  private readonly maxWidth: number;
  private readonly weightsTop: number;
  private readonly meanBuf: F32Buf;
  private readonly invBuf: F32Buf;
  private capacity = 0;
  private bufs: [F32Buf, F32Buf] | null = null;
  private readonly summary: ModelInfo;

  constructor(private readonly k: Kernels, m: CompactModel, fileBytes: number) {
    this.layers = m.layers.map((L) => {
      const act = Act[L.activation];
      const base = { rows: L.outFeatures, cols: L.inFeatures, act, bias: L.bias };
      if (L.outFeatures === 0 || L.inFeatures === 0) return { ...base, dev: null };
      const vals = valuesF32(L.values);
      const dev = L.layout === 'dense'
        ? uploadDense(k, vals, L.bias, L.outFeatures, L.inFeatures)
        : uploadCsr(k, { rows: L.outFeatures, cols: L.inFeatures, data: vals, indices: L.indices, indptr: L.indptr }, L.bias);
      return { ...base, dev };
    });
    this.inFeatures = m.layers[0].inFeatures;
    this.outFeatures = m.layers[m.layers.length - 1].outFeatures;
    this.maxWidth = Math.max(this.inFeatures, ...m.layers.map((L) => L.outFeatures), 1);
    const pre = m.preprocessing;
    this.mean = pre.mean ?? new Float32Array(this.inFeatures);
    this.invScale = pre.scale ? Float32Array.from(pre.scale, (s) => 1 / s) : new Float32Array(this.inFeatures).fill(1);
    this.meanBuf = allocF32(k, this.inFeatures, this.mean);
    this.invBuf = allocF32(k, this.inFeatures, this.invScale);
    this.weightsTop = k.heapTop(); // weights, mean and 1/scale live below; activations above
    this.featureNames = pre.featureNames;
    this.labels = pre.labelNames.length ? pre.labelNames : Array.from({ length: this.outFeatures }, (_, i) => String(i));
    this.summary = describeModel(m, fileBytes);
  }

  get flavor(): KernelFlavor {
    return this.k.flavor;
  }

  info(): ModelInfo {
    return structuredClone(this.summary);
  }

  /** Runs every kernel path a few times so V8 tiers the wasm up before the first real call. */
  warmUp(): void {
    for (const n of [1, 8]) for (let r = 0; r < 3; r++) this.logits(new Float32Array(n * this.inFeatures), n);
  }

  private ensureCapacity(batch: number): [F32Buf, F32Buf] {
    if (this.bufs && batch <= this.capacity) return this.bufs;
    this.k.reset(this.weightsTop); // activation buffers only live above the weights
    const n = this.maxWidth * batch;
    this.bufs = [allocF32(this.k, n), allocF32(this.k, n)];
    this.capacity = batch;
    return this.bufs;
  }

  /** Flattens and checks the caller's inputs: row-major n × inFeatures. */
  private flatten(inputs: Inputs, batch?: number): { x: ArrayLike<number>; n: number } {
    const F = this.inFeatures;
    if (inputs instanceof Float32Array || inputs instanceof Float64Array) {
      const n = batch ?? (F ? inputs.length / F : 0);
      if (!Number.isInteger(n) || n * F !== inputs.length) {
        throw new RangeError(`predict: ${inputs.length} input values are not ${batch ?? 'a whole number of'} samples × ${F} features`);
      }
      return { x: inputs, n };
    }
    if (!Array.isArray(inputs)) throw new TypeError('predict: inputs must be a Float32Array, a Float64Array or an array of rows');
    if (batch !== undefined && batch !== inputs.length) throw new RangeError(`predict: batch is ${batch} but ${inputs.length} rows were given`);
    const x = new Float32Array(inputs.length * F);
    inputs.forEach((row, s) => {
      if (row?.length !== F) throw new RangeError(`predict: row ${s} has ${row?.length} values, the model expects ${F} features`);
      for (let f = 0; f < F; f++) x[s * F + f] = row[f];
    });
    return { x, n: inputs.length };
  }

  /** Logits, row-major n × outFeatures. */
  private logits(x: ArrayLike<number>, n: number): Float32Array {
    const out = new Float32Array(n * this.outFeatures);
    for (let start = 0; start < n; start += CHUNK) {
      const b = Math.min(CHUNK, n - start);
      this.forwardChunk(x, start, b, out);
    }
    return out;
  }

  private forwardChunk(x: ArrayLike<number>, start: number, b: number, out: Float32Array): void {
    const F = this.inFeatures, O = this.outFeatures;
    let [X, Y] = this.ensureCapacity(b);
    // Row-major samples → standardised feature-major activations [feature][sample]: copy the rows
    // into Y (a typed-array set), then one wasm pass standardises and transposes them into X in
    // 4×4 SIMD blocks (x' = (x − mean)/scale). A JS transpose here cost as much as a sparse
    // forward pass at batch 64.
    const stage = viewF32(this.k, Y).subarray(0, b * F);
    if (x instanceof Float32Array || x instanceof Float64Array) stage.set(x.subarray(start * F, (start + b) * F));
    else for (let i = 0; i < b * F; i++) stage[i] = x[start * F + i];
    if (this.k.f32_standardize_transpose(Y.ptr, X.ptr, this.meanBuf.ptr, this.invBuf.ptr, b, F)) {
      for (let i = 0; i < b * F; i++) {
        const v = x[start * F + i];
        if (!Number.isFinite(v)) throw new RangeError(`predict: sample ${start + Math.floor(i / F)}, feature ${i % F} is ${v}, expected a finite number`);
      }
      // finite in f64 but not in f32 (beyond ±3.4e38)
      throw new RangeError(`predict: an input value in samples ${start}–${start + b - 1} overflows f32`);
    }
    for (const L of this.layers) {
      if (L.dev) layerForward(this.k, L.dev, X, Y, b, L.act);
      else {
        const yv = viewF32(this.k, Y); // in = 0: the output is the constant act(bias)
        for (let r = 0; r < L.rows; r++) yv.fill(activate(L.bias[r], L.act), r * b, (r + 1) * b);
      }
      [X, Y] = [Y, X];
    }
    const yv = viewF32(this.k, X); // after the swap, X holds the last layer's output [O][b]
    for (let s = 0; s < b; s++) for (let o = 0; o < O; o++) out[(start + s) * O + o] = yv[o * b + s];
  }

  predictProba(inputs: Inputs, batch?: number): Float32Array {
    const { x, n } = this.flatten(inputs, batch);
    const z = this.logits(x, n);
    const O = this.outFeatures;
    for (let s = 0; s < n; s++) {
      // softmax, shifted by the max for stability: p_i = exp(z_i − m) / Σ exp(z_j − m)
      let m = -Infinity;
      for (let o = 0; o < O; o++) m = Math.max(m, z[s * O + o]);
      let sum = 0;
      for (let o = 0; o < O; o++) sum += (z[s * O + o] = Math.exp(z[s * O + o] - m));
      for (let o = 0; o < O; o++) z[s * O + o] /= sum;
    }
    return z;
  }

  predict(inputs: Inputs, batch?: number): Int32Array {
    const { x, n } = this.flatten(inputs, batch);
    const z = this.logits(x, n);
    const O = this.outFeatures;
    const labels = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      let best = 0;
      for (let o = 1; o < O; o++) if (z[s * O + o] > z[s * O + best]) best = o;
      labels[s] = best;
    }
    return labels;
  }
}
