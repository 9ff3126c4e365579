/**
 * prunekit/runtime in Workers (the 'workerd' and 'worker' export conditions, as wrangler bundles):
 * the SIMD kernel build is imported as a compiled .wasm module, so `loadModel(bytes)` works with no
 * options where compiling wasm from bytes is forbidden. Same API as index.ts.
 */
import { createKernelLoader } from '../kernels/instantiate.js';
import { wasmModule } from '../kernels/wasm-module.js';
import { createRuntime } from './core.js';

export type { Model, Inputs } from './model.js';
export type { ModelInfo, LayerInfo } from '../sparse/info.js';
export type { LoadModelOptions } from './core.js';
export type { WasmFlavor } from '../kernels/instantiate.js';
export { KernelLoadError } from '../kernels/instantiate.js';
export { FormatError } from '../util/safetensors.js';

const runtime = createRuntime(createKernelLoader(wasmModule));

export const init = runtime.init;
export const loadModel = runtime.loadModel;
export const loadModelSync = runtime.loadModelSync;
