export * from './types.js';
export { KERNEL_FLAVORS, KERNEL_FLAVOR_NAMES, WASM_FLAVORS, type FlavorInfo } from './flavors.js';
export { Arena, HEAP_BASE } from './arena.js';
export { createReferenceKernels } from './reference.js';
export { activate } from './activation.js';
export { createKernelLoader, KernelLoadError, type KernelLoader, type LoadOptions, type WasmFlavor, type WasmSource } from './instantiate.js';
export { loadKernels, loadKernelsSync, supportedFlavors, wasmBytes } from './load.js';
export * from './checked.js';
export { DEFAULT_CROSSOVER, crossoverAt } from './crossover.js';
