/**
 * The library's kernel loader (Node, Deno, Bun): the builds are read from the package's
 * wasm/ folder (wasm-files.ts), compiled once each and cached (instantiate.ts). The best build
 * the engine accepts is picked with `WebAssembly.validate`: relaxed SIMD (FMA; Node 22+, current
 * browsers, Node 20 with --experimental-wasm-relaxed-simd), else SIMD (f32x4), else scalar.
 * The edge runtime has its own loaders per environment (src/runtime/).
 */
import { createKernelLoader, type WasmFlavor } from './instantiate.js';
import { wasmFiles } from './wasm-files.js';

export { KernelLoadError, type LoadOptions, type WasmFlavor } from './instantiate.js';

/** The Node loader (one per process, so each build is compiled once). */
export const nodeKernelLoader = createKernelLoader(wasmFiles);

export const loadKernels = nodeKernelLoader.loadKernels;
export const loadKernelsSync = nodeKernelLoader.loadKernelsSync;
export const supportedFlavors = nodeKernelLoader.supportedFlavors;

/** The bytes of one build. */
export function wasmBytes(flavor: WasmFlavor): Uint8Array {
  return wasmFiles.bytes(flavor)!;
}
