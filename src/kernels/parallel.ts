/**
 * One layer's forward pass split over threads that share one WebAssembly.Memory
 * (shared-memory.ts): the output rows are cut into one run per thread, and each thread calls the
 * same kernel on its run — the weights' rows, the bias and the output rows offset, the whole input
 * read by all. Every output element is still one kernel's dot product over the same operands in
 * the same order, so the result is bit-identical to one thread's, whatever the split.
 *
 * Threads wait on a control block in a SharedArrayBuffer (Atomics.wait / Atomics.notify), not on
 * messages: waking a thread costs microseconds, a message round trip through an event loop far
 * more. The calling thread computes the first run itself. Only the calling thread allocates; the
 * threads only run kernels on pointers it gives them.
 */
import { checkActs, type F32Buf, type LayerOnDevice } from './checked.js';
import type { ActCode, Kernels } from './types.js';

/** The kernels a thread may be asked to run, by op number. */
export const THREAD_OPS = ['f32_gemv', 'f32_gemm', 'f32_spmv_csr_u16', 'f32_spmv_csr_u32', 'f32_spmm_csr_u16', 'f32_spmm_csr_u32'] as const;
export type ThreadOp = (typeof THREAD_OPS)[number];

/** One kernel call: its name and its integer arguments (pointers and sizes). */
export interface KernelCall {
  op: ThreadOp;
  args: number[];
}

/** The control block: one slot of `slot` Int32 values per thread, with these fields at these offsets. */
export const LAYOUT = {
  slot: 16,
  /** The number of the call posted to the thread (`stop`: leave the loop). */
  seq: 0,
  /** The number of the call the thread finished. */
  done: 1,
  /** 0, or 1 if the kernel threw. */
  status: 2,
  /** The kernel, as an index into THREAD_OPS. */
  op: 3,
  /** Its arguments (at most 12). */
  args: 4,
  stop: -1,
} as const;

/** What a thread is sent once, to start: the shared kernel build, the memory, the control block, its slot. */
export interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  slot: number;
  ops: readonly string[];
  layout: typeof LAYOUT;
}

/**
 * A thread's whole program: instantiate the build on the shared memory, say ready, then wait for a
 * call, run it, mark it done — until told to stop. Self-contained (it uses only its arguments and
 * the engine's globals) because it is sent to the thread as source text: `${serveKernels}`.
 */
export function serveKernels(init: ThreadInit, ready: () => void): void {
  const kernels = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as Record<string, (...a: number[]) => unknown>;
  const c = new Int32Array(init.control);
  const L = init.layout,
    base = init.slot * L.slot;
  ready();
  let seen = 0;
  for (;;) {
    Atomics.wait(c, base + L.seq, seen);
    seen = Atomics.load(c, base + L.seq);
    if (seen === L.stop) return;
    let status = 0;
    try {
      kernels[init.ops[c[base + L.op]]](...c.subarray(base + L.args, base + L.slot));
    } catch {
      status = 1;
    }
    c[base + L.status] = status;
    Atomics.store(c, base + L.done, seen);
    Atomics.notify(c, base + L.done);
  }
}

/** One started thread, as the pool sees it (worker_threads in Node). */
export interface ThreadHandle {
  terminate(): void;
}

export interface ThreadPool {
  /** Threads computing, the calling one included. */
  readonly threads: number;
  /** Runs the calls at once, the first on the calling thread and one on each other thread; returns when all are done. */
  run(k: Kernels, calls: KernelCall[]): void;
  /** Stops and terminates the threads; `run` throws afterwards. */
  dispose(): void;
}

/** Whether this thread may block in Atomics.wait (browsers forbid it on the main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** A pool over started threads: slot i + 1 of `control` belongs to `handles[i]` (slot 0 is the calling thread's, unused). */
export function createPool(control: SharedArrayBuffer, handles: ThreadHandle[]): ThreadPool {
  const c = new Int32Array(control);
  const block = canBlock();
  let seq = 0;
  let disposed = false;
  return {
    threads: handles.length + 1,
    run(k, calls) {
      if (disposed) throw new Error('threads: this model was disposed');
      if (calls.length > handles.length + 1) throw new RangeError(`threads: ${calls.length} calls for ${handles.length + 1} threads`);
      seq = seq === 0x7fffffff ? 1 : seq + 1;
      for (let t = 1; t < calls.length; t++) {
        const base = t * LAYOUT.slot;
        c[base + LAYOUT.op] = THREAD_OPS.indexOf(calls[t].op);
        c.set(calls[t].args, base + LAYOUT.args);
        Atomics.store(c, base + LAYOUT.seq, seq);
        Atomics.notify(c, base + LAYOUT.seq);
      }
      if (calls.length) (k[calls[0].op] as (...args: number[]) => void)(...calls[0].args);
      let failed = 0;
      for (let t = 1; t < calls.length; t++) {
        const base = t * LAYOUT.slot;
        for (let done = Atomics.load(c, base + LAYOUT.done); done !== seq; done = Atomics.load(c, base + LAYOUT.done)) {
          if (block) Atomics.wait(c, base + LAYOUT.done, done);
        }
        if (c[base + LAYOUT.status]) failed = t;
      }
      if (failed) throw new Error(`threads: kernel ${calls[failed].op} failed on thread ${failed}`);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      for (let t = 1; t <= handles.length; t++) {
        Atomics.store(c, t * LAYOUT.slot + LAYOUT.seq, LAYOUT.stop);
        Atomics.notify(c, t * LAYOUT.slot + LAYOUT.seq);
      }
      for (const h of handles) h.terminate();
    },
  };
}

/**
 * Row boundaries [0, …, rows] cutting `rows` into at most `parts` runs of about equal cost, where
 * `costBefore(r)` is the cost of rows 0…r−1 (non-decreasing); boundaries fall on multiples of
 * `align` (the dense kernels' 4-row tiles) except the last. Runs may be empty when rows are few.
 */
export function splitRows(rows: number, parts: number, costBefore: (r: number) => number = (r) => r, align = 1): number[] {
  const total = costBefore(rows);
  const bounds = [0];
  for (let p = 1; p < parts; p++) {
    const want = (total * p) / parts;
    let lo = bounds[p - 1],
      hi = rows; // first row r with costBefore(r) ≥ want, by bisection
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (costBefore(mid) < want) lo = mid + 1;
      else hi = mid;
    }
    bounds.push(Math.min(rows, Math.max(bounds[p - 1], Math.round(lo / align) * align)));
  }
  bounds.push(rows);
  return bounds;
}

/** Below this many multiply-adds a layer runs on the calling thread alone: waking the others costs more than it saves. */
export const MIN_PARALLEL_MADDS = 1 << 17;

/** The row boundaries of a layer for `parts` threads: equal rows (dense) or equal nonzeros + rows (CSR). */
export function layerSplit(k: Kernels, L: LayerOnDevice, parts: number): number[] {
  if (L.format === 'dense') return splitRows(L.rows, parts, (r) => r, 4);
  const indptr = new Uint32Array(k.memory.buffer, L.indptr, L.rows + 1);
  return splitRows(L.rows, parts, (r) => indptr[r] + r);
}

/** The kernel calls computing rows [bounds[t], bounds[t+1]) of one layer, one per non-empty run. */
export function layerCalls(L: LayerOnDevice, bounds: number[], X: F32Buf, Y: F32Buf, batch: number, act: ActCode): KernelCall[] {
  const calls: KernelCall[] = [];
  for (let t = 0; t + 1 < bounds.length; t++) {
    const r0 = bounds[t],
      n = bounds[t + 1] - r0;
    if (n === 0) continue;
    const b = L.b.ptr + 4 * r0,
      y = Y.ptr + 4 * r0 * batch;
    if (L.format === 'dense') {
      const W = L.W.ptr + 4 * r0 * L.cols;
      calls.push(batch === 1 ? { op: 'f32_gemv', args: [W, b, X.ptr, y, n, L.cols, act] } : { op: 'f32_gemm', args: [W, b, X.ptr, y, n, L.cols, batch, act] });
    } else {
      const indptr = L.indptr + 4 * r0;
      const op = batch === 1 ? (L.index === 'u16' ? 'f32_spmv_csr_u16' : 'f32_spmv_csr_u32') : L.index === 'u16' ? 'f32_spmm_csr_u16' : 'f32_spmm_csr_u32';
      calls.push({
        op,
        args: batch === 1 ? [L.data.ptr, L.indices, indptr, b, X.ptr, y, n, act] : [L.data.ptr, L.indices, indptr, b, X.ptr, y, n, batch, act],
      });
    }
  }
  return calls;
}

/**
 * `layerForward` (checked.ts) over the pool's threads: the same checks, the same result bit for
 * bit; a layer under MIN_PARALLEL_MADDS runs on the calling thread only. The split of each layer
 * is computed once and kept.
 */
export function createParallelForward(pool: ThreadPool): (k: Kernels, L: LayerOnDevice, X: F32Buf, Y: F32Buf, batch: number, act: ActCode) => void {
  const splits = new WeakMap<LayerOnDevice, number[]>();
  return (k, L, X, Y, batch, act) => {
    checkActs(X, Y, L.rows, L.cols, batch);
    const madds = (L.format === 'dense' ? L.rows * L.cols : L.nnz) * batch;
    let bounds = splits.get(L);
    if (!bounds) splits.set(L, (bounds = layerSplit(k, L, pool.threads)));
    pool.run(k, layerCalls(L, madds < MIN_PARALLEL_MADDS ? [0, L.rows] : bounds, X, Y, batch, act));
  };
}
