/**
 * Turns a kernel build into a `Kernels` object, the same way in every JavaScript runtime. Where
 * the wasm comes from is the caller's business (a `WasmSource`): files read from the package in
 * Node, Deno and Bun (`wasm-files.ts`), a `.wasm` module import in Workers (`wasm-module.ts`),
 * embedded base64 in browsers (`wasm-inline.ts`). One build is read, never all three.
 *
 * Each build is compiled once per process and the `WebAssembly.Module` cached: every later load
 * only instantiates it (a fresh memory and instance per model). No `node:` imports, no top-level
 * await: this file is part of the edge runtime.
 */
import { Arena } from './arena.js';
import { createReferenceKernels } from './reference.js';
import { KERNEL_FLAVOR_NAMES, WASM_FLAVORS, type WasmFlavor } from './flavors.js';
import type { KernelFlavor, Kernels } from './types.js';

export type { WasmFlavor };

/** Best first, as src/kernels/flavors.ts lists them: relaxed SIMD (fused multiply-add), SIMD (f32x4), scalar. */
export const WASM_PREFERENCE: readonly WasmFlavor[] = WASM_FLAVORS;

/** Where the kernel builds come from in one environment. */
export interface WasmSource {
  /** The builds this source can give, best first. */
  readonly flavors: readonly WasmFlavor[];
  /** Bytes of one build (null if this source has none, e.g. a Worker's imported module). */
  bytes(flavor: WasmFlavor): Uint8Array | null;
  /** An already compiled build, if the environment provides one (Workers import `.wasm` as modules). */
  module?(flavor: WasmFlavor): WebAssembly.Module | null;
}

export interface LoadOptions {
  /** Force a build ('reference' gives the plain-TS kernels). Default: the best the engine runs. */
  flavor?: KernelFlavor;
  /** A precompiled module (for runtimes that forbid compiling from bytes). */
  module?: WebAssembly.Module;
  /** Flavour of `module`, if known (reported as `kernels.flavor`). */
  moduleFlavor?: WasmFlavor;
  /**
   * What to do when the engine refuses to compile WebAssembly (a Content-Security-Policy without
   * 'wasm-unsafe-eval', an embedder that forbids code generation): 'error' (default) throws a
   * `KernelLoadError` naming the fix; 'reference' runs the plain-TypeScript kernels instead (same
   * answers, several times slower).
   */
  fallback?: 'error' | 'reference';
}

/** The kernels could not be loaded; the message says why and what to do. */
export class KernelLoadError extends Error {
  override name = 'KernelLoadError';
}

export interface KernelLoader {
  loadKernels(opts?: LoadOptions): Promise<Kernels>;
  loadKernelsSync(opts?: LoadOptions): Kernels;
  /** The flavours this engine can run from this source, best first. */
  supportedFlavors(): WasmFlavor[];
  /** How many times this loader has compiled wasm (each build at most once; for tests). */
  readonly compileCount: number;
  /** The bytes of the build `loadKernels` would pick for `flavor` (the threaded kernels rewrite them: shared-memory.ts). */
  build(flavor?: KernelFlavor): { flavor: WasmFlavor; bytes: Uint8Array };
}

/** The `Kernels` object over one instance of a build and its memory. */
export function wrap(instance: WebAssembly.Instance, memory: WebAssembly.Memory, flavor: WasmFlavor): Kernels {
  const e = instance.exports as unknown as Omit<Kernels, 'flavor' | 'memory' | 'alloc' | 'reset' | 'heapTop'>;
  const arena = new Arena(memory);
  return {
    flavor,
    memory,
    f32_gemv: e.f32_gemv,
    f32_gemm: e.f32_gemm,
    f32_gemm_scratch: e.f32_gemm_scratch,
    f32_spmv_csr_u16: e.f32_spmv_csr_u16,
    f32_spmv_csr_u32: e.f32_spmv_csr_u32,
    f32_spmm_csr_u16: e.f32_spmm_csr_u16,
    f32_spmm_csr_u32: e.f32_spmm_csr_u32,
    f32_act_backward: e.f32_act_backward,
    f32_gemm_tn: e.f32_gemm_tn,
    f32_gemm_tn_rows: e.f32_gemm_tn_rows,
    f32_gemm_nt_grad: e.f32_gemm_nt_grad,
    f32_sgd_masked: e.f32_sgd_masked,
    f32_movement_step: e.f32_movement_step,
    f32_sum_squares_masked: e.f32_sum_squares_masked,
    f32_csr_movement_u16: e.f32_csr_movement_u16,
    f32_csr_movement_u32: e.f32_csr_movement_u32,
    f32_csr_weight_grad_u16: e.f32_csr_weight_grad_u16,
    f32_csr_weight_grad_u32: e.f32_csr_weight_grad_u32,
    f32_csr_input_grad_u16: e.f32_csr_input_grad_u16,
    f32_csr_input_grad_u32: e.f32_csr_input_grad_u32,
    f32_gather_u32: e.f32_gather_u32,
    probe_read_bw: e.probe_read_bw,
    probe_madd_peak: e.probe_madd_peak,
    f32_standardize_transpose: e.f32_standardize_transpose,
    alloc: (bytes) => arena.alloc(bytes),
    reset: (mark) => arena.reset(mark),
    heapTop: () => arena.heapTop(),
  };
}

function imports(memory: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm kernel aborted');
      },
    },
  };
}

/**
 * True for the engine's refusal to compile (not a broken build): browsers throw a CompileError or
 * EvalError mentioning 'unsafe-eval' / CSP; workerd says "Wasm code generation disallowed by embedder".
 */
function isCodegenRefusal(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /unsafe-eval|Content Security Policy|disallowed by embedder|code generation/i.test(msg);
}

function refusal(e: unknown): KernelLoadError {
  const why = e instanceof Error ? e.message : String(e);
  return new KernelLoadError(
    `kernels: this environment refuses to compile WebAssembly (${why}). Fix one of: ` +
      `allow it in the Content-Security-Policy with script-src 'wasm-unsafe-eval'; ` +
      `in a Worker, import the package with the 'workerd'/'worker' export condition (wrangler does) or pass an imported ` +
      `.wasm module (prunekit/wasm/kernels-simd.wasm) to init(module); ` +
      `or pass { fallback: 'reference' } to run the plain-TypeScript kernels (slower).`,
  );
}

export function createKernelLoader(source: WasmSource): KernelLoader {
  const modules = new Map<WasmFlavor, WebAssembly.Module>(); // compiled once per flavour
  let supported: WasmFlavor[] | null = null;
  let compiles = 0;

  function supportedFlavors(): WasmFlavor[] {
    return (supported ??= source.flavors.filter((f) => {
      if (source.module?.(f)) return true;
      const b = source.bytes(f);
      return b !== null && WebAssembly.validate(b as BufferSource);
    }));
  }

  function pick(requested?: KernelFlavor): WasmFlavor {
    const ok = supportedFlavors();
    if (requested && requested !== 'reference') {
      if (!(KERNEL_FLAVOR_NAMES as string[]).includes(requested)) {
        throw new KernelLoadError(`kernels: there is no '${requested}' build (the flavours are ${KERNEL_FLAVOR_NAMES.join(', ')})`);
      }
      if (!ok.includes(requested)) {
        const have = source.flavors.includes(requested);
        throw new KernelLoadError(
          `kernels: ${have ? 'this engine cannot run' : 'this build of the runtime does not include'} the '${requested}' build (it runs: ${ok.join(', ') || 'none'})` +
            (requested === 'relaxed-simd' && have ? '; on Node 20 start node with --experimental-wasm-relaxed-simd' : '') +
            (!have ? `; load prunekit/wasm/kernels-${requested}.wasm yourself and pass it as { module, moduleFlavor: '${requested}' }` : ''),
        );
      }
      return requested;
    }
    if (ok.length === 0) {
      throw new KernelLoadError(
        `kernels: this engine accepts none of the wasm builds (${source.flavors.join(', ')}); ` +
          `pass { flavor: 'reference' } for the plain-TypeScript kernels, or load prunekit/wasm/kernels-scalar.wasm and pass it as { module, moduleFlavor: 'scalar' }`,
      );
    }
    return ok[0];
  }

  function cachedOrProvided(flavor: WasmFlavor): WebAssembly.Module | undefined {
    return modules.get(flavor) ?? source.module?.(flavor) ?? undefined;
  }

  function bytesOf(flavor: WasmFlavor): Uint8Array {
    const b = source.bytes(flavor);
    if (!b) throw new KernelLoadError(`kernels: the '${flavor}' build is not available here`);
    return b;
  }

  async function compile(flavor: WasmFlavor): Promise<WebAssembly.Module> {
    const have = cachedOrProvided(flavor);
    if (have) return have;
    compiles++;
    const m = await WebAssembly.compile(bytesOf(flavor) as BufferSource);
    modules.set(flavor, m);
    return m;
  }

  function compileSync(flavor: WasmFlavor): WebAssembly.Module {
    const have = cachedOrProvided(flavor);
    if (have) return have;
    compiles++;
    const m = new WebAssembly.Module(bytesOf(flavor) as BufferSource);
    modules.set(flavor, m);
    return m;
  }

  /** A refusal to compile becomes a KernelLoadError, or the reference kernels if the caller asked. */
  function fallbackOrThrow(e: unknown, opts: LoadOptions): Kernels {
    if (!isCodegenRefusal(e)) throw e;
    if (opts.fallback === 'reference') return createReferenceKernels();
    throw refusal(e);
  }

  return {
    supportedFlavors,
    build(flavor) {
      if (flavor === 'reference') throw new KernelLoadError("kernels: the 'reference' kernels have no WebAssembly build");
      const picked = pick(flavor);
      return { flavor: picked, bytes: bytesOf(picked) };
    },
    get compileCount() {
      return compiles;
    },

    async loadKernels(opts = {}) {
      if (opts.flavor === 'reference') return createReferenceKernels();
      try {
        const memory = new WebAssembly.Memory({ initial: 2 });
        const flavor = opts.module ? (opts.moduleFlavor ?? 'simd') : pick(opts.flavor);
        const module = opts.module ?? (await compile(flavor));
        return wrap(await WebAssembly.instantiate(module, imports(memory)), memory, flavor);
      } catch (e) {
        return fallbackOrThrow(e, opts);
      }
    },

    loadKernelsSync(opts = {}) {
      if (opts.flavor === 'reference') return createReferenceKernels();
      try {
        const memory = new WebAssembly.Memory({ initial: 2 });
        const flavor = opts.module ? (opts.moduleFlavor ?? 'simd') : pick(opts.flavor);
        const module = opts.module ?? compileSync(flavor);
        return wrap(new WebAssembly.Instance(module, imports(memory)), memory, flavor);
      } catch (e) {
        return fallbackOrThrow(e, opts);
      }
    },
  };
}
