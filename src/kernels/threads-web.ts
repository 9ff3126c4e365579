/**
 * Threads in browsers: Web Workers, each running `serveKernels` from parallel.ts, started from a
 * Blob of its source text, so there is no worker file for the page or its bundler to serve. A
 * browser shares memory between workers only when the page is cross-origin isolated (served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`);
 * elsewhere this throws, naming those headers. Loaded only when a caller asks for threads.
 */
import { serveKernels, type ThreadHandle, type ThreadInit } from './parallel.js';
import { startThreadedKernels, type ThreadedKernels } from './threads.js';
import type { WasmFlavor } from './types.js';

const SOURCE = `onmessage = (e) => { onmessage = null; (${serveKernels})(e.data, () => postMessage('ready')); };`;

/** Starts one Web Worker serving `init.control`; resolves once it is ready. */
function spawnWebThread(init: ThreadInit): Promise<ThreadHandle> {
  const url = URL.createObjectURL(new Blob([SOURCE], { type: 'text/javascript' }));
  const worker = new Worker(url, { name: `prunekit kernels ${init.slot}` });
  return new Promise<ThreadHandle>((resolve, reject) => {
    worker.onerror = (e) => reject(new Error(`threads: worker ${init.slot} failed to start: ${e.message}`));
    worker.onmessage = () => resolve({ terminate: () => worker.terminate() });
    worker.postMessage(init);
  }).finally(() => URL.revokeObjectURL(url));
}

/** Kernels on a shared memory with `threads` − 1 Web Workers beside the calling thread. */
export function startWebThreads(build: { flavor: WasmFlavor; bytes: Uint8Array }, threads: number): Promise<ThreadedKernels> {
  if (typeof SharedArrayBuffer === 'undefined' || !(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) {
    throw new Error(
      'loadModel: threads need shared memory, which this page does not have: it is not cross-origin isolated. ' +
        'Serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, or load with threads: 1',
    );
  }
  if (typeof Worker === 'undefined') throw new Error('loadModel: threads need Web Workers, which this environment does not have; load with threads: 1');
  return startThreadedKernels(build, threads, spawnWebThread);
}
