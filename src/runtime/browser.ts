/**
 * prunekit/runtime in browsers and unknown runtimes (the 'browser' and 'default' export
 * conditions): the SIMD kernel build is embedded as base64. Same API as index.ts.
 */
import { createKernelLoader } from '../kernels/instantiate.js';
import { wasmInline } from '../kernels/wasm-inline.js';
import { createRuntime } from './core.js';

export * from './api.js';

const runtime = createRuntime(createKernelLoader(wasmInline), undefined, 'browsers yet (Node only: worker_threads)');

export const init = runtime.init;
export const loadModel = runtime.loadModel;
export const loadModelSync = runtime.loadModelSync;
