/**
 * Training's products split over threads: a `Kernels` object whose big per-batch products — the
 * forward Y = W·X (dense and CSR), the input gradient dX = Wᵀ·dY and the weight gradient
 * dW = dY·Xᵀ (dense, and at a CSR layer's nonzeros) — are cut into runs of output rows, each run
 * one call of the same kernel on offset pointers, shared out by the pool (parallel.ts). Every
 * output element is still computed by one kernel in the same order, so every result, and a model
 * trained on these kernels, is bit-identical to one thread's. Code written against `Kernels`
 * (nn/network.ts, nn/sparse-layer.ts) runs threaded unchanged. A product under MIN_PARALLEL_MADDS
 * runs on the calling thread alone, as one call.
 */
import { MAX_RUNS, splitRuns } from './checked.js';
import { type KernelCall, MIN_PARALLEL_MADDS, splitRows, type ThreadPool } from './parallel.js';
import type { ActCode, Kernels, Ptr } from './types.js';

type CsrIndex = 'u16' | 'u32';

export interface SplitOptions {
  /** Threads of the pool taking part (default all). */
  threads?: number;
  /** Runs per product (default splitRuns(threads): RUNS_PER_THREAD per thread, at most MAX_RUNS). */
  parts?: number;
  /** Products with fewer multiply-adds run as one call on the calling thread (default MIN_PARALLEL_MADDS). */
  minMadds?: number;
}

/** The kernels of `k` (on the pool's shared memory) with the training products split over the pool's threads. */
export function splitKernels(k: Kernels, pool: ThreadPool, opts: SplitOptions = {}): Kernels {
  const threads = opts.threads ?? pool.threads;
  const parts = Math.min(MAX_RUNS, opts.parts ?? splitRuns(threads));
  const minMadds = opts.minMadds ?? MIN_PARALLEL_MADDS;

  /** Runs `call(r0, n)` for each run of a `rows`-row product cut at `bounds`, over the pool. */
  const run = (bounds: number[], call: (r0: number, n: number) => KernelCall): void => {
    const calls: KernelCall[] = [];
    for (let t = 0; t + 1 < bounds.length; t++) if (bounds[t + 1] > bounds[t]) calls.push(call(bounds[t], bounds[t + 1] - bounds[t]));
    pool.run(k, calls, threads);
  };
  /** Equal rows in 4-row tiles (the dense kernels' tiles), or the whole product as one run when it is small. */
  const denseBounds = (rows: number, madds: number) => (threads > 1 && madds >= minMadds ? splitRows(rows, parts, (r) => r, 4) : [0, rows]);
  /** Equal nonzeros + rows of a CSR pattern (indptr at byte `indptr`, `rows` + 1 entries). */
  const csrBounds = (indptr: Ptr, rows: number, batch: number) => {
    const ip = new Uint32Array(k.memory.buffer, indptr, rows + 1);
    const madds = (ip[rows] - ip[0]) * batch;
    return threads > 1 && madds >= minMadds ? splitRows(rows, parts, (r) => ip[r] - ip[0] + r) : [0, rows];
  };
  const spmm = (index: CsrIndex) => (data: Ptr, indices: Ptr, indptr: Ptr, b: Ptr, X: Ptr, Y: Ptr, out: number, batch: number, act: ActCode) =>
    run(csrBounds(indptr, out, batch), (r0, n) => ({
      op: index === 'u16' ? 'f32_spmm_csr_u16' : 'f32_spmm_csr_u32',
      args: [data, indices, indptr + 4 * r0, b + 4 * r0, X, Y + 4 * r0 * batch, n, batch, act, 0], // training's products take no panel (not measured there)
    }));
  const spmv = (index: CsrIndex) => (data: Ptr, indices: Ptr, indptr: Ptr, b: Ptr, x: Ptr, y: Ptr, out: number, act: ActCode) =>
    run(csrBounds(indptr, out, 1), (r0, n) => ({
      op: index === 'u16' ? 'f32_spmv_csr_u16' : 'f32_spmv_csr_u32',
      args: [data, indices, indptr + 4 * r0, b + 4 * r0, x, y + 4 * r0, n, act],
    }));
  // dW at the nonzeros: the values of row r are at dW[indptr[r]…], absolute, so only indptr, dY and db move
  const csrWeightGrad = (index: CsrIndex) => (indices: Ptr, indptr: Ptr, dY: Ptr, X: Ptr, dW: Ptr, db: Ptr, out: number, batch: number) =>
    run(csrBounds(indptr, out, batch), (r0, n) => ({
      op: index === 'u16' ? 'f32_csr_weight_grad_u16' : 'f32_csr_weight_grad_u32',
      args: [indices, indptr + 4 * r0, dY + 4 * r0 * batch, X, dW, db + 4 * r0, n, batch],
    }));

  return {
    ...k,
    f32_gemv: (W, b, x, y, out, inn, act) =>
      run(denseBounds(out, out * inn), (r0, n) => ({ op: 'f32_gemv', args: [W + 4 * r0 * inn, b + 4 * r0, x, y + 4 * r0, n, inn, act] })),
    f32_gemm: (W, b, X, Y, out, inn, batch, act) =>
      run(denseBounds(out, out * inn * batch), (r0, n) => ({
        op: 'f32_gemm',
        args: [W + 4 * r0 * inn, b + 4 * r0, X, Y + 4 * r0 * batch, n, inn, batch, act],
      })),
    // dX's rows are W's columns, strided in W: the _rows kernel takes the whole W and the row range
    f32_gemm_tn: (W, dY, dX, out, inn, batch) =>
      run(denseBounds(inn, out * inn * batch), (c0, n) => ({ op: 'f32_gemm_tn_rows', args: [W, dY, dX, out, inn, batch, c0, n] })),
    f32_gemm_nt_grad: (dY, X, dW, db, out, inn, batch) =>
      run(denseBounds(out, out * inn * batch), (r0, n) => ({
        op: 'f32_gemm_nt_grad',
        args: [dY + 4 * r0 * batch, X, dW + 4 * r0 * inn, db + 4 * r0, n, inn, batch],
      })),
    f32_spmm_csr_u16: spmm('u16'),
    f32_spmm_csr_u32: spmm('u32'),
    f32_spmv_csr_u16: spmv('u16'),
    f32_spmv_csr_u32: spmv('u32'),
    f32_csr_weight_grad_u16: csrWeightGrad('u16'),
    f32_csr_weight_grad_u32: csrWeightGrad('u32'),
  };
}
