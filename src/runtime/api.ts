/**
 * What every runtime entry (index.ts, browser.ts, worker.ts) exports besides the three functions
 * bound to its kernel loader: the types and the error classes, in one place so the entries agree.
 */
export type { Model, Inputs } from './model.js';
export type { ModelInfo, LayerInfo } from '../sparse/info.js';
export type { LoadModelOptions } from './core.js';
export type { WasmFlavor } from '../kernels/instantiate.js';
export { KernelLoadError } from '../kernels/instantiate.js';
export { FormatError } from '../util/safetensors.js';
export { NonFiniteOutputError } from '../util/finite.js';
