/**
 * The kernel build as an imported WebAssembly.Module, for Workers (Cloudflare workerd, and
 * bundlers that follow the 'workerd'/'worker' export conditions the way wrangler does): those
 * runtimes forbid compiling wasm from bytes but compile `.wasm` imports ahead of time. Only the
 * SIMD build is imported (every Worker engine runs it, and it gives bit-identical results on
 * every machine, unlike relaxed SIMD).
 */
import simd from '../../wasm/kernels-simd.wasm';
import type { WasmSource } from './instantiate.js';

export const wasmModule: WasmSource = {
  flavors: ['simd'],
  bytes: () => null,
  module: (flavor) => (flavor === 'simd' ? simd : null),
};
