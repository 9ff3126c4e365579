/**
 * The validated layer between TypeScript data and the raw kernels. Everything a kernel reads is
 * checked here once — shapes, buffer lengths, CSR structure and every column index — so a bad
 * shape or index is a clear TypeScript error and never a wasm trap or an out-of-bounds read.
 */
import { maxOf } from '../util/stats.js';
import type { ActCode, Kernels, Ptr } from './types.js';

/** A run of f32 values in kernel memory. */
export interface F32Buf {
  readonly ptr: Ptr;
  readonly length: number;
}

export function allocF32(k: Kernels, length: number, init?: ArrayLike<number>): F32Buf {
  if (!Number.isInteger(length) || length < 0) throw new RangeError(`allocF32: bad length ${length}`);
  const ptr = k.alloc(length * 4);
  const buf = { ptr, length };
  if (init) writeF32(k, buf, init);
  return buf;
}

/** A fresh view of a buffer (views die when memory grows: take a new one after any allocation). */
export function viewF32(k: Kernels, buf: F32Buf): Float32Array {
  return new Float32Array(k.memory.buffer, buf.ptr, buf.length);
}

export function writeF32(k: Kernels, buf: F32Buf, values: ArrayLike<number>, offset = 0): void {
  if (offset < 0 || offset + values.length > buf.length) {
    throw new RangeError(`writeF32: ${values.length} values at offset ${offset} overflow a buffer of ${buf.length}`);
  }
  viewF32(k, buf).set(values, offset);
}

export function readF32(k: Kernels, buf: F32Buf, length = buf.length): Float32Array {
  return viewF32(k, buf).slice(0, length);
}

/** A CSR matrix in host memory (scipy's names). A row is one output neuron. */
export interface CsrArrays {
  rows: number;
  cols: number;
  data: Float32Array;
  indices: Uint8Array | Uint16Array | Uint32Array;
  indptr: Uint32Array;
}

/**
 * Checks the CSR invariants a kernel relies on; throws naming the first violation:
 * indptr has rows+1 entries, indptr[0] = 0, non-decreasing, indptr[rows] = nnz = data.length =
 * indices.length, every index < cols. The indices are checked by one native scan (`maxOf`): a
 * model is checked once, cold, where a loop over its indices runs in V8's interpreter, 10–20×
 * slower; only a matrix that fails is searched again for the first bad entry. Indices whose type
 * cannot reach cols (u8 with cols ≥ 256, u16 with cols ≥ 65,536) need no scan at all.
 */
export function checkCsr(m: CsrArrays, name = 'CSR matrix'): void {
  const { rows, cols, data, indices, indptr } = m;
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) throw new RangeError(`${name}: bad shape ${rows}×${cols}`);
  if (indptr.length !== rows + 1) throw new RangeError(`${name}: indptr has ${indptr.length} entries, expected rows + 1 = ${rows + 1}`);
  if (indptr[0] !== 0) throw new RangeError(`${name}: indptr[0] is ${indptr[0]}, expected 0`);
  for (let r = 0; r < rows; r++) {
    if (indptr[r + 1] < indptr[r]) throw new RangeError(`${name}: indptr decreases at row ${r} (${indptr[r]} > ${indptr[r + 1]})`);
  }
  const nnz = indptr[rows];
  if (data.length !== nnz || indices.length !== nnz) {
    throw new RangeError(`${name}: indptr[rows] = ${nnz} but data has ${data.length} and indices ${indices.length} entries`);
  }
  const reach = indices instanceof Uint8Array ? 256 : indices instanceof Uint16Array ? 65536 : 2 ** 32;
  if (cols >= reach) return; // no index of this type can be out of range
  if (maxOf(indices) < cols) return;
  for (let i = 0; i < nnz; i++) {
    if (indices[i] >= cols) throw new RangeError(`${name}: indices[${i}] = ${indices[i]} is out of range (columns: ${cols})`);
  }
}

/** Weights of one layer uploaded to kernel memory, dense or CSR. */
export type LayerOnDevice =
  | {
      format: 'dense';
      rows: number;
      cols: number;
      W: F32Buf;
      b: F32Buf;
      /** `f32_gemm_scratch`'s scratch, 4·cols floats per run of the layer's threaded row split (parallel.ts), or null. */
      scratch: F32Buf | null;
    }
  | {
      format: 'csr';
      rows: number;
      cols: number;
      nnz: number;
      index: 'u16' | 'u32';
      data: F32Buf;
      indices: Ptr;
      indptr: Ptr;
      b: F32Buf;
      /** Whether every row's column indices ascend (the panel needs it), read on first need. */
      sortedRows?: boolean;
    };

/** Runs per thread in a layer's threaded split: more than one, so that a thread held up by other processes leaves its share to the others. */
export const RUNS_PER_THREAD = 4;
/** The most runs one product is cut into: the thread pool's call table holds 64 (parallel.ts, LAYOUT.maxCalls). */
export const MAX_RUNS = 64;
/** Runs of a layer's (or a training product's) split over `threads` threads. */
export const splitRuns = (threads: number): number => Math.min(MAX_RUNS, RUNS_PER_THREAD * threads);

/**
 * A dense layer for inference, with scratch for `f32_gemm_scratch` in each of `runs` runs of a
 * threaded row split (1: one thread; 0: none, the plain `f32_gemm`). A run is at least one 4-row
 * block and a layer under 4 rows never uses the copy, so at most ⌈rows/4⌉ runs get scratch: it
 * stays within the layer's own size (4·cols·⌈rows/4⌉ floats), whatever the thread count.
 */
export function uploadDense(k: Kernels, W: ArrayLike<number>, b: ArrayLike<number>, rows: number, cols: number, runs = 1): LayerOnDevice {
  if (W.length !== rows * cols) throw new RangeError(`dense layer: weight has ${W.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  if (b.length !== rows) throw new RangeError(`dense layer: bias has ${b.length} values, expected ${rows}`);
  const usable = rows < 4 ? 0 : Math.min(runs, Math.ceil(rows / 4));
  const scratch = usable > 0 ? allocF32(k, 4 * cols * usable) : null;
  return { format: 'dense', rows, cols, W: allocF32(k, W.length, W), b: allocF32(k, rows, b), scratch };
}

/** Uploads a CSR layer after `checkCsr`; u8 indices (a storage format) are widened to u16. */
export function uploadCsr(k: Kernels, m: CsrArrays, b: ArrayLike<number>): LayerOnDevice {
  checkCsr(m);
  if (b.length !== m.rows) throw new RangeError(`CSR layer: bias has ${b.length} values, expected ${m.rows}`);
  return uploadCheckedCsr(k, m, b);
}

/**
 * Uploads a CSR layer whose arrays have already passed `checkCsr` and whose bias has `rows`
 * values — the runtime's path for a decoded model file, which `decodeModel` validated (checking
 * the same 27k indices twice was a tenth of a cold start). Anything else goes through `uploadCsr`.
 */
export function uploadCheckedCsr(k: Kernels, m: CsrArrays, b: ArrayLike<number>): LayerOnDevice {
  const index = m.indices instanceof Uint32Array ? 'u32' : 'u16';
  const nnz = m.data.length;
  const data = allocF32(k, nnz, m.data);
  const idxBytes = index === 'u32' ? 4 : 2;
  const indices = k.alloc(nnz * idxBytes);
  if (index === 'u32') new Uint32Array(k.memory.buffer, indices, nnz).set(m.indices);
  else new Uint16Array(k.memory.buffer, indices, nnz).set(m.indices);
  const indptr = k.alloc((m.rows + 1) * 4);
  new Uint32Array(k.memory.buffer, indptr, m.rows + 1).set(m.indptr);
  return { format: 'csr', rows: m.rows, cols: m.cols, nnz, index, data, indices, indptr, b: allocF32(k, m.rows, b) };
}

export function checkActs(X: F32Buf, Y: F32Buf, rows: number, cols: number, batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`forward: batch must be a positive integer, got ${batch}`);
  if (X.length < cols * batch) throw new RangeError(`forward: input holds ${X.length} values, the layer needs ${cols}×${batch} = ${cols * batch}`);
  if (Y.length < rows * batch) throw new RangeError(`forward: output holds ${Y.length} values, the layer needs ${rows}×${batch} = ${rows * batch}`);
}

/** Floats of `layerForward`'s `panel` that a CSR layer of `cols` columns needs: 16 samples × 4 bytes per column. */
export const panelFloats = (cols: number): number => 16 * cols;

/**
 * Whether a CSR SpMM packs its input into a panel: from 16 samples on, only where each column is
 * read at least 8 times on average (nnz ≥ 8·cols), so that the copy of X (one pass per 16
 * samples) is paid back, and only where no row's columns descend: the kernel packs the columns up
 * to the largest last index of a row (scipy's CSR allows unsorted rows; they run unpacked). The
 * kernel itself keeps its batch-64 loop order, which reads X where it lies, while that largest
 * column is below 2048.
 */
const packs = (k: Kernels, L: CsrOnDevice, batch: number): boolean => batch >= 16 && readsEachColumnOften(L) && (L.sortedRows ??= rowsAscend(k, L));

/** `panelFloats(L.cols)` where the layer packs at this batch (`layerForward` would use a panel), else 0. */
export const panelFloatsIfPacks = (k: Kernels, L: CsrOnDevice, batch: number): number => (packs(k, L, batch) ? panelFloats(L.cols) : 0);

/** Whether no row's column indices descend (repeats allowed): one pass over the layer's indices. */
function rowsAscend(k: Kernels, L: CsrOnDevice): boolean {
  const ip = new Uint32Array(k.memory.buffer, L.indptr, L.rows + 1);
  const ix = L.index === 'u16' ? new Uint16Array(k.memory.buffer, L.indices, L.nnz) : new Uint32Array(k.memory.buffer, L.indices, L.nnz);
  for (let r = 0; r < L.rows; r++) for (let q = ip[r] + 1; q < ip[r + 1]; q++) if (ix[q] < ix[q - 1]) return false;
  return true;
}
const readsEachColumnOften = (L: LayerOnDevice): L is CsrOnDevice => L.format === 'csr' && L.nnz >= 8 * L.cols;

/**
 * The panel `layerForward` can use on these layers from batch 16 on: `panelFloats` of the widest
 * CSR layer that packs, 0 when none does. At most 64 bytes per column of a layer holding at least
 * 8 nonzeros (48 bytes or more) per column: bounded by the layers' own size.
 */
export function panelFloatsFor(layers: readonly LayerOnDevice[]): number {
  return panelFloats(Math.max(0, ...layers.filter(readsEachColumnOften).map((L) => L.cols)));
}

/**
 * One layer forward on feature-major activations: Y[rows×batch] = act(A · X[cols×batch] + b).
 * Batch 1 takes the GEMV / SpMV path, larger batches the GEMM / SpMM path. `panel` (optional,
 * ≥ `panelFloats(cols)`): scratch in which the CSR SpMM packs 16 samples of X at a time, which
 * is faster past 2048 columns and at batches other than 64; the result is the same bit for bit.
 */
export function layerForward(k: Kernels, L: LayerOnDevice, X: F32Buf, Y: F32Buf, batch: number, act: ActCode, panel: F32Buf | null = null): void {
  checkActs(X, Y, L.rows, L.cols, batch);
  if (L.format === 'dense') {
    if (batch === 1) k.f32_gemv(L.W.ptr, L.b.ptr, X.ptr, Y.ptr, L.rows, L.cols, act);
    else if (L.scratch) k.f32_gemm_scratch(L.W.ptr, L.b.ptr, X.ptr, Y.ptr, L.rows, L.cols, batch, act, L.scratch.ptr);
    else k.f32_gemm(L.W.ptr, L.b.ptr, X.ptr, Y.ptr, L.rows, L.cols, batch, act);
    return;
  }
  if (batch === 1) {
    if (L.index === 'u16') k.f32_spmv_csr_u16(L.data.ptr, L.indices, L.indptr, L.b.ptr, X.ptr, Y.ptr, L.rows, act);
    else k.f32_spmv_csr_u32(L.data.ptr, L.indices, L.indptr, L.b.ptr, X.ptr, Y.ptr, L.rows, act);
    return;
  }
  let p = 0;
  if (panel && packs(k, L, batch)) {
    if (panel.length < panelFloats(L.cols))
      throw new RangeError(`forward: panel holds ${panel.length} floats, the ${L.cols}-column layer needs ${panelFloats(L.cols)}`);
    p = panel.ptr;
  }
  if (L.index === 'u16') k.f32_spmm_csr_u16(L.data.ptr, L.indices, L.indptr, L.b.ptr, X.ptr, Y.ptr, L.rows, batch, act, p);
  else k.f32_spmm_csr_u32(L.data.ptr, L.indices, L.indptr, L.b.ptr, X.ptr, Y.ptr, L.rows, batch, act, p);
}

/** A CSR layer on the device (the `uploadCsr` result). */
export type CsrOnDevice = Extract<LayerOnDevice, { format: 'csr' }>;

function checkGradBufs(what: string, L: CsrOnDevice, bufs: [name: string, buf: F32Buf, need: number][], batch: number): void {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`${what}: batch must be a positive integer, got ${batch}`);
  for (const [name, buf, need] of bufs) {
    if (buf.length < need)
      throw new RangeError(`${what}: ${name} holds ${buf.length} values, the ${L.rows}×${L.cols} layer (${L.nnz} nonzeros) at batch ${batch} needs ${need}`);
  }
}

/**
 * Weight gradient of a CSR layer at its nonzeros only: dW[k] = Σ_b dY[r][b]·X[c_k][b] for each
 * nonzero k = (r, c_k), aligned with `L.data`, and db[r] = Σ_b dY[r][b]. dY is rows×batch, X cols×batch.
 */
export function csrWeightGrad(k: Kernels, L: CsrOnDevice, dY: F32Buf, X: F32Buf, dW: F32Buf, db: F32Buf, batch: number): void {
  checkGradBufs(
    'csrWeightGrad',
    L,
    [
      ['dY', dY, L.rows * batch],
      ['X', X, L.cols * batch],
      ['dW', dW, L.nnz],
      ['db', db, L.rows],
    ],
    batch,
  );
  const kernel = L.index === 'u16' ? k.f32_csr_weight_grad_u16 : k.f32_csr_weight_grad_u32;
  kernel(L.indices, L.indptr, dY.ptr, X.ptr, dW.ptr, db.ptr, L.rows, batch);
}

/** Input gradient of a CSR layer: dX[cols×batch] = Wᵀ·dY[rows×batch], by scatter over the nonzeros. */
export function csrInputGrad(k: Kernels, L: CsrOnDevice, dY: F32Buf, dX: F32Buf, batch: number): void {
  checkGradBufs(
    'csrInputGrad',
    L,
    [
      ['dY', dY, L.rows * batch],
      ['dX', dX, L.cols * batch],
    ],
    batch,
  );
  const kernel = L.index === 'u16' ? k.f32_csr_input_grad_u16 : k.f32_csr_input_grad_u32;
  kernel(L.data.ptr, L.indices, L.indptr, dY.ptr, dX.ptr, L.rows, L.cols, batch);
}
