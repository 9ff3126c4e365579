/**
 * Kernels on a shared memory with a pool of threads around them, the same in every environment
 * that has threads; the environment only says how to start one (threads-node.ts: worker_threads).
 * The build is the shipped one with its memory import declared shared (shared-memory.ts), compiled
 * once per flavour; the calling thread and every worker instantiate it on the one memory.
 */
import { wrap } from './instantiate.js';
import {
  createControl,
  createParallelForward,
  createPool,
  LAYOUT,
  type PoolOptions,
  THREAD_OPS,
  type ThreadHandle,
  type ThreadInit,
  type ThreadPool,
} from './parallel.js';
import { createSharedMemory, withSharedMemoryImport } from './shared-memory.js';
import type { Kernels, WasmFlavor } from './types.js';

/** Starts one thread that runs `serveKernels(init, …)`; resolves once it has instantiated the build. */
export type SpawnThread = (init: ThreadInit) => Promise<ThreadHandle>;

export interface ThreadedKernels {
  /** The calling thread's kernels, on the shared memory (allocate through these only). */
  kernels: Kernels;
  pool: ThreadPool;
  /** `layerForward` (checked.ts) split over the pool. */
  forward: ReturnType<typeof createParallelForward>;
}

const compiled = new Map<WasmFlavor, WebAssembly.Module>();

/** Kernels for `threads` threads (the caller and threads − 1 workers) from one build's bytes. */
export async function startThreadedKernels(
  build: { flavor: WasmFlavor; bytes: Uint8Array },
  threads: number,
  spawn: SpawnThread,
  opts: PoolOptions = {},
): Promise<ThreadedKernels> {
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads: expected a whole number ≥ 1, got ${threads}`);
  let module = compiled.get(build.flavor);
  if (!module) compiled.set(build.flavor, (module = await WebAssembly.compile(withSharedMemoryImport(build.bytes) as BufferSource)));
  const memory = createSharedMemory();
  const kernels = wrap(await WebAssembly.instantiate(module, { env: { memory } }), memory, build.flavor);
  const control = createControl();
  const started = await Promise.allSettled(
    Array.from({ length: threads - 1 }, (_, i) => spawn({ module, memory, control, slot: i + 1, ops: THREAD_OPS, layout: LAYOUT })),
  );
  const handles = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const h of handles) h.terminate();
    throw failed.reason;
  }
  const pool = createPool(control, handles, opts);
  return { kernels, pool, forward: createParallelForward(pool) };
}
