/**
 * The runtime's API, built once per environment around that environment's kernel loader
 * (src/runtime/index.ts for Node, Deno and Bun; browser.ts; worker.ts). Every entry exports the
 * same functions with the same types.
 */
import type { KernelLoader, WasmFlavor } from '../kernels/instantiate.js';
import type { ThreadedKernels } from '../kernels/threads.js';
import type { KernelFlavor } from '../kernels/types.js';
import { decodeModel } from '../sparse/format.js';
import { shownValue } from '../util/json.js';
import { type Model, RuntimeModel } from './model.js';

export interface LoadModelOptions {
  /** A precompiled kernel module (default: the one given to `init`, else this environment's build). */
  module?: WebAssembly.Module;
  /** Which build `module` is (reported by `model.flavor`). */
  moduleFlavor?: WasmFlavor;
  /** Force a kernel build; 'reference' runs the plain-TS kernels. Default: the best available. */
  flavor?: KernelFlavor;
  /**
   * When the environment refuses to compile WebAssembly (a Content-Security-Policy without
   * 'wasm-unsafe-eval'): 'error' (default) throws a KernelLoadError that names the fix,
   * 'reference' runs the plain-TypeScript kernels instead (same answers, slower).
   */
  fallback?: 'error' | 'reference';
  /**
   * Run each kernel path once at load, so V8 compiles those wasm functions then rather than on
   * the first call (default false: measured by bench/cold-start.ts, it made a fresh process's load
   * plus first prediction slower and the first prediction itself no faster, as V8 then optimises
   * the JavaScript around the kernels on the next call or two whatever happened before).
   */
  warmUp?: boolean;
  /**
   * Threads a forward pass runs on (default 1). With N > 1, each layer's output rows are split
   * over the calling thread and N − 1 worker threads sharing one WebAssembly memory; the results
   * are bit-identical to one thread's. Node, Deno, Bun (worker_threads, never keeping the process alive)
   * and cross-origin isolated browser pages (Web Workers), through the asynchronous `loadModel`;
   * `model.dispose()` stops them (or, later, garbage collection of the model). Elsewhere it throws,
   * naming why. At most 64 (a layer is cut into at most 64 runs). Only worth it with an idle core
   * per thread: on an idle 2-core machine, 2 threads at batch 64 on 1024-4096-1024 layers ran 1.87×
   * (dense) and 1.92× (CSR, 90% sparse) faster than one (`prunekit bench --threads 1,2 --layers
   * 1024,4096,1024 --sparsity 0,0.9 --batch 64 --runs 20 --json`); on a busy machine, no faster.
   */
  threads?: number;
}

/** Starts threaded kernels from a build's bytes (kernels/threads-node.ts or threads-web.ts, imported on first use). */
export type ThreadStarter = (build: { flavor: WasmFlavor; bytes: Uint8Array }, threads: number) => Promise<ThreadedKernels>;

export interface Runtime {
  /** Sets the kernel module every later `loadModel` uses (for setups that compile the .wasm themselves). */
  init(module: WebAssembly.Module, flavor?: WasmFlavor): void;
  /** Decodes and validates the file (once) and uploads the weights to the kernels. */
  loadModel(input: Uint8Array | ArrayBuffer, opts?: LoadModelOptions): Promise<Model>;
  /** As `loadModel`, synchronously (Node, workers; browsers limit synchronous compiles on the main thread). */
  loadModelSync(input: Uint8Array | ArrayBuffer, opts?: LoadModelOptions): Model;
}

function toBytes(input: Uint8Array | ArrayBuffer): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new TypeError('loadModel: expected the model file as a Uint8Array or an ArrayBuffer');
}

/**
 * The most threads a model runs on: a layer is cut into at most LAYOUT.maxCalls = 64 runs
 * (kernels/parallel.ts, kept out of this module so that bundles load it only with threads).
 */
const MAX_THREADS = 64;

/** The thread count asked for, checked: 1 when none was. `initModule`: a module given to `init`. */
function threadCount(opts: LoadModelOptions, initModule: boolean): number {
  const n = opts.threads ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new RangeError(`loadModel: threads must be a whole number from 1 to ${MAX_THREADS}, got ${shownValue(n)}`);
  }
  if (n > 1 && (opts.module || opts.flavor === 'reference'))
    throw new RangeError("loadModel: threads run the package's own wasm builds; drop the `module` option and flavor 'reference'");
  if (n > 1 && initModule && !opts.flavor)
    throw new RangeError("loadModel: threads run the package's own wasm builds, not the module given to init(); load with threads: 1, or name a flavor");
  return n;
}

/**
 * Stops a threaded model's workers and frees their shared memory once the model is garbage-
 * collected without `dispose()` (which stays the way to release them promptly: collection may come
 * late, or never). The held value is the pool's `dispose`, which does not reference the model.
 */
const orphanedThreads = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<() => void>((dispose) => dispose()) : null;

/**
 * `startThreads`: how this environment starts threaded kernels (the Node and browser entries), or
 * `noThreads`, the environment without them, for the error.
 */
export function createRuntime(loader: KernelLoader, startThreads?: ThreadStarter, noThreads = 'this environment'): Runtime {
  let defaultModule: { module: WebAssembly.Module; flavor?: WasmFlavor } | null = null;

  function kernelOptions(opts: LoadModelOptions) {
    const module = opts.module ?? (opts.flavor ? undefined : defaultModule?.module);
    const moduleFlavor = opts.module ? opts.moduleFlavor : defaultModule?.flavor;
    return { flavor: opts.flavor, module, moduleFlavor, fallback: opts.fallback };
  }

  return {
    init(module, flavor) {
      defaultModule = { module, flavor };
    },
    async loadModel(input, opts = {}) {
      const bytes = toBytes(input);
      const compact = decodeModel(bytes); // validate before any kernel work
      const threads = threadCount(opts, defaultModule !== null);
      if (threads > 1) {
        if (!startThreads) throw new Error(`loadModel: threads are not available in ${noThreads}; load with threads: 1`);
        const t = await startThreads(loader.build(opts.flavor), threads);
        const pool = t.pool;
        const dispose = () => {
          orphanedThreads?.unregister(pool);
          pool.dispose();
        };
        try {
          const model = new RuntimeModel(t.kernels, compact, bytes.length, { count: threads, forward: t.forward, dispose });
          orphanedThreads?.register(model, pool.dispose, pool);
          if (opts.warmUp) model.warmUp();
          return model;
        } catch (e) {
          dispose(); // no model to dispose them later
          throw e;
        }
      }
      const model = new RuntimeModel(await loader.loadKernels(kernelOptions(opts)), compact, bytes.length);
      if (opts.warmUp) model.warmUp();
      return model;
    },
    loadModelSync(input, opts = {}) {
      const bytes = toBytes(input);
      const compact = decodeModel(bytes);
      if (threadCount(opts, defaultModule !== null) > 1) throw new Error('loadModelSync: worker threads start asynchronously; use loadModel for threads > 1');
      const model = new RuntimeModel(loader.loadKernelsSync(kernelOptions(opts)), compact, bytes.length);
      if (opts.warmUp) model.warmUp();
      return model;
    },
  };
}
