/**
 * An inference model on the wasm kernels: each layer uploaded once into kernel memory (f16 and
 * codebook values decoded to f32 at load), two activation buffers sized on first use for one chunk
 * of samples (at most ACTIVATION_BUDGET bytes), the stored standardisation applied on the way in,
 * every logit checked finite, softmax on the way out.
 */
import {
  allocF32,
  type F32Buf,
  layerForward,
  type LayerOnDevice,
  panelFloatsFor,
  uploadCheckedCsr,
  splitRuns,
  uploadDense,
  viewF32,
} from '../kernels/checked.js';
import { Act, type ActCode, type KernelFlavor, type Kernels } from '../kernels/types.js';
import { activate } from '../kernels/activation.js';
import { type CompactModel, valuesF32 } from '../sparse/format.js';
import { describeModel, type ModelInfo } from '../sparse/info.js';
import { checkFiniteLogits } from '../util/finite.js';
import { shownValue } from '../util/json.js';

/** A stored f32 as a message shows it: its 7 significant digits (1e-6, not 9.999999974752427e-7). */
const f32Text = (v: number | undefined): string => (v === undefined ? 'none' : String(Number(v.toPrecision(7))));

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
  /**
   * Class index of each sample (argmax of the logits). Throws `NonFiniteOutputError` (naming the
   * sample) when a logit overflows f32 to NaN or ±Infinity: such a sample has no label.
   */
  predict(inputs: Inputs, batch?: number): Int32Array;
  /** Softmax probabilities, row-major `batch × classes`; throws `NonFiniteOutputError` as `predict` does. */
  predictProba(inputs: Inputs, batch?: number): Float32Array;
  /** The last layer's raw outputs (before softmax), row-major `batch × classes`. */
  predictLogits(inputs: Inputs, batch?: number): Float32Array;
  /** Layer formats, nonzeros and bytes per part. */
  info(): ModelInfo;
  /** Threads a forward pass runs on (1 unless loaded with `{ threads }`). */
  readonly threads: number;
  /** Stops the model's worker threads and frees their memory now (else when the model is garbage-collected); a threaded model throws on `predict…` afterwards. Does nothing with one thread. */
  dispose(): void;
}

/** A layer's forward pass: `layerForward` from checked.ts, or its split over threads (kernels/parallel.ts). */
export type LayerForward = typeof layerForward;

/** The threads a model runs on, from `startThreadedKernels` (kernels/threads.ts). */
export interface ModelThreads {
  readonly count: number;
  readonly forward: LayerForward;
  dispose(): void;
}

/** Samples per kernel call at most; larger inputs are processed in chunks. */
const CHUNK = 256;
/**
 * Bytes of activation buffers a chunk may take (two buffers of width × chunk f32 values): the chunk
 * shrinks for wide models (at least one sample) so a forward pass never allocates more than this,
 * or two one-sample buffers when a single sample is wider — and the reader bounds every width by
 * the file's size (sparse/format.ts, `checkWidthsPaidFor`). From 16 samples on, the CSR SpMM's
 * panel comes on top, one per thread (`panelFloatsFor`: at most 64/48 of the widest packing layer's own
 * bytes each, so up to 64 × that with 64 threads).
 */
const ACTIVATION_BUDGET = 16 << 20;

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
  private readonly maxWidth: number;
  /** Samples per kernel call: CHUNK, fewer when the model is wide (ACTIVATION_BUDGET). */
  private readonly chunk: number;
  private readonly weightsTop: number;
  /** Standardisation as x' = (x − mean)·invScale (mean 0 and invScale 1 when the model stores none). */
  private readonly meanBuf: F32Buf;
  private readonly invBuf: F32Buf;
  private capacity = 0;
  private bufs: [F32Buf, F32Buf] | null = null;
  /** The CSR SpMM's packing scratch, beside the activations: from batch 16 on, one per thread (`layerForward`). */
  private panel: F32Buf | null = null;
  private summary: ModelInfo | null = null;

  /** `m` is a model `decodeModel` returned: validated, so its CSR arrays are uploaded as they are. */
  constructor(
    private readonly k: Kernels,
    private readonly m: CompactModel,
    private readonly fileBytes: number,
    private readonly threading: ModelThreads = { count: 1, forward: layerForward, dispose() {} },
  ) {
    // scratch for the inference GEMM in every run of a layer's threaded split (one run on one thread)
    const runs = threading.count === 1 ? 1 : splitRuns(threading.count);
    this.layers = m.layers.map((L) => {
      const act = Act[L.activation];
      const base = { rows: L.outFeatures, cols: L.inFeatures, act, bias: L.bias };
      if (L.outFeatures === 0 || L.inFeatures === 0) return { ...base, dev: null };
      const vals = valuesF32(L.values);
      const dev =
        L.layout === 'dense'
          ? uploadDense(k, vals, L.bias, L.outFeatures, L.inFeatures, runs)
          : uploadCheckedCsr(k, { rows: L.outFeatures, cols: L.inFeatures, data: vals, indices: L.indices, indptr: L.indptr }, L.bias);
      return { ...base, dev };
    });
    this.inFeatures = m.layers[0].inFeatures;
    this.outFeatures = m.layers[m.layers.length - 1].outFeatures;
    this.maxWidth = Math.max(this.inFeatures, ...m.layers.map((L) => L.outFeatures), 1);
    this.chunk = Math.max(1, Math.min(CHUNK, Math.floor(ACTIVATION_BUDGET / (8 * this.maxWidth))));
    const pre = m.preprocessing;
    this.meanBuf = allocF32(k, this.inFeatures, pre.mean ?? undefined); // alloc zero-fills: mean 0
    this.invBuf = allocF32(k, this.inFeatures);
    const inv = viewF32(k, this.invBuf);
    if (pre.scale) for (let f = 0; f < inv.length; f++) inv[f] = 1 / pre.scale[f];
    else inv.fill(1);
    this.weightsTop = k.heapTop(); // weights, mean and 1/scale live below; activations above
    this.featureNames = pre.featureNames;
    this.labels = pre.labelNames.length ? pre.labelNames : Array.from({ length: this.outFeatures }, (_, i) => String(i));
  }

  get flavor(): KernelFlavor {
    return this.k.flavor;
  }

  get threads(): number {
    return this.threading.count;
  }

  dispose(): void {
    this.threading.dispose();
  }

  info(): ModelInfo {
    this.summary ??= describeModel(this.m, this.fileBytes); // on first use: no load pays for it
    return structuredClone(this.summary);
  }

  /**
   * Runs every kernel path once (one sample: GEMV/SpMV; a few: GEMM/SpMM), so that V8 compiles
   * those wasm functions (lazily, on a function's first call) now rather than on the first real
   * call (`loadModel(bytes, { warmUp: true })`; off by default, see `LoadModelOptions.warmUp`).
   * Never more samples than one chunk, so warming up a wide model allocates no more than
   * predicting one chunk does.
   */
  warmUp(): void {
    for (const n of new Set([1, Math.min(8, this.chunk)])) {
      this.forwardChunk(new Float32Array(n * this.inFeatures), 0, n, new Float32Array(n * this.outFeatures), false);
    }
  }

  private ensureCapacity(batch: number): [F32Buf, F32Buf] {
    if (this.bufs && batch <= this.capacity) return this.bufs;
    this.k.reset(this.weightsTop); // activation buffers only live above the weights
    const n = this.maxWidth * batch;
    this.bufs = [allocF32(this.k, n), allocF32(this.k, n)];
    const panel = panelFloatsFor(this.layers.flatMap((L) => (L.dev ? [L.dev] : [])));
    this.panel = batch >= 16 && panel > 0 ? allocF32(this.k, panel * this.threading.count) : null; // one per thread
    this.capacity = batch;
    return this.bufs;
  }

  /** Flattens and checks the caller's inputs: row-major n × inFeatures. */
  private flatten(inputs: Inputs, batch?: number): { x: ArrayLike<number>; n: number } {
    if (batch !== undefined && (!Number.isInteger(batch) || batch < 0))
      throw new TypeError(`predict: batch must be a whole number ≥ 0, got ${shownValue(batch)}`);
    const F = this.inFeatures;
    if (inputs instanceof Float32Array || inputs instanceof Float64Array) {
      const n = batch ?? (F ? inputs.length / F : 0);
      if (!Number.isInteger(n) || n * F !== inputs.length) {
        throw new RangeError(`predict: ${inputs.length} input values are not ${batch ?? 'a whole number of'} samples × ${F} features`);
      }
      return { x: inputs, n };
    }
    if (!Array.isArray(inputs)) throw new TypeError('predict: inputs must be a Float32Array, a Float64Array or an array of rows');
    if (batch !== undefined && batch !== inputs.length)
      throw new RangeError(`predict: batch is ${batch} but ${inputs.length} ${inputs.length === 1 ? 'row was' : 'rows were'} given`);
    if (inputs.length > 0 && inputs.every((row) => typeof row === 'number'))
      throw new TypeError('predict: inputs is one array of numbers; pass an array of rows (one sample: [row]) or a Float32Array');
    const x = new Float64Array(inputs.length * F); // f64: an error names the value given, not its f32 rounding
    inputs.forEach((row, s) => {
      if (row === null || typeof row !== 'object') throw new TypeError(`predict: row ${s} is ${shownValue(row)}, expected an array of ${F} numbers`);
      if (row.length !== F) throw new RangeError(`predict: row ${s} has ${row.length} values, the model expects ${F} features`);
      for (let f = 0; f < F; f++) {
        const v = row[f];
        // a Float32Array would take null, '', true and '1' as numbers: refuse them, as the CLI refuses an empty cell
        if (typeof v !== 'number') throw new TypeError(`predict: row ${s}, feature ${f} is ${shownValue(v)}, expected a finite number`);
        x[s * F + f] = v;
      }
    });
    return { x, n: inputs.length };
  }

  /** Logits, row-major n × outFeatures; throws `NonFiniteOutputError` rather than return NaN or ±Infinity. */
  private logits(x: ArrayLike<number>, n: number): Float32Array {
    const out = new Float32Array(n * this.outFeatures);
    for (let start = 0; start < n; start += this.chunk) {
      const b = Math.min(this.chunk, n - start);
      this.forwardChunk(x, start, b, out);
    }
    return out;
  }

  /** Samples start…start+b−1 of x through every layer, into `out` (row-major); `checked`: no non-finite logit passes. */
  private forwardChunk(x: ArrayLike<number>, start: number, b: number, out: Float32Array, checked = true): void {
    const F = this.inFeatures,
      O = this.outFeatures;
    let [X, Y] = this.ensureCapacity(b);
    // Row-major samples → standardised feature-major activations [feature][sample]: copy the rows
    // into Y (a typed-array set), then one wasm pass standardises and transposes them into X in
    // 4×4 SIMD blocks (x' = (x − mean)/scale). A JS transpose here cost as much as a sparse
    // forward pass at batch 64.
    const stage = viewF32(this.k, Y).subarray(0, b * F);
    if (x instanceof Float32Array || x instanceof Float64Array) stage.set(x.subarray(start * F, (start + b) * F));
    else for (let i = 0; i < b * F; i++) stage[i] = x[start * F + i];
    if (this.k.f32_standardize_transpose(Y.ptr, X.ptr, this.meanBuf.ptr, this.invBuf.ptr, b, F)) {
      const mean = viewF32(this.k, this.meanBuf),
        inv = viewF32(this.k, this.invBuf),
        stored = this.m.preprocessing;
      for (let i = 0; i < b * F; i++) {
        const v = x[start * F + i],
          f = i % F,
          at = `predict: sample ${start + Math.floor(i / F)}, feature ${f} is ${v}`;
        if (!Number.isFinite(v)) throw new RangeError(`${at}, expected a finite number`);
        if (!Number.isFinite(Math.fround(v))) throw new RangeError(`${at}, beyond f32's range (±3.4e38)`);
        const centred = Math.fround(Math.fround(v) - mean[f]); // as the kernel rounds
        if (!Number.isFinite(centred))
          throw new RangeError(`${at}, which overflows f32 once the model's mean for it (${f32Text(stored.mean?.[f])}) is subtracted`);
        if (!Number.isFinite(Math.fround(centred * inv[f])))
          throw new RangeError(`${at}, which overflows f32 once divided by the model's scale for it (${f32Text(stored.scale?.[f])})`);
      }
      throw new RangeError(`predict: an input value in samples ${start}–${start + b - 1} overflows f32 once standardised`);
    }
    for (const L of this.layers) {
      if (L.dev) this.threading.forward(this.k, L.dev, X, Y, b, L.act, this.panel);
      else {
        const yv = viewF32(this.k, Y); // in = 0: the output is the constant act(bias)
        for (let r = 0; r < L.rows; r++) yv.fill(activate(L.bias[r], L.act), r * b, (r + 1) * b);
      }
      [X, Y] = [Y, X];
    }
    const yv = viewF32(this.k, X).subarray(0, O * b); // after the swap, X holds the last layer's output [O][b]
    if (checked) checkFiniteLogits(yv, O, b, 'feature-major', start);
    for (let s = 0; s < b; s++) for (let o = 0; o < O; o++) out[(start + s) * O + o] = yv[o * b + s];
  }

  predictLogits(inputs: Inputs, batch?: number): Float32Array {
    const { x, n } = this.flatten(inputs, batch);
    return this.logits(x, n);
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
      for (let o = 0; o < O; o++) sum += z[s * O + o] = Math.exp(z[s * O + o] - m);
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
