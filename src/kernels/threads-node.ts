/**
 * Threads in Node (and Deno, Bun): worker_threads, each running `serveKernels` from parallel.ts,
 * sent as source text so there is no worker file to locate (in dist/, in a bundle, or in src/
 * under a test runner). Workers are unref'd: they never keep the process alive, and
 * `ThreadPool.dispose` terminates them. Loaded only when a caller asks for threads.
 */
import { Worker } from 'node:worker_threads';
import { type PoolOptions, serveKernels, type ThreadHandle, type ThreadInit } from './parallel.js';
import { startThreadedKernels, type ThreadedKernels } from './threads.js';
import type { WasmFlavor } from './types.js';

/** The worker's program, an ES module whatever flags the process runs with (eval'd source would follow --input-type). */
const SOURCE = new URL(
  `data:text/javascript,${encodeURIComponent(`import { parentPort } from 'node:worker_threads';
parentPort.once('message', (init) => (${serveKernels})(init, () => parentPort.postMessage('ready')));`)}`,
);

/**
 * Starts one worker thread serving `init.control`; resolves once it is ready, rejects if it fails
 * or exits before (so a load never waits on a thread that is gone). The handle says if it exited later.
 */
export function spawnNodeThread(init: ThreadInit, worker: Worker = new Worker(SOURCE, { name: `prunekit kernels ${init.slot}` })): Promise<ThreadHandle> {
  worker.unref();
  let exitCode: number | null = null;
  return new Promise((resolve, reject) => {
    worker.once('error', (e) => reject(new Error(`threads: worker thread ${init.slot} failed to start: ${e.message}`)));
    worker.once('exit', (code) => {
      exitCode = code;
      reject(new Error(`threads: worker thread ${init.slot} exited (code ${code}) before it was ready`)); // no-op once resolved
    });
    worker.once('message', () => resolve({ terminate: () => void worker.terminate(), exited: () => exitCode }));
    worker.postMessage(init);
  });
}

/** Kernels on a shared memory with `threads` − 1 worker threads beside the calling one. */
export function startNodeThreads(build: { flavor: WasmFlavor; bytes: Uint8Array }, threads: number, opts: PoolOptions = {}): Promise<ThreadedKernels> {
  if (typeof SharedArrayBuffer === 'undefined')
    throw new Error(
      'threads share one memory through SharedArrayBuffer, which this process was started without (--no-harmony-sharedarraybuffer); run with 1 thread',
    );
  return startThreadedKernels(build, threads, spawnNodeThread, opts);
}
