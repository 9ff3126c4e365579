/**
 * The kernel loader: each build is compiled once per process however many models are loaded
 * (a Worker or a server loading models per request must not recompile), and an environment that
 * refuses to compile wasm (strict CSP, workerd without a module) gets a clear error or, when asked,
 * the plain-TypeScript kernels.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createKernelLoader, KernelLoadError, type WasmSource } from '../src/kernels/instantiate.js';
import { wasmFiles } from '../src/kernels/wasm-files.js';
import { wasmInline } from '../src/kernels/wasm-inline.js';
import { compact } from '../src/compact/compact.js';
import { createMLP } from '../src/nn/model.js';
import { encodeModel } from '../src/sparse/format.js';
import { loadModel, loadModelSync } from '../src/runtime/index.js';
import { nodeKernelLoader } from '../src/kernels/load.js';

afterEach(() => vi.restoreAllMocks());

const modelFile = encodeModel(compact(createMLP({ sizes: [6, 5, 3], activation: 'relu', seed: 2 })).compact);

describe('compiled modules are cached per flavour', () => {
  it('100 loads (async and sync) compile the build once', async () => {
    const compile = vi.spyOn(WebAssembly, 'compile');
    const loader = createKernelLoader(wasmFiles);
    const flavor = loader.supportedFlavors().at(-1)!; // scalar: runs everywhere
    const kernels = [];
    for (let i = 0; i < 50; i++) kernels.push(await loader.loadKernels({ flavor }));
    for (let i = 0; i < 50; i++) kernels.push(loader.loadKernelsSync({ flavor }));
    expect(loader.compileCount).toBe(1);
    expect(compile).toHaveBeenCalledTimes(1);
    // still one instance and one memory per load: models never share kernel memory
    expect(new Set(kernels.map((k) => k.memory)).size).toBe(100);
  });

  it('100 runtime loadModel calls compile each build at most once', async () => {
    const before = nodeKernelLoader.compileCount;
    for (let i = 0; i < 50; i++) await loadModel(modelFile, { flavor: 'simd', warmUp: false });
    for (let i = 0; i < 50; i++) loadModelSync(modelFile, { flavor: 'simd', warmUp: false });
    expect(nodeKernelLoader.compileCount - before).toBeLessThanOrEqual(1);
  });

  it('a source is asked only for the builds it is asked to load', () => {
    const asked: string[] = [];
    const spy: WasmSource = {
      flavors: ['simd'],
      bytes: (f) => {
        asked.push(f);
        return wasmFiles.bytes(f);
      },
    };
    createKernelLoader(spy).loadKernelsSync();
    expect(new Set(asked)).toEqual(new Set(['simd']));
  });
});

describe('an environment that refuses to compile wasm', () => {
  const refuse = () => {
    const err = new WebAssembly.CompileError(
      "WebAssembly.compile(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script in the following Content Security Policy directive",
    );
    vi.spyOn(WebAssembly, 'compile').mockRejectedValue(err);
    // biome-ignore lint/complexity/useArrowFunction: WebAssembly.Module is called with `new`, which an arrow function cannot be
    vi.spyOn(WebAssembly, 'Module').mockImplementation(function () {
      throw err;
    });
  };

  it('gets a KernelLoadError naming the fixes', async () => {
    refuse();
    const loader = createKernelLoader(wasmInline);
    const e = await loader.loadKernels().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KernelLoadError);
    expect((e as Error).name).toBe('KernelLoadError');
    expect((e as Error).message).toMatch(/'wasm-unsafe-eval'.*init\(module\).*fallback: 'reference'/);
    expect(() => loader.loadKernelsSync()).toThrow(KernelLoadError);
  });

  it("falls back to the reference kernels with { fallback: 'reference' }", async () => {
    refuse();
    const loader = createKernelLoader(wasmInline);
    expect((await loader.loadKernels({ fallback: 'reference' })).flavor).toBe('reference');
    expect(loader.loadKernelsSync({ fallback: 'reference' }).flavor).toBe('reference');
  });

  it('other compile failures are not mistaken for a refusal', async () => {
    vi.spyOn(WebAssembly, 'compile').mockRejectedValue(new WebAssembly.CompileError('invalid opcode 0xfd'));
    const loader = createKernelLoader(wasmInline);
    await expect(loader.loadKernels({ fallback: 'reference' })).rejects.toThrow('invalid opcode');
  });

  it('a build this entry does not ship is refused with where to find it', () => {
    expect(() => createKernelLoader(wasmInline).loadKernelsSync({ flavor: 'scalar' })).toThrow(/prunekit\/wasm\/kernels-scalar\.wasm/);
  });
});
