/**
 * prunekit/runtime — inference on a prunekit model file, in any JavaScript runtime.
 * Import closure: src/kernels + src/sparse only. No `node:` imports, no top-level await; the wasm
 * bytes are embedded (src/kernels/wasm-embedded.ts). Where compiling wasm from bytes is forbidden
 * (Cloudflare Workers), import the .wasm as a `WebAssembly.Module` and pass it to `init` or as
 * the `module` option.
 *
 *   const model = await loadModel(bytes);            // Uint8Array | ArrayBuffer
 *   const labels = model.predict([[5.1, 3.5, 1.4, 0.2]]);
 */
import { loadKernels, loadKernelsSync, type WasmFlavor } from '../kernels/load.js';
import type { KernelFlavor } from '../kernels/types.js';
import { decodeModel } from '../sparse/format.js';
import { type Model, RuntimeModel } from './model.js';

export type { Model, Inputs } from './model.js';
export type { ModelInfo, LayerInfo } from '../sparse/info.js';
export { FormatError } from '../util/safetensors.js';
export { NonFiniteOutputError } from '../util/finite.js';

export interface LoadModelOptions {
  /** A precompiled kernel module (default: the one given to `init`, else the embedded bytes). */
  module?: WebAssembly.Module;
  /** Which build `module` is (reported by `model.flavor`). */
  moduleFlavor?: WasmFlavor;
  /** Force a kernel build; 'reference' runs the plain-TS kernels. Default: the best available. */
  flavor?: KernelFlavor;
  /** Run the kernels a few times at load (default true). */
  warmUp?: boolean;
}

let defaultModule: { module: WebAssembly.Module; flavor?: WasmFlavor } | null = null;

/** Sets the kernel module every later `loadModel` uses (for runtimes that cannot compile bytes). */
export function init(module: WebAssembly.Module, flavor?: WasmFlavor): void {
  defaultModule = { module, flavor };
}

function kernelOptions(opts: LoadModelOptions) {
  const module = opts.module ?? (opts.flavor ? undefined : defaultModule?.module);
  const moduleFlavor = opts.module ? opts.moduleFlavor : defaultModule?.flavor;
  return { flavor: opts.flavor, module, moduleFlavor };
}

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError('loadModel: expected the model file as a Uint8Array or an ArrayBuffer');
}

/** Decodes and validates the file, uploads the weights to the kernels, warms them up. */
export async function loadModel(input: Uint8Array | ArrayBuffer, opts: LoadModelOptions = {}): Promise<Model> {
  const bytes = toBytes(input);
  const compact = decodeModel(bytes); // validate before any kernel work
  const model = new RuntimeModel(await loadKernels(kernelOptions(opts)), compact, bytes.length);
  if (opts.warmUp !== false) model.warmUp();
  return model;
}

/** As `loadModel`, synchronously (Node, workers; browsers limit synchronous compiles on the main thread). */
export function loadModelSync(input: Uint8Array | ArrayBuffer, opts: LoadModelOptions = {}): Model {
  const bytes = toBytes(input);
  const compact = decodeModel(bytes);
  const model = new RuntimeModel(loadKernelsSync(kernelOptions(opts)), compact, bytes.length);
  if (opts.warmUp !== false) model.warmUp();
  return model;
}
