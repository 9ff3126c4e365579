/**
 * prunekit/runtime in browsers and unknown runtimes (the 'browser' and 'default' export
 * conditions): the SIMD kernel build is embedded as base64. Same API as index.ts.
 */
import { createKernelLoader } from '../kernels/instantiate.js';
import { wasmInline } from '../kernels/wasm-inline.js';
import { createRuntime } from './core.js';

export type { Model, Inputs } from './model.js';
export type { ModelInfo, LayerInfo } from '../sparse/info.js';
export type { LoadModelOptions } from './core.js';
export type { WasmFlavor } from '../kernels/instantiate.js';
export { KernelLoadError } from '../kernels/instantiate.js';
export { FormatError } from '../util/safetensors.js';

const runtime = createRuntime(createKernelLoader(wasmInline));

export const init = runtime.init;
export const loadModel = runtime.loadModel;
export const loadModelSync = runtime.loadModelSync;
