/**
 * prunekit/runtime — inference on a prunekit model file, in any JavaScript runtime.
 *
 *   const model = await loadModel(bytes);            // Uint8Array | ArrayBuffer
 *   const labels = model.predict([[5.1, 3.5, 1.4, 0.2]]);
 *
 * One entry per environment, chosen by the package's export conditions; all export the same API:
 * - this file (Node, Deno, Bun: the 'node' condition) reads one wasm build from the package's
 *   wasm/ folder;
 * - worker.ts ('workerd', 'worker') imports the .wasm as a module, so Workers need no options;
 * - browser.ts ('browser', 'default') embeds the SIMD build as base64.
 * Import closure: src/kernels + src/sparse only; no top-level await.
 */
import { nodeKernelLoader } from '../kernels/load.js';
import { createRuntime } from './core.js';

export * from './api.js';

// The threaded kernels are imported on first use only (and kept out of the bundled dist/runtime/node.js).
const runtime = createRuntime(nodeKernelLoader, async (build, threads) => (await import('../kernels/threads-node.js')).startNodeThreads(build, threads));

/** Sets the kernel module every later `loadModel` uses. */
export const init = runtime.init;
/**
 * Decodes and validates the file (once) and uploads the weights to the kernels. In Node, Deno and
 * Bun the kernels are compiled synchronously even here: a 10 KB module compiles in well under a
 * millisecond, while the asynchronous compile's round trips through the event loop and a
 * background thread made a cold start slower (bench/cold-start.ts). Errors still reject the promise.
 */
export const loadModel: typeof runtime.loadModel = async (input, opts) =>
  (opts?.threads ?? 1) === 1 ? runtime.loadModelSync(input, opts) : runtime.loadModel(input, opts);
/** As `loadModel`, synchronously. */
export const loadModelSync = runtime.loadModelSync;
