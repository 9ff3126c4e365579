/**
 * Threads: the shared-memory rewrite of a build, the row split, and the forward pass split over
 * worker threads — bit-identical to one thread for dense and CSR (u16, u32) layers of odd shapes,
 * empty rows, batch 1 and odd batches, every activation; then the runtime's `{ threads }` option,
 * its errors, `dispose`, and a process that exits with a threaded model still loaded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { allocF32, type F32Buf, layerForward, type LayerOnDevice, panelFloats, uploadCsr, uploadDense } from '../src/kernels/checked.js';
import { nodeKernelLoader, supportedFlavors, wasmBytes } from '../src/kernels/load.js';
import {
  type KernelCall,
  LAYOUT,
  layerCalls,
  layerSplit,
  MIN_PARALLEL_MADDS,
  splitRows,
  THREAD_OPS,
  type ThreadHandle,
  type ThreadInit,
} from '../src/kernels/parallel.js';
import { createSharedMemory, withSharedMemoryImport } from '../src/kernels/shared-memory.js';
import { startThreadedKernels, type ThreadedKernels } from '../src/kernels/threads.js';
import { spawnNodeThread, startNodeThreads } from '../src/kernels/threads-node.js';
import { Act, type ActCode } from '../src/kernels/types.js';
import { createMLP } from '../src/nn/model.js';
import { createRuntime } from '../src/runtime/core.js';
import { loadModel, loadModelSync } from '../src/runtime/index.js';
import { denseToCsr } from '../src/sparse/csr.js';
import { encodeModel } from '../src/sparse/format.js';
import { rng } from './helpers/rng.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('threads');

describe('withSharedMemoryImport', () => {
  const simd = wasmBytes('simd');

  it('makes a build that links to a shared memory, which the shipped build refuses', () => {
    const memory = createSharedMemory();
    expect(() => new WebAssembly.Instance(new WebAssembly.Module(simd as BufferSource), { env: { memory } })).toThrow(/shared/);
    const shared = new WebAssembly.Module(withSharedMemoryImport(simd) as BufferSource);
    const inst = new WebAssembly.Instance(shared, { env: { memory } });
    expect(Object.keys(inst.exports)).toContain('f32_gemm');
  });

  it('changes only the memory import (limits 0, 1 → 3, 1, 65536) and the import section size', () => {
    const out = withSharedMemoryImport(simd);
    const name = [...'memory'].map((c) => c.charCodeAt(0));
    const find = (b: Uint8Array, seq: number[]) => b.findIndex((_, i) => seq.every((v, j) => b[i + j] === v));
    const i = find(simd, [6, ...name, 2, 0x00, 1]),
      j = find(out, [6, ...name, 2, 0x03, 1, 0x80, 0x80, 0x04]);
    expect(i).toBeGreaterThan(8);
    expect(j).toBe(i);
    const changed = Array.from(out.subarray(0, i)).flatMap((v, at) => (v === simd[at] ? [] : [at]));
    expect(changed).toHaveLength(1); // the import section's size
    expect(out[changed[0]]).toBe(simd[changed[0]] + 3);
    expect(Array.from(out.subarray(j + 13))).toEqual(Array.from(simd.subarray(i + 10)));
  });

  it('falls back to a smaller maximum when the engine cannot reserve 4 GiB, and the rewritten build links to it', () => {
    const tried: number[] = [];
    const memory = createSharedMemory(2, (d) => {
      tried.push(d.maximum!);
      if (d.maximum! > 16384) throw new RangeError('WebAssembly.Memory(): could not allocate memory');
      return new WebAssembly.Memory(d);
    });
    expect(tried).toEqual([65536, 16384]);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(withSharedMemoryImport(simd) as BufferSource), { env: { memory } });
    expect(Object.keys(inst.exports)).toContain('f32_gemm');
    // any other failure, or the last size failing too, is the engine's own error
    expect(() =>
      createSharedMemory(2, () => {
        throw new TypeError('no shared memory here');
      }),
    ).toThrow(TypeError);
    expect(() =>
      createSharedMemory(2, () => {
        throw new RangeError('out of address space');
      }),
    ).toThrow(/out of address space/);
  });

  it('rejects a module without a memory import and one already shared', () => {
    const empty = Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0);
    expect(() => withSharedMemoryImport(empty)).toThrow(/imports no memory/);
    expect(() => withSharedMemoryImport(withSharedMemoryImport(simd))).toThrow(/already imports a shared memory/);
  });
});

describe('splitRows', () => {
  it('covers every row once, in order, with at most `parts` runs', () => {
    for (const [rows, parts] of [
      [0, 2],
      [1, 2],
      [3, 4],
      [10, 3],
      [4096, 2],
      [1001, 7],
    ]) {
      const b = splitRows(rows, parts);
      expect(b).toHaveLength(parts + 1);
      expect(b[0]).toBe(0);
      expect(b.at(-1)).toBe(rows);
      for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThanOrEqual(b[i - 1]);
    }
  });

  it('balances the cost, on `align` boundaries', () => {
    expect(splitRows(4096, 2, (r) => r, 4)).toEqual([0, 2048, 4096]);
    expect(splitRows(10, 2, (r) => r, 4)).toEqual([0, 4, 10]);
    // rows 0–2 hold 90 of 100 units of cost: the first run is rows 0–1
    const before = [0, 30, 60, 90, 95, 100];
    expect(splitRows(5, 2, (r) => before[r])).toEqual([0, 2, 5]);
  });
});

/** A random weight matrix with about `density` nonzeros and every row in `emptyRows` zero. */
function weights(rows: number, cols: number, density: number, seed: number, emptyRows: number[] = []): Float32Array {
  const r = rng(seed);
  const w = Float32Array.from({ length: rows * cols }, () => (r.next() < density ? r.uniform(-1, 1) : 0));
  for (const row of emptyRows) w.fill(0, row * cols, (row + 1) * cols);
  return w;
}

/**
 * Posts one round of calls to the workers as the pool does (LAYOUT in parallel.ts), but claims none
 * on this thread: every run is computed by a worker.
 */
function runOnWorkersOnly(control: SharedArrayBuffer, calls: KernelCall[], round: number, scratch = { ptr: 0, stride: 0 }): void {
  const c = new Int32Array(control);
  c[LAYOUT.scratch] = scratch.ptr;
  c[LAYOUT.scratchStride] = scratch.stride;
  Atomics.store(c, LAYOUT.next, LAYOUT.closed);
  calls.forEach((call, i) => {
    c[LAYOUT.table + i * LAYOUT.call] = THREAD_OPS.indexOf(call.op);
    c.set(call.args, LAYOUT.table + i * LAYOUT.call + 1);
  });
  c[LAYOUT.count] = calls.length;
  c[LAYOUT.active] = 64;
  Atomics.store(c, LAYOUT.finished, 0);
  Atomics.store(c, LAYOUT.next, round << 16);
  Atomics.store(c, LAYOUT.round, round);
  Atomics.notify(c, LAYOUT.round);
  for (let d = Atomics.load(c, LAYOUT.finished); d < calls.length; d = Atomics.load(c, LAYOUT.finished)) Atomics.wait(c, LAYOUT.finished, d);
}

describe.skipIf(!supportedFlavors().includes('simd'))('a layer split over threads', () => {
  const started: { t: ThreadedKernels; control: SharedArrayBuffer }[] = [];
  let round = 0x7000; // past any round the pool itself posts in these tests
  beforeAll(async () => {
    for (const flavor of supportedFlavors()) {
      let control = new SharedArrayBuffer(0);
      const t = await startThreadedKernels({ flavor, bytes: wasmBytes(flavor) }, 3, (init) => {
        control = init.control;
        return spawnNodeThread(init);
      });
      started.push({ t, control });
    }
  });
  afterAll(() => {
    for (const { t } of started) t.pool.dispose();
  });

  /**
   * Runs the layer split into `parts` runs over the pool (forced, whatever its size), then on the
   * workers alone, and on one thread: the outputs must be equal bit for bit.
   */
  function expectSame(s: (typeof started)[number], L: LayerOnDevice, X: F32Buf, batch: number, act: ActCode, parts: number): void {
    const k = s.t.kernels;
    const one = allocF32(k, L.rows * batch),
      pooled = allocF32(k, L.rows * batch),
      workers = allocF32(k, L.rows * batch);
    const bits = (b: F32Buf) => Array.from(new Uint32Array(k.memory.buffer, b.ptr, b.length));
    layerForward(k, L, X, one, batch, act);
    const bounds = layerSplit(k, L, parts);
    for (const out of [pooled, workers]) new Float32Array(k.memory.buffer, out.ptr, out.length).fill(Number.NaN); // a row no thread wrote stays NaN
    s.t.pool.run(k, layerCalls(L, bounds, X, pooled, batch, act));
    runOnWorkersOnly(s.control, layerCalls(L, bounds, X, workers, batch, act), round++);
    expect(bits(pooled)).toEqual(bits(one));
    expect(bits(workers)).toEqual(bits(one));
  }

  it('dense and CSR (u16, u32), odd shapes, empty rows, batch 1 to 67, every activation: bit-identical', () => {
    const shapes: [rows: number, cols: number, density: number][] = [
      [1, 5, 1],
      [7, 13, 0.9],
      [33, 17, 0.3],
      [130, 61, 0.1],
      [9, 300, 0.02],
    ];
    let seed = 1;
    for (const s of started) {
      const k = s.t.kernels;
      const mark = k.heapTop();
      for (const [rows, cols, density] of shapes) {
        const w = weights(rows, cols, density, seed++, rows > 4 ? [0, 3, rows - 1] : []);
        const bias = rng(seed++).f32(rows);
        const layers = [
          uploadDense(k, w, bias, rows, cols),
          uploadCsr(k, denseToCsr(w, rows, cols, 'u16'), bias),
          uploadCsr(k, denseToCsr(w, rows, cols, 'u32'), bias),
        ];
        for (const batch of [1, 3, 16, 67]) {
          const X = allocF32(k, cols * batch, rng(seed++).f32(cols * batch, -2, 2));
          for (const L of layers) for (const act of Object.values(Act)) for (const parts of [2, 5]) expectSame(s, L, X, batch, act, parts);
        }
      }
      k.reset(mark);
    }
  });

  it('dense layers with scratch per run (f32_gemm_scratch), split over 2 and 3 threads: the bits of f32_gemm on one thread', () => {
    let seed = 40;
    for (const s of started) {
      const k = s.t.kernels;
      const mark = k.heapTop();
      const bits = (b: F32Buf) => Array.from(new Uint32Array(k.memory.buffer, b.ptr, b.length));
      for (const [rows, cols] of [
        [1, 1],
        [7, 13],
        [33, 17],
        [130, 61],
        [512, 512], // long enough that runs sharing one scratch would overlap in time
      ]) {
        const w = weights(rows, cols, 0.9, seed++),
          bias = rng(seed++).f32(rows);
        const plain = uploadDense(k, w, bias, rows, cols, 0),
          withScratch = uploadDense(k, w, bias, rows, cols, 4);
        for (const batch of [1, 2, 3, 8, 63, 64, 65]) {
          const X = allocF32(k, cols * batch, rng(seed++).f32(cols * batch, -2, 2));
          const want = allocF32(k, rows * batch),
            got = allocF32(k, rows * batch);
          layerForward(k, plain, X, want, batch, Act.relu);
          for (const threads of [2, 3])
            for (const parts of [2, 6]) {
              // 6 runs: the last two have no scratch of their own and run f32_gemm
              const calls = layerCalls(withScratch, layerSplit(k, withScratch, parts), X, got, batch, Act.relu);
              if (parts === 2) expect(calls.some((c) => c.op === 'f32_gemm_scratch')).toBe(batch > 1 && rows >= 4);
              new Float32Array(k.memory.buffer, got.ptr, got.length).fill(Number.NaN);
              s.t.pool.run(k, calls, threads);
              expect(bits(got), `${k.flavor} ${rows}×${cols} batch ${batch}, ${parts} runs on ${threads} threads`).toEqual(bits(want));
            }
        }
      }
      k.reset(mark);
    }
  });

  it('scratch per run stays within the layer: none under 4 rows, at most ⌈rows/4⌉ runs whatever the thread count', () => {
    const k = started[0].t.kernels;
    const mark = k.heapTop();
    const L = (rows: number, cols: number, runs: number) => uploadDense(k, new Float32Array(rows * cols), new Float32Array(rows), rows, cols, runs);
    const scratchOf = (l: LayerOnDevice) => (l.format === 'dense' ? (l.scratch?.length ?? 0) : -1);
    expect(scratchOf(L(2, 100_000, 64))).toBe(0); // was 4·cols·64 floats: 100 MB for an 800 KB layer
    expect(scratchOf(L(9, 50, 64))).toBe(4 * 50 * 3);
    expect(scratchOf(L(64, 50, 4))).toBe(4 * 50 * 4);
    expect(scratchOf(L(64, 50, 0))).toBe(0);
    k.reset(mark);
  });

  it('a kernel that traps, on the calling thread or a worker, makes the round throw; the pool works afterwards', () => {
    const s = started[0];
    const k = s.t.kernels;
    const bad: KernelCall = { op: 'f32_gemv', args: [0x7ffffff0, 0, 0, 0, 64, 64, 0] }; // weights past the end of memory: a wasm trap
    expect(() => s.t.pool.run(k, [bad, bad, bad, bad])).toThrow();
    runOnWorkersOnly(s.control, [bad, bad], round++);
    expect(Atomics.load(new Int32Array(s.control), LAYOUT.failed)).toBe(1);
    const w = weights(9, 7, 1, 5);
    const L = uploadDense(k, w, rng(6).f32(9), 9, 7);
    expectSame(s, L, allocF32(k, 7 * 5, rng(7).f32(35)), 5, Act.relu, 3);
  });

  it('CSR runs pack X into the panel of the thread running them: the bits of one thread, only the panels written', () => {
    const { t, control } = started[0];
    const k = t.kernels;
    const mark = k.heapTop();
    const rows = 300,
      cols = 784,
      threads = 3;
    const w = weights(rows, cols, 0.1, 41, [7]);
    const L = uploadCsr(k, denseToCsr(w, rows, cols, 'u16'), rng(42).f32(rows));
    const floats = panelFloats(cols);
    for (const batch of [32, 67]) {
      const X = allocF32(k, cols * batch, rng(batch).f32(cols * batch, -2, 2));
      const one = allocF32(k, rows * batch),
        pooled = allocF32(k, rows * batch),
        workers = allocF32(k, rows * batch);
      const panels = allocF32(k, threads * floats + 16);
      const view = () => new Float32Array(k.memory.buffer, panels.ptr, panels.length);
      const bits = (b: F32Buf) => Array.from(new Uint32Array(k.memory.buffer, b.ptr, b.length));
      layerForward(k, L, X, one, batch, Act.relu);
      view().fill(Number.NaN);
      t.forward(k, L, X, pooled, batch, Act.relu, panels);
      expect(bits(pooled)).toEqual(bits(one));
      expect(
        view()
          .subarray(0, threads * floats)
          .some((v) => !Number.isNaN(v)),
      ).toBe(true);
      expect(
        view()
          .subarray(threads * floats)
          .every(Number.isNaN),
      ).toBe(true); // nothing past the last thread's panel
      // on the workers alone: the caller's panel (slot 0) stays untouched, the workers' are used
      view().fill(Number.NaN);
      const calls = layerCalls(L, layerSplit(k, L, 6), X, workers, batch, Act.relu, true);
      runOnWorkersOnly(control, calls, round++, { ptr: panels.ptr, stride: 4 * floats });
      expect(bits(workers)).toEqual(bits(one));
      expect(view().subarray(0, floats).every(Number.isNaN)).toBe(true);
      expect(
        view()
          .subarray(floats, threads * floats)
          .some((v) => !Number.isNaN(v)),
      ).toBe(true);
      expect(() => t.forward(k, L, X, pooled, batch, Act.relu, allocF32(k, threads * floats - 1))).toThrow(/3 threads on the 784-column layer need/);
    }
    // rows whose columns descend: no thread packs (the panels stay untouched), the bits of one thread
    const m = denseToCsr(w, rows, cols, 'u16');
    for (let i = 0; i < rows; i++) {
      m.indices.subarray(m.indptr[i], m.indptr[i + 1]).reverse();
      m.data.subarray(m.indptr[i], m.indptr[i + 1]).reverse();
    }
    const R = uploadCsr(k, m, rng(42).f32(rows));
    const X = allocF32(k, cols * 32, rng(5).f32(cols * 32, -2, 2));
    const one = allocF32(k, rows * 32),
      pooled = allocF32(k, rows * 32),
      panels = allocF32(k, threads * floats);
    new Float32Array(k.memory.buffer, panels.ptr, panels.length).fill(Number.NaN);
    layerForward(k, R, X, one, 32, Act.relu);
    t.forward(k, R, X, pooled, 32, Act.relu, panels);
    expect(Array.from(new Uint32Array(k.memory.buffer, pooled.ptr, pooled.length))).toEqual(Array.from(new Uint32Array(k.memory.buffer, one.ptr, one.length)));
    expect(new Float32Array(k.memory.buffer, panels.ptr, panels.length).every(Number.isNaN)).toBe(true);
    k.reset(mark);
  });

  it('the pooled forward runs a layer below MIN_PARALLEL_MADDS on the calling thread, above it on all, equal either way', () => {
    const { t } = started[0];
    const k = t.kernels;
    const rows = 257,
      cols = 129,
      batch = 64;
    expect(rows * cols * batch).toBeGreaterThan(MIN_PARALLEL_MADDS);
    const w = weights(rows, cols, 0.5, 99, [5]);
    const L = uploadDense(k, w, rng(7).f32(rows), rows, cols);
    const X = allocF32(k, cols * batch, rng(8).f32(cols * batch));
    const one = allocF32(k, rows * batch),
      pooled = allocF32(k, rows * batch);
    layerForward(k, L, X, one, batch, Act.relu);
    t.forward(k, L, X, pooled, batch, Act.relu);
    expect(Array.from(new Uint32Array(k.memory.buffer, pooled.ptr, pooled.length))).toEqual(Array.from(new Uint32Array(k.memory.buffer, one.ptr, one.length)));
    expect(() => t.forward(k, L, X, pooled, batch + 1, Act.relu)).toThrow(/input holds/); // layerForward's checks still apply
  });
});

describe.skipIf(!supportedFlavors().includes('simd'))('a worker thread that exits', () => {
  it('before it is ready makes the start reject, naming it, rather than wait forever', async () => {
    const early = new Worker('process.exit(3)', { eval: true });
    await expect(spawnNodeThread({ slot: 1 } as ThreadInit, early)).rejects.toThrow(/worker thread 1 exited \(code 3\) before it was ready/);
  });

  it('after it was ready makes the next round throw, naming it, and dispose still works', async () => {
    let handle: ThreadHandle | null = null;
    const t = await startThreadedKernels({ flavor: 'simd', bytes: wasmBytes('simd') }, 2, async (init) => (handle = await spawnNodeThread(init)));
    const k = t.kernels;
    const L = uploadDense(k, weights(9, 7, 1, 5), rng(6).f32(9), 9, 7);
    const X = allocF32(k, 7 * 4, rng(7).f32(28)),
      Y = allocF32(k, 9 * 4);
    const calls = layerCalls(L, layerSplit(k, L, 2), X, Y, 4, Act.relu);
    t.pool.run(k, calls);
    handle!.terminate();
    for (let i = 0; i < 200 && handle!.exited!() === null; i++) await new Promise((r) => setTimeout(r, 10));
    expect(() => t.pool.run(k, calls)).toThrow(/worker thread 1 exited \(code 1\); dispose this model and load it again/);
    t.pool.dispose();
  });
});

/** A compact 200-150-90-7 model, pruned to `sparsity` (CSR layers from 50%). */
function modelBytes(sparsity: number, seed: number): Uint8Array {
  const r = rng(seed);
  const m = createMLP({ sizes: [200, 150, 90, 7], activation: 'relu', seed });
  for (const l of m.layers) l.weight = l.weight.map((w) => (r.next() < sparsity ? 0 : w));
  return encodeModel(compact(m, { batchSizes: [64] }).compact);
}

describe('loadModel(bytes, { threads })', () => {
  const x = rng(5).f32(150 * 200, -2, 2); // 150 samples: a chunk of 64+ and an odd one

  it('gives the one-thread logits bit for bit, dense and CSR, and says how many threads it runs', async () => {
    for (const sparsity of [0, 0.9]) {
      const bytes = modelBytes(sparsity, 3);
      const one = await loadModel(bytes, { flavor: 'simd' });
      const two = await loadModel(bytes, { flavor: 'simd', threads: 2 });
      try {
        expect(one.threads).toBe(1);
        expect(two.threads).toBe(2);
        const formats = two.info().layers.map((l) => l.format);
        expect(formats).toEqual(one.info().layers.map((l) => l.format));
        expect(formats.every((f) => f === (sparsity ? 'csr' : 'dense'))).toBe(true); // both kernel families run threaded
        expect(Array.from(new Uint32Array(two.predictLogits(x).buffer))).toEqual(Array.from(new Uint32Array(one.predictLogits(x).buffer)));
        expect(Array.from(two.predict(x.subarray(0, 200)))).toEqual(Array.from(one.predict(x.subarray(0, 200))));
      } finally {
        two.dispose();
        one.dispose();
      }
      expect(() => two.predict(x)).toThrow(/disposed/);
    }
  });

  it('rejects bad counts, the sync loader, and a precompiled module, naming the option', async () => {
    const bytes = modelBytes(0.5, 4);
    await expect(loadModel(bytes, { threads: 0 })).rejects.toThrow(/threads must be a whole number from 1 to 64, got 0/);
    await expect(loadModel(bytes, { threads: 1.5 })).rejects.toThrow(/got 1.5/);
    await expect(loadModel(bytes, { threads: 65 })).rejects.toThrow(/from 1 to 64, got 65/); // a layer is cut into at most LAYOUT.maxCalls runs
    await expect(loadModel(bytes, { threads: '2' as unknown as number })).rejects.toThrow(/got "2"/);
    expect(() => loadModelSync(bytes, { threads: 2 })).toThrow(/use loadModel for threads > 1/);
    const module = new WebAssembly.Module(wasmBytes('simd') as BufferSource);
    await expect(loadModel(bytes, { threads: 2, module })).rejects.toThrow(/drop the `module` option/);
    await expect(loadModel(bytes, { threads: 2, flavor: 'reference' })).rejects.toThrow(/flavor 'reference'/);
    expect((await loadModel(bytes, { threads: 1 })).threads).toBe(1);
    await expect(loadModel(bytes, { threads: Number.NaN })).rejects.toThrow(/from 1 to 64, got NaN$/); // not "got null"
    await expect(loadModel(bytes, { threads: 2, flavor: 'avx' as 'simd' })).rejects.toThrow(
      "kernels: there is no 'avx' build (the flavours are relaxed-simd, simd, scalar, reference)",
    );
    // a module given to init() is one of the caller's own: threads would silently run another build
    const own = createRuntime(nodeKernelLoader, async (build, n) => startNodeThreads(build, n));
    own.init(new WebAssembly.Module(wasmBytes('scalar') as BufferSource), 'scalar');
    expect((await own.loadModel(bytes)).flavor).toBe('scalar');
    await expect(own.loadModel(bytes, { threads: 2 })).rejects.toThrow(/not the module given to init\(\); load with threads: 1, or name a flavor/);
  });

  // runs the build (`npm test` builds first): tsx's own loader needs SharedArrayBuffer
  it.skipIf(!existsSync(fileURLToPath(new URL('../dist/runtime/index.js', import.meta.url))))(
    'names SharedArrayBuffer when the process was started without it',
    () => {
      const file = tmp.file(modelBytes(0.5, 4), 'model.safetensors');
      const script = `
      import { readFileSync } from 'node:fs';
      import { loadModel } from './dist/runtime/index.js'; // the build: tsx's loader itself needs SharedArrayBuffer
      try { await loadModel(readFileSync(${JSON.stringify(file)}), { threads: 2 }); } catch (e) { console.log(e.message); }`;
      const root = fileURLToPath(new URL('..', import.meta.url));
      const r = spawnSync(process.execPath, ['--no-harmony-sharedarraybuffer', '--input-type=module', '-e', script], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stdout).toContain('threads share one memory through SharedArrayBuffer, which this process was started without');
    },
  );

  it.skipIf(!existsSync('/proc/self/task'))('a model dropped without dispose() has its worker threads stopped when it is garbage-collected', () => {
    const file = tmp.file(modelBytes(0.5, 7), 'model.safetensors');
    // Threads of this process now: one directory per thread under /proc/self/task (Linux).
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { setTimeout as sleep } from 'node:timers/promises';
      import { loadModel } from './src/runtime/index.ts';
      const threads = () => readdirSync('/proc/self/task').length;
      const bytes = readFileSync(${JSON.stringify(file)});
      const before = threads();
      for (let i = 0; i < 8; i++) (await loadModel(bytes, { threads: 3 })).predict(new Float32Array(64 * 200));
      const loaded = threads();
      let after = loaded;
      for (let t = 0; t < 100 && after > before; t++) {
        globalThis.gc();
        await sleep(50);
        after = threads();
      }
      console.log(JSON.stringify({ before, loaded, after }));`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    const { before, loaded, after } = JSON.parse(r.stdout);
    expect(loaded).toBeGreaterThanOrEqual(before + 16); // 8 models × 2 workers, none disposed
    expect(after).toBeLessThanOrEqual(before);
  });

  it('never keeps the process alive: a script that loads a threaded model and returns exits at once, status 0', () => {
    const file = tmp.file(modelBytes(0.5, 6), 'model.safetensors');
    const script = `
      import { readFileSync } from 'node:fs';
      import { loadModel } from './src/runtime/index.ts';
      const bytes = readFileSync(${JSON.stringify(file)});
      const m = await loadModel(bytes, { threads: 2 });
      console.log(m.threads, m.predict(new Float32Array(64 * 200)).length);`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('2 64');
  });
});
