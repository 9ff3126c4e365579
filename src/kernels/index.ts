export * from './types.js';
export { Arena, HEAP_BASE } from './arena.js';
export { createReferenceKernels } from './reference.js';
export { loadKernels, loadKernelsSync, supportedFlavors, wasmBytes, type LoadOptions, type WasmFlavor } from './load.js';
export * from './checked.js';
