/**
 * The one interface every kernel backend implements: the WebAssembly builds (SIMD, relaxed-SIMD,
 * scalar) and the plain-TypeScript reference. Kernels take byte offsets ("pointers") into the
 * backend's linear memory and integer sizes only; they never allocate and never validate.
 * Validation happens once, in TypeScript, before a pointer reaches a kernel (see `checked.ts`).
 *
 * Layout conventions:
 * - weights are row-major `out × in` (`y = W x + b`); a CSR row is one output neuron;
 * - batched activations are feature-major: `X[feature][sample]`, i.e. `features × batch`,
 *   so dense and CSR kernels both vectorise across the batch.
 */

/** Activation codes shared by TypeScript and AssemblyScript (`assembly/common.ts`). */
export const Act = {
  identity: 0,
  relu: 1,
  tanh: 2,
  logistic: 3,
} as const;
export type ActName = keyof typeof Act;
export type ActCode = (typeof Act)[ActName];

import type { KernelFlavor } from './flavors.js';

export type { KernelFlavor, WasmFlavor } from './flavors.js';

/** A pointer: a byte offset into `Kernels.memory`. */
export type Ptr = number;

export interface Kernels {
  readonly flavor: KernelFlavor;
  /** The linear memory the pointers index. Its buffer is replaced when it grows: never cache views. */
  readonly memory: WebAssembly.Memory;

  // ---- forward ---------------------------------------------------------------------------
  /** y[out] = act(W[out×in] · x[in] + b[out]). Batch-1 dense (GEMV). */
  f32_gemv(W: Ptr, b: Ptr, x: Ptr, y: Ptr, out: number, inn: number, act: ActCode): void;
  /** Y[out×batch] = act(W[out×in] · X[in×batch] + b[out]), activations feature-major. */
  f32_gemm(W: Ptr, b: Ptr, X: Ptr, Y: Ptr, out: number, inn: number, batch: number, act: ActCode): void;
  /**
   * `f32_gemm`, the same bits, each 4-row block of W first copied into `scratch` (16·inn bytes, written) with the four
   * rows' k-th weights side by side; faster from 8 samples on (the inference forward pass: checked.ts, `layerForward`).
   */
  f32_gemm_scratch(W: Ptr, b: Ptr, X: Ptr, Y: Ptr, out: number, inn: number, batch: number, act: ActCode, scratch: Ptr): void;
  /**
   * y[out] = act(A·x + b) with A in CSR (data f32[nnz], indices u16[nnz], indptr u32[out+1]). y must not overlap x:
   * the rows are summed first and the activation applied in one pass after them.
   */
  f32_spmv_csr_u16(data: Ptr, indices: Ptr, indptr: Ptr, b: Ptr, x: Ptr, y: Ptr, out: number, act: ActCode): void;
  /** As `f32_spmv_csr_u16` with u32 column indices. */
  f32_spmv_csr_u32(data: Ptr, indices: Ptr, indptr: Ptr, b: Ptr, x: Ptr, y: Ptr, out: number, act: ActCode): void;
  /**
   * Y[out×batch] = act(A · X[in×batch] + b), A in CSR with u16 indices; vectorised over the batch.
   * `panel`: 0, or scratch of 64 bytes per column of A (written), into which the SIMD builds copy
   * 16 samples of X at a time where that pays (`layerForward` decides; the same bits either way).
   */
  f32_spmm_csr_u16(data: Ptr, indices: Ptr, indptr: Ptr, b: Ptr, X: Ptr, Y: Ptr, out: number, batch: number, act: ActCode, panel: Ptr): void;
  /** As `f32_spmm_csr_u16` with u32 column indices. */
  f32_spmm_csr_u32(data: Ptr, indices: Ptr, indptr: Ptr, b: Ptr, X: Ptr, Y: Ptr, out: number, batch: number, act: ActCode, panel: Ptr): void;

  // ---- backward --------------------------------------------------------------------------
  /** dZ[n] = dY[n] · act'(·), computed from the activation's output Y (in place allowed: dZ = dY). */
  f32_act_backward(dY: Ptr, Y: Ptr, dZ: Ptr, n: number, act: ActCode): void;
  /** dX[in×batch] = Wᵀ[in×out] · dY[out×batch]  (the product written out as `dX = dY·W` per sample). */
  f32_gemm_tn(W: Ptr, dY: Ptr, dX: Ptr, out: number, inn: number, batch: number): void;
  /** Rows [c0, c0+n) of `f32_gemm_tn`'s dX alone, bit for bit as the whole call writes them when c0 and c0+n are multiples of 4 (or c0+n = inn). */
  f32_gemm_tn_rows(W: Ptr, dY: Ptr, dX: Ptr, out: number, inn: number, batch: number, c0: number, n: number): void;
  /** dW[out×in] = dY[out×batch] · Xᵀ[batch×in]  and  db[out] = Σ_batch dY. Overwrites dW and db. */
  f32_gemm_nt_grad(dY: Ptr, X: Ptr, dW: Ptr, db: Ptr, out: number, inn: number, batch: number): void;
  /**
   * Masked SGD step on n parameters (PyTorch's convention for momentum and Nesterov):
   *   g ← g + wd·w;  v ← μ·v + g;  step = nesterov ? g + μ·v : v;  w ← w − lr·step;
   * then, where mask[i] == 0 (mask is f32 0/1, or pointer 0 for "no mask"), w[i] = v[i] = +0 exactly.
   */
  f32_sgd_masked(w: Ptr, v: Ptr, g: Ptr, mask: Ptr, n: number, lr: number, momentum: number, wd: number, nesterov: number): void;
  /**
   * Movement scores (Sanh et al. 2020), one step: S[i] ← S[i] − W[i]·G[i] over n weights, in f64 and
   * rounded once to f32 — bit for bit JavaScript's `S[i] -= W[i] * G[i]` on Float32Arrays.
   */
  f32_movement_step(S: Ptr, W: Ptr, G: Ptr, n: number): void;
  /** Σ g[i]² over the n entries with mask[i] ≠ 0 (mask pointer 0: all), accumulated in f64 (in any order). */
  f32_sum_squares_masked(g: Ptr, mask: Ptr, n: number): number;
  /** `f32_movement_step` at the nonzeros of a CSR W (u16 indices): S[r·in + c] ← S[r·in + c] − data[q]·grad[q]; S is out × in. */
  f32_csr_movement_u16(S: Ptr, data: Ptr, grad: Ptr, indices: Ptr, indptr: Ptr, out: number, inn: number): void;
  /** As `f32_csr_movement_u16` with u32 column indices. */
  f32_csr_movement_u32(S: Ptr, data: Ptr, grad: Ptr, indices: Ptr, indptr: Ptr, out: number, inn: number): void;

  // ---- sparse training (W in CSR: data f32[nnz], indices u16/u32[nnz], indptr u32[out+1]) ----------
  /** dW[k] = Σ_b dY[r][b]·X[indices[k]][b] for each nonzero k of row r (nnz values, aligned with the CSR data);
   *  db[r] = Σ_b dY[r][b]. A sampled dense–dense product: the weight gradient only where W has nonzeros. */
  f32_csr_weight_grad_u16(indices: Ptr, indptr: Ptr, dY: Ptr, X: Ptr, dW: Ptr, db: Ptr, out: number, batch: number): void;
  /** As `f32_csr_weight_grad_u16` with u32 column indices. */
  f32_csr_weight_grad_u32(indices: Ptr, indptr: Ptr, dY: Ptr, X: Ptr, dW: Ptr, db: Ptr, out: number, batch: number): void;
  /** dX[in×batch] = Wᵀ·dY[out×batch] by scatter over the nonzeros of W (CSR, u16 indices). Overwrites dX. */
  f32_csr_input_grad_u16(data: Ptr, indices: Ptr, indptr: Ptr, dY: Ptr, dX: Ptr, out: number, inn: number, batch: number): void;
  /** As `f32_csr_input_grad_u16` with u32 column indices. */
  f32_csr_input_grad_u32(data: Ptr, indices: Ptr, indptr: Ptr, dY: Ptr, dX: Ptr, out: number, inn: number, batch: number): void;
  /** dst[k] = src[perm[k]] for k < n (perm u32): refreshes a transposed CSR copy's values after a step. */
  f32_gather_u32(src: Ptr, perm: Ptr, dst: Ptr, n: number): void;

  // ---- machine-limit probes (src/report/machine.ts) -------------------------------------------
  /** Σ over `reps` passes of the f32 values in [p, p + bytes); bytes a multiple of 128. Times read bandwidth. */
  probe_read_bw(p: Ptr, bytes: number, reps: number): number;
  /** Σ of 10 accumulators c_ij += s_i·x_j over `iters` steps whose operands come from a 1 KiB ring at p
   *  (step i reads the 32 bytes at p + 32·(i mod 32): x_0 = f32[0..3], x_1 = f32[4..7], s = f32[0,1,2,3,5]).
   *  f32x4 in the SIMD builds (80 flops per step), scalar lane 0 only in the scalar build (20). Times the mul-add peak. */
  probe_madd_peak(p: Ptr, iters: number): number;

  // ---- layout ---------------------------------------------------------------------------
  /**
   * dst[f][s] = (src[s][f] − mean[f]) · inv[f]: the caller's row-major samples [n × F] to
   * standardised feature-major activations [F × n]. Returns 1 if any src value is NaN or ±Inf.
   */
  f32_standardize_transpose(src: Ptr, dst: Ptr, mean: Ptr, inv: Ptr, n: number, F: number): number;

  // ---- memory ----------------------------------------------------------------------------
  /** Allocate `bytes` bytes, 64-byte aligned, zero-filled. Never freed individually (see Arena.reset). */
  alloc(bytes: number): Ptr;
  /** Release everything allocated after `mark` (a value previously returned by `heapTop`). */
  reset(mark: Ptr): void;
  /** Current top of the heap, for `reset`. */
  heapTop(): Ptr;
}
