/**
 * Loads the wasm kernels. The best build the engine accepts is picked with `WebAssembly.validate`
 * on the builds themselves: relaxed SIMD (FMA; Node 22+, current browsers, Node 20 with
 * --experimental-wasm-relaxed-simd), else SIMD (f32x4), else scalar. No top-level await, no
 * `node:` imports: this file is part of the edge runtime.
 */
import { Arena } from './arena.js';
import { createReferenceKernels } from './reference.js';
import { WASM_FLAVORS, type KernelFlavor, type WasmFlavor } from './flavors.js';
import type { Kernels } from './types.js';
import { WASM_BASE64 } from './wasm-embedded.js';

export type { WasmFlavor };
const PREFERENCE = WASM_FLAVORS;

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

const bytesCache = new Map<WasmFlavor, Uint8Array>();
/** The embedded bytes of one build. */
export function wasmBytes(flavor: WasmFlavor): Uint8Array {
  let b = bytesCache.get(flavor);
  if (!b) bytesCache.set(flavor, (b = decodeBase64(WASM_BASE64[flavor])));
  return b;
}

/** The flavours this engine can run, best first. */
export function supportedFlavors(): WasmFlavor[] {
  return PREFERENCE.filter((f) => WebAssembly.validate(wasmBytes(f) as BufferSource));
}

export interface LoadOptions {
  /** Force a build ('reference' gives the plain-TS kernels). Default: the best the engine runs. */
  flavor?: KernelFlavor;
  /** A precompiled module (for runtimes that forbid compiling from bytes, e.g. Cloudflare Workers). */
  module?: WebAssembly.Module;
  /** Flavour of `module`, if known (reported as `kernels.flavor`). */
  moduleFlavor?: WasmFlavor;
}

function wrap(instance: WebAssembly.Instance, memory: WebAssembly.Memory, flavor: WasmFlavor): Kernels {
  const e = instance.exports as unknown as Omit<Kernels, 'flavor' | 'memory' | 'alloc' | 'reset' | 'heapTop'>;
  const arena = new Arena(memory);
  return {
    flavor,
    memory,
    f32_gemv: e.f32_gemv,
    f32_gemm: e.f32_gemm,
    f32_spmv_csr_u16: e.f32_spmv_csr_u16,
    f32_spmv_csr_u32: e.f32_spmv_csr_u32,
    f32_spmm_csr_u16: e.f32_spmm_csr_u16,
    f32_spmm_csr_u32: e.f32_spmm_csr_u32,
    f32_act_backward: e.f32_act_backward,
    f32_gemm_tn: e.f32_gemm_tn,
    f32_gemm_nt_grad: e.f32_gemm_nt_grad,
    f32_sgd_masked: e.f32_sgd_masked,
    probe_read_bw: e.probe_read_bw,
    probe_madd_peak: e.probe_madd_peak,
    f32_standardize_transpose: e.f32_standardize_transpose,
    alloc: (bytes) => arena.alloc(bytes),
    reset: (mark) => arena.reset(mark),
    heapTop: () => arena.heapTop(),
  };
}

function imports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return { env: { memory, abort: () => { throw new Error('wasm kernel aborted'); } } };
}

/** Loads kernels asynchronously (works everywhere, including browser main threads). */
export async function loadKernels(opts: LoadOptions = {}): Promise<Kernels> {
  if (opts.flavor === 'reference') return createReferenceKernels();
  const memory = new WebAssembly.Memory({ initial: 2 });
  if (opts.module) {
    const inst = await WebAssembly.instantiate(opts.module, imports(memory));
    return wrap(inst, memory, opts.moduleFlavor ?? 'simd');
  }
  const flavor = pickFlavor(opts.flavor);
  const { instance } = await WebAssembly.instantiate(wasmBytes(flavor) as BufferSource, imports(memory));
  return wrap(instance, memory, flavor);
}

/** Loads kernels synchronously (Node, workers; browsers limit synchronous compiles on the main thread). */
export function loadKernelsSync(opts: LoadOptions = {}): Kernels {
  if (opts.flavor === 'reference') return createReferenceKernels();
  const memory = new WebAssembly.Memory({ initial: 2 });
  const flavor = opts.module ? opts.moduleFlavor ?? 'simd' : pickFlavor(opts.flavor);
  const module = opts.module ?? new WebAssembly.Module(wasmBytes(flavor) as BufferSource);
  return wrap(new WebAssembly.Instance(module, imports(memory)), memory, flavor);
}

function pickFlavor(requested?: KernelFlavor): WasmFlavor {
  const supported = supportedFlavors();
  if (requested && requested !== 'reference') {
    if (!supported.includes(requested)) {
      throw new Error(`kernels: this engine cannot run the '${requested}' build (it runs: ${supported.join(', ')})` +
        (requested === 'relaxed-simd' ? '; on Node 20 start node with --experimental-wasm-relaxed-simd' : ''));
    }
    return requested;
  }
  if (supported.length === 0) throw new Error('kernels: this engine accepts none of the wasm builds');
  return supported[0];
}
