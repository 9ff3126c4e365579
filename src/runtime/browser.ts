/**
 * prunekit/runtime in browsers and unknown runtimes (the 'browser' and 'default' export
 * conditions): the SIMD kernel build is embedded as base64. Same API as index.ts.
 */
import { createKernelLoader } from '../kernels/instantiate.js';
import { wasmInline } from '../kernels/wasm-inline.js';
import { createRuntime } from './core.js';

export * from './api.js';

// Threads (Web Workers, cross-origin isolated pages only) are imported on first use: bundlers put them in a chunk of their own.
const runtime = createRuntime(createKernelLoader(wasmInline), async (build, threads) =>
  (await import('../kernels/threads-web.js')).startWebThreads(build, threads),
);

export const init = runtime.init;
export const loadModel = runtime.loadModel;
export const loadModelSync = runtime.loadModelSync;
