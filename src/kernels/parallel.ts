/**
 * One layer's forward pass split over threads that share one WebAssembly.Memory
 * (shared-memory.ts): the output rows are cut into runs, and each run is one call of the same
 * kernel — the weights' rows, the bias and the output rows offset, the whole input read by all.
 * Every output element is still one kernel's dot product over the same operands in the same
 * order, so the result is bit-identical to one thread's, whatever the split and whoever runs it.
 *
 * The runs are shared out dynamically: the calling thread posts them to a table in a
 * SharedArrayBuffer, wakes the workers (Atomics.notify; a message round trip through an event loop
 * would cost far more), and every thread, the caller included, claims the next run until none is
 * left. On a machine busy with other processes a worker that is not scheduled in time costs at
 * most the run it holds: the others take the rest. Only the calling thread allocates; the workers
 * only run kernels on pointers it gives them.
 */
import { checkActs, type F32Buf, layerForward, type LayerOnDevice, MAX_RUNS, panelFloatsIfPacks, splitRuns } from './checked.js';
import type { ActCode, Kernels } from './types.js';

/** The kernels a thread may be asked to run, by op number. */
export const THREAD_OPS = [
  'f32_gemv',
  'f32_gemm',
  'f32_gemm_scratch',
  'f32_spmv_csr_u16',
  'f32_spmv_csr_u32',
  'f32_spmm_csr_u16',
  'f32_spmm_csr_u32',
  // training's backward products (split-kernels.ts)
  'f32_gemm_tn_rows',
  'f32_gemm_nt_grad',
  'f32_csr_weight_grad_u16',
  'f32_csr_weight_grad_u32',
] as const;
export type ThreadOp = (typeof THREAD_OPS)[number];

/** One kernel call: its name and its integer arguments (pointers and sizes). */
export interface KernelCall {
  op: ThreadOp;
  args: number[];
}

/**
 * The control block, Int32 fields at these offsets. A round's runs are claimed by compare-and-swap
 * on `next`, which holds (round << 16) | index of the next unclaimed run, so a worker that wakes
 * late for an old round cannot claim a run of the new one.
 */
export const LAYOUT = {
  /** The round posted (1…0x7fff, then 1 again); `stop`: leave the loop. */
  round: 0,
  /** (round << 16) | the next run to claim; `closed` while the table is being written. */
  next: 1,
  /** Runs of this round finished. */
  finished: 2,
  /** Set to 1 when a kernel threw. */
  failed: 3,
  /** Runs in this round. */
  count: 4,
  /** Threads taking part in this round: the caller and the workers of slot < active. */
  active: 5,
  /** This round's per-thread scratch: thread `slot` gets scratch + slot · scratchStride (bytes). */
  scratch: 6,
  scratchStride: 7,
  /** A call argument that stands for the running thread's own scratch (the CSR SpMM's panel). */
  ownScratch: -1,
  /** The table: `call` Int32 values per run (the op, as an index into THREAD_OPS, then up to 12 arguments). */
  table: 8,
  call: 13,
  maxCalls: MAX_RUNS,
  /** Per run, after the table: 0 unclaimed, the slot of the worker running it, −1 done (names a worker that stalls). */
  owners: 8 + 13 * 64,
  stop: -1,
  closed: -2,
} as const;

const CONTROL_INTS = LAYOUT.owners + LAYOUT.maxCalls;

/** What a thread is sent once, to start: the shared kernel build, the memory, the control block. */
export interface ThreadInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** The worker's number, 1…threads − 1 (the caller is 0). */
  slot: number;
  ops: readonly string[];
  layout: typeof LAYOUT;
}

/**
 * A worker thread's whole program: instantiate the build on the shared memory, say ready, then
 * sleep until a round is posted, claim and run its runs until none is left — until told to stop.
 * Self-contained (it uses only its arguments and the engine's globals) because it is sent to the
 * thread as source text: `${serveKernels}`.
 */
export function serveKernels(init: ThreadInit, ready: () => void): void {
  const kernels = new WebAssembly.Instance(init.module, { env: { memory: init.memory } }).exports as Record<string, (...a: number[]) => unknown>;
  const c = new Int32Array(init.control);
  const L = init.layout;
  ready();
  let seen = 0;
  for (;;) {
    Atomics.wait(c, L.round, seen);
    seen = Atomics.load(c, L.round);
    if (seen === L.stop) return;
    if (init.slot >= c[L.active]) continue;
    for (let cur = Atomics.load(c, L.next); cur >> 16 === seen && (cur & 0xffff) < c[L.count]; cur = Atomics.load(c, L.next)) {
      if (Atomics.compareExchange(c, L.next, cur, cur + 1) !== cur) continue;
      const at = L.table + (cur & 0xffff) * L.call;
      Atomics.store(c, L.owners + (cur & 0xffff), init.slot);
      try {
        const args = Array.from(c.subarray(at + 1, at + L.call));
        for (let i = 0; i < args.length; i++) if (args[i] === L.ownScratch) args[i] = c[L.scratch] + init.slot * c[L.scratchStride];
        kernels[init.ops[c[at]]].apply(null, args); // no spread: a bundler targeting old engines would call a helper outside this function
      } catch {
        Atomics.store(c, L.failed, 1);
      }
      Atomics.store(c, L.owners + (cur & 0xffff), -1);
      Atomics.add(c, L.finished, 1);
      Atomics.notify(c, L.finished);
    }
  }
}

/** One started thread, as the pool sees it (worker_threads in Node). */
export interface ThreadHandle {
  terminate(): void;
  /** Its exit code once it has exited, else null (left out where the environment does not say). */
  exited?(): number | null;
}

export interface ThreadPool {
  /** Threads computing, the calling one included. */
  readonly threads: number;
  /**
   * Runs the calls (at most LAYOUT.maxCalls) on `threads` threads (default all), the calling one
   * included; returns when all are done. `scratch`: per-thread scratch, `stride` bytes each from
   * `ptr` (thread slot s gets ptr + s·stride), which a call's LAYOUT.ownScratch arguments stand for.
   */
  run(k: Kernels, calls: KernelCall[], threads?: number, scratch?: { ptr: number; stride: number }): void;
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

/** A control block for `createPool` and the threads' `ThreadInit`. */
export function createControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(CONTROL_INTS * 4);
}

export interface PoolOptions {
  /**
   * How long the calling thread waits, with no run finishing, for a worker's run before it fails
   * the round (the worker has exited, been stopped, or hangs): this many ms or 50 × the calling
   * thread's own longest run in the round, whichever is longer. Default 30 000.
   */
  stallMs?: number;
}

/** A pool over started threads that all serve `control`. */
export function createPool(control: SharedArrayBuffer, handles: ThreadHandle[], opts: PoolOptions = {}): ThreadPool {
  const c = new Int32Array(control);
  const block = canBlock();
  const stallMs = opts.stallMs ?? 30_000;
  let round = 0;
  let disposed = false;
  /** Set when a round failed on a stalled worker: its run may still write, so no round may start. */
  let broken: string | null = null;
  return {
    threads: handles.length + 1,
    run(k, calls, threads = handles.length + 1, scratch = { ptr: 0, stride: 0 }) {
      if (disposed) throw new Error('threads: this model was disposed');
      if (broken) throw new Error(broken);
      if (calls.length > LAYOUT.maxCalls) throw new RangeError(`threads: ${calls.length} calls, at most ${LAYOUT.maxCalls} per round`);
      const gone = handles.findIndex((h) => h.exited?.() != null);
      if (gone >= 0) throw new Error(`threads: worker thread ${gone + 1} exited (code ${handles[gone].exited!()}); dispose this model and load it again`);
      // the calling thread is slot 0: its scratch is the first
      const own = (call: KernelCall) => (call.args.includes(LAYOUT.ownScratch) ? call.args.map((a) => (a === LAYOUT.ownScratch ? scratch.ptr : a)) : call.args);
      if (calls.length <= 1 || threads <= 1) {
        for (const call of calls) (k[call.op] as (...args: number[]) => void)(...own(call));
        return;
      }
      // write the table while no run can be claimed, then open the round and wake the workers
      Atomics.store(c, LAYOUT.next, LAYOUT.closed);
      round = round === 0x7fff ? 1 : round + 1;
      calls.forEach((call, i) => {
        const at = LAYOUT.table + i * LAYOUT.call;
        c[at] = THREAD_OPS.indexOf(call.op);
        c.set(call.args, at + 1);
        c.fill(0, at + 1 + call.args.length, at + LAYOUT.call); // a call with fewer arguments reads 0 (no panel), never an earlier call's pointer
        c[LAYOUT.owners + i] = 0;
      });
      c[LAYOUT.count] = calls.length;
      c[LAYOUT.active] = threads;
      c[LAYOUT.scratch] = scratch.ptr;
      c[LAYOUT.scratchStride] = scratch.stride;
      Atomics.store(c, LAYOUT.finished, 0);
      Atomics.store(c, LAYOUT.failed, 0);
      Atomics.store(c, LAYOUT.next, round << 16);
      Atomics.store(c, LAYOUT.round, round);
      Atomics.notify(c, LAYOUT.round);
      // claim runs like any worker, with this thread's own instance; on an error, still wait for
      // the workers' runs: the table must not change under a run in progress
      let error: unknown = null;
      let longest = 0;
      for (let cur = Atomics.load(c, LAYOUT.next); cur >> 16 === round && (cur & 0xffff) < calls.length; cur = Atomics.load(c, LAYOUT.next)) {
        if (Atomics.compareExchange(c, LAYOUT.next, cur, cur + 1) !== cur) continue;
        const call = calls[cur & 0xffff];
        const t0 = performance.now();
        try {
          (k[call.op] as (...args: number[]) => void)(...own(call));
        } catch (e) {
          error ??= e;
        }
        longest = Math.max(longest, performance.now() - t0);
        Atomics.store(c, LAYOUT.owners + (cur & 0xffff), -1);
        Atomics.add(c, LAYOUT.finished, 1);
      }
      // wait for the workers' runs; a worker that exits mid-run never finishes it, and its 'exit'
      // event cannot arrive while this thread blocks: give up after a stall, naming the worker
      const limit = Math.max(stallMs, 50 * longest);
      let since = performance.now();
      for (let done = Atomics.load(c, LAYOUT.finished), seen = done; done < calls.length; done = Atomics.load(c, LAYOUT.finished)) {
        if (done !== seen) [seen, since] = [done, performance.now()];
        else if (performance.now() - since > limit) {
          const stuck = calls.flatMap((_, i) => (c[LAYOUT.owners + i] > 0 ? [c[LAYOUT.owners + i]] : []));
          broken = `threads: worker thread ${stuck.join(', ') || '?'} did not finish its share of a kernel call within ${limit >= 1000 ? `${Math.round(limit / 1000)} s` : `${Math.round(limit)} ms`} (it exited, was stopped, or hangs); dispose and start again`;
          throw new Error(broken);
        }
        if (block) Atomics.wait(c, LAYOUT.finished, done, Math.min(100, limit));
      }
      if (error) throw error;
      if (Atomics.load(c, LAYOUT.failed)) throw new Error('threads: a kernel failed on a worker thread');
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      Atomics.store(c, LAYOUT.round, LAYOUT.stop);
      Atomics.notify(c, LAYOUT.round);
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

/** The row boundaries of a layer cut into `parts` runs: equal rows (dense, in 4-row tiles) or equal nonzeros + rows (CSR). */
export function layerSplit(k: Kernels, L: LayerOnDevice, parts: number): number[] {
  if (L.format === 'dense') return splitRows(L.rows, parts, (r) => r, 4);
  const indptr = new Uint32Array(k.memory.buffer, L.indptr, L.rows + 1);
  return splitRows(L.rows, parts, (r) => indptr[r] + r);
}

/**
 * The kernel calls computing rows [bounds[t], bounds[t+1]) of one layer, one per non-empty run;
 * dense run t uses scratch t of the layer's (a run of its own: runs run at once), or, past them,
 * the plain f32_gemm (the same bits). `panel`: CSR runs pack X into the running thread's own panel.
 */
export function layerCalls(L: LayerOnDevice, bounds: number[], X: F32Buf, Y: F32Buf, batch: number, act: ActCode, panel = false): KernelCall[] {
  const calls: KernelCall[] = [];
  for (let t = 0; t + 1 < bounds.length; t++) {
    const r0 = bounds[t],
      n = bounds[t + 1] - r0;
    if (n === 0) continue;
    const b = L.b.ptr + 4 * r0,
      y = Y.ptr + 4 * r0 * batch;
    if (L.format === 'dense') {
      const W = L.W.ptr + 4 * r0 * L.cols;
      const scratch = L.scratch && 4 * L.cols * (t + 1) <= L.scratch.length ? L.scratch.ptr + 16 * L.cols * t : 0;
      if (batch === 1) calls.push({ op: 'f32_gemv', args: [W, b, X.ptr, y, n, L.cols, act] });
      else if (scratch) calls.push({ op: 'f32_gemm_scratch', args: [W, b, X.ptr, y, n, L.cols, batch, act, scratch] });
      else calls.push({ op: 'f32_gemm', args: [W, b, X.ptr, y, n, L.cols, batch, act] });
    } else {
      const indptr = L.indptr + 4 * r0;
      const op = batch === 1 ? (L.index === 'u16' ? 'f32_spmv_csr_u16' : 'f32_spmv_csr_u32') : L.index === 'u16' ? 'f32_spmm_csr_u16' : 'f32_spmm_csr_u32';
      calls.push({
        op,
        args:
          batch === 1
            ? [L.data.ptr, L.indices, indptr, b, X.ptr, y, n, act]
            : [L.data.ptr, L.indices, indptr, b, X.ptr, y, n, batch, act, panel ? LAYOUT.ownScratch : 0],
      });
    }
  }
  return calls;
}

/**
 * `layerForward` (checked.ts) over `threads` of the pool's threads (default all): the same
 * checks, the same result bit for bit; a layer under MIN_PARALLEL_MADDS runs on the calling thread
 * only. Each layer's split (splitRuns(threads) runs, checked.ts) is computed once and kept.
 */
export function createParallelForward(
  pool: ThreadPool,
  threads = pool.threads,
): (k: Kernels, L: LayerOnDevice, X: F32Buf, Y: F32Buf, batch: number, act: ActCode, panel?: F32Buf | null) => void {
  const splits = new WeakMap<LayerOnDevice, number[]>();
  return (k, L, X, Y, batch, act, panel = null) => {
    const madds = (L.format === 'dense' ? L.rows * L.cols : L.nnz) * batch;
    // a small layer: on this thread, with no split to build (the wrapper cost half a
    // microsecond per layer, as much as a 64-32-10 network's whole CSR forward at batch 4)
    if (madds < MIN_PARALLEL_MADDS) return layerForward(k, L, X, Y, batch, act, panel);
    checkActs(X, Y, L.rows, L.cols, batch);
    let bounds = splits.get(L);
    if (!bounds) splits.set(L, (bounds = layerSplit(k, L, splitRuns(threads))));
    // one panel per thread, not per run: runs go to whichever thread is free
    const floats = panel && L.format === 'csr' ? panelFloatsIfPacks(k, L, batch) : 0;
    if (floats && panel!.length < threads * floats)
      throw new RangeError(`forward: panel holds ${panel!.length} floats, ${threads} threads on the ${L.cols}-column layer need ${threads * floats}`);
    pool.run(k, layerCalls(L, bounds, X, Y, batch, act, floats > 0), threads, floats ? { ptr: panel!.ptr, stride: 4 * floats } : undefined);
  };
}
