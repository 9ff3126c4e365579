/**
 * prunekit/runtime in Workers (the 'workerd' and 'worker' export conditions, as wrangler bundles):
 * the SIMD kernel build is imported as a compiled .wasm module, so `loadModel(bytes)` works with no
 * options where compiling wasm from bytes is forbidden. Same API as index.ts.
 */
import { createKernelLoader } from '../kernels/instantiate.js';
import { wasmModule } from '../kernels/wasm-module.js';
import { createRuntime } from './core.js';

export * from './api.js';

const runtime = createRuntime(createKernelLoader(wasmModule), undefined, 'Workers (one thread per request)');

export const init = runtime.init;
export const loadModel = runtime.loadModel;
export const loadModelSync = runtime.loadModelSync;
