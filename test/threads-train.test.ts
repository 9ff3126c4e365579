/**
 * Threaded training: each training product split over worker threads (src/kernels/split-kernels.ts)
 * against the same kernel called once, bit for bit, on odd shapes, 1×1 and empty layers, batch 1
 * and odd batches, dense and CSR (u16, u32); a model trained with threads 1, 2 and 3 encodes to
 * the same bytes, on the dense and the sparse path; bad `threads` values; and a worker that exits
 * in the middle of a kernel call fails the round with an error naming it instead of hanging.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocF32, type F32Buf, uploadCsr } from '../src/kernels/checked.js';
import { supportedFlavors, wasmBytes } from '../src/kernels/load.js';
import { LAYOUT, MIN_PARALLEL_MADDS } from '../src/kernels/parallel.js';
import { splitKernels } from '../src/kernels/split-kernels.js';
import { startThreadedKernels, type ThreadedKernels } from '../src/kernels/threads.js';
import { spawnNodeThread } from '../src/kernels/threads-node.js';
import { Act, type Kernels } from '../src/kernels/types.js';
import { encodeMLP } from '../src/nn/io.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import { train } from '../src/nn/train.js';
import { denseToCsr } from '../src/sparse/csr.js';
import { runCli } from './helpers/cli.js';
import { blobs } from './helpers/datasets.js';
import { rng } from './helpers/rng.js';
import { tempDir } from './helpers/tmp.js';

const simd = supportedFlavors().includes('simd');

/** A random weight matrix with about `density` nonzeros and rows 0 and 3 (when there are more than 4) all zero. */
function weights(rows: number, cols: number, density: number, seed: number): Float32Array {
  const r = rng(seed);
  const w = Float32Array.from({ length: rows * cols }, () => (r.next() < density ? r.uniform(-1, 1) : 0));
  if (rows > 4) for (const row of [0, 3]) w.fill(0, row * cols, (row + 1) * cols);
  return w;
}

describe.skipIf(!simd)('training products split over threads', () => {
  const started: ThreadedKernels[] = [];
  beforeAll(async () => {
    for (const flavor of supportedFlavors()) started.push(await startThreadedKernels({ flavor, bytes: wasmBytes(flavor) }, 3, spawnNodeThread));
  });
  afterAll(() => {
    for (const t of started) t.pool.dispose();
  });

  /**
   * Calls `product` once on the plain kernels and once on split kernels (every product split,
   * into `parts` runs) with fresh outputs of these lengths, NaN-filled so that an element no run
   * wrote shows; the outputs must be equal bit for bit.
   */
  function expectSame(t: ThreadedKernels, outputs: number[], parts: number, product: (k: Kernels, out: F32Buf[]) => void, what: string): void {
    const k = t.kernels;
    const split = splitKernels(k, t.pool, { parts, minMadds: 0 });
    const fresh = () => outputs.map((n) => allocF32(k, n, new Float32Array(n).fill(Number.NaN)));
    const bits = (bufs: F32Buf[]) => bufs.map((b) => Array.from(new Uint32Array(k.memory.buffer, b.ptr, b.length)));
    const one = fresh(),
      many = fresh();
    product(k, one);
    product(split, many);
    expect(bits(many), what).toEqual(bits(one));
  }

  it('dense: forward, input gradient and weight gradient, odd shapes, 1×1 and empty, batch 1 to 67: bit-identical', () => {
    const shapes: [out: number, inn: number][] = [
      [1, 1],
      [0, 5],
      [5, 0],
      [7, 13],
      [33, 17],
      [130, 61],
      [9, 300],
    ];
    let seed = 1;
    for (const t of started) {
      const k = t.kernels,
        mark = k.heapTop();
      for (const [out, inn] of shapes) {
        const W = allocF32(k, out * inn, weights(out, inn, 0.9, seed++)),
          b = allocF32(k, out, rng(seed++).f32(out));
        for (const batch of [1, 3, 16, 67]) {
          const X = allocF32(k, inn * batch, rng(seed++).f32(inn * batch, -2, 2)),
            dY = allocF32(k, out * batch, rng(seed++).f32(out * batch, -1, 1));
          for (const parts of [2, 5]) {
            const at = `${k.flavor} ${out}×${inn} batch ${batch} in ${parts}`;
            for (const act of Object.values(Act)) {
              expectSame(t, [out * batch], parts, (kk, [Y]) => kk.f32_gemm(W.ptr, b.ptr, X.ptr, Y.ptr, out, inn, batch, act), `gemm ${at}`);
              if (batch === 1) expectSame(t, [out], parts, (kk, [y]) => kk.f32_gemv(W.ptr, b.ptr, X.ptr, y.ptr, out, inn, act), `gemv ${at}`);
            }
            expectSame(t, [inn * batch], parts, (kk, [dX]) => kk.f32_gemm_tn(W.ptr, dY.ptr, dX.ptr, out, inn, batch), `gemm_tn ${at}`);
            expectSame(t, [out * inn, out], parts, (kk, [dW, db]) => kk.f32_gemm_nt_grad(dY.ptr, X.ptr, dW.ptr, db.ptr, out, inn, batch), `nt_grad ${at}`);
          }
        }
      }
      k.reset(mark);
    }
  });

  it('CSR (u16, u32): forward and the weight gradient at the nonzeros, odd shapes, empty rows: bit-identical', () => {
    const shapes: [out: number, inn: number, density: number][] = [
      [1, 1, 1],
      [7, 13, 0.9],
      [33, 17, 0.3],
      [130, 61, 0.1],
      [9, 300, 0.02],
    ];
    let seed = 100;
    for (const t of started) {
      const k = t.kernels,
        mark = k.heapTop();
      for (const [out, inn, density] of shapes) {
        const w = weights(out, inn, density, seed++),
          bias = rng(seed++).f32(out);
        for (const index of ['u16', 'u32'] as const) {
          const L = uploadCsr(k, denseToCsr(w, out, inn, index), bias);
          if (L.format !== 'csr') throw new Error('expected a CSR layer');
          const spmm = index === 'u16' ? 'f32_spmm_csr_u16' : 'f32_spmm_csr_u32',
            spmv = index === 'u16' ? 'f32_spmv_csr_u16' : 'f32_spmv_csr_u32',
            grad = index === 'u16' ? 'f32_csr_weight_grad_u16' : 'f32_csr_weight_grad_u32';
          for (const batch of [1, 3, 16, 67]) {
            const X = allocF32(k, inn * batch, rng(seed++).f32(inn * batch, -2, 2)),
              dY = allocF32(k, out * batch, rng(seed++).f32(out * batch, -1, 1));
            for (const parts of [2, 5]) {
              const at = `${k.flavor} ${index} ${out}×${inn} batch ${batch} in ${parts}`;
              expectSame(
                t,
                [out * batch],
                parts,
                (kk, [Y]) => kk[spmm](L.data.ptr, L.indices, L.indptr, L.b.ptr, X.ptr, Y.ptr, out, batch, Act.relu, 0),
                `spmm ${at}`,
              );
              if (batch === 1)
                expectSame(t, [out], parts, (kk, [y]) => kk[spmv](L.data.ptr, L.indices, L.indptr, L.b.ptr, X.ptr, y.ptr, out, Act.tanh), `spmv ${at}`);
              expectSame(
                t,
                [L.nnz, out],
                parts,
                (kk, [dW, db]) => kk[grad](L.indices, L.indptr, dY.ptr, X.ptr, dW.ptr, db.ptr, out, batch),
                `weight grad ${at}`,
              );
            }
          }
        }
      }
      k.reset(mark);
    }
  });
});

describe.skipIf(!simd)('train({ threads })', () => {
  // 64 → 256 → 256 → 4 at batch 32: every product is 2 to 16 times MIN_PARALLEL_MADDS, so all of them split
  const sizes = [64, 256, 256, 4];
  const data = { train: blobs(50, 64, 4, 3), test: blobs(10, 64, 4, 4) };
  const trained = async (threads: number, pruned: boolean): Promise<Uint8Array> => {
    const m: MLP = createMLP({ sizes, activation: 'relu', seed: 7 });
    if (pruned) {
      const r = rng(8);
      for (const l of m.layers) {
        l.mask = Uint8Array.from(l.weight, () => (r.next() < 0.2 ? 1 : 0));
        l.weight.forEach((_, j) => {
          if (!l.mask![j]) l.weight[j] = 0;
        });
      }
    }
    await train(m, data, { epochs: 2, batchSize: 32, seed: 5, sparse: pruned ? 'on' : 'off', threads });
    return encodeMLP(m);
  };

  it('the trained model file is byte-identical with 1, 2 and 3 threads, dense and on the sparse kernels', async () => {
    expect(64 * 256 * 32).toBeGreaterThanOrEqual(4 * MIN_PARALLEL_MADDS);
    expect(256 * 256 * 32 * 0.2).toBeGreaterThan(MIN_PARALLEL_MADDS); // the pruned layers' nonzeros too
    for (const pruned of [false, true]) {
      const one = await trained(1, pruned);
      for (const threads of [2, 3])
        expect(Buffer.from(await trained(threads, pruned)).equals(Buffer.from(one)), `${threads} threads, pruned ${pruned}`).toBe(true);
    }
  });

  it.skipIf(!existsSync('/proc/self/task'))('stops its worker threads when training ends, returns, diverges or is aborted', () => {
    // in a fresh process: this one may hold other tests' workers, still exiting. Threads of a
    // process: one directory per thread under /proc/self/task (Linux); termination is asynchronous.
    const script = `
      import { readdirSync } from 'node:fs';
      import { setTimeout as sleep } from 'node:timers/promises';
      import { createMLP } from './src/nn/model.ts';
      import { train } from './src/nn/train.ts';
      import { blobs } from './test/helpers/datasets.ts';
      const threads = () => readdirSync('/proc/self/task').length;
      const settled = async (want) => {
        for (let i = 0; i < 100 && threads() > want; i++) await sleep(20);
        return threads();
      };
      const data = { train: blobs(50, 64, 4, 3) };
      const m = () => createMLP({ sizes: ${JSON.stringify(sizes)}, activation: 'relu', seed: 7 });
      const before = threads();
      let during = 0;
      await train(m(), data, { epochs: 1, batchSize: 32, threads: 3 }, { onEpoch: () => void (during = threads()) });
      const returned = await settled(before);
      const diverged = await train(m(), data, { epochs: 3, batchSize: 32, lr: 1e9, threads: 3 }).catch((e) => e.message);
      const afterDiverged = await settled(before);
      const stop = new AbortController();
      const aborted = await train(m(), data, { epochs: 50, batchSize: 32, threads: 3 }, { signal: stop.signal, onEpoch: () => stop.abort(new Error('stopped here')) }).catch((e) => e.message);
      const afterAborted = await settled(before);
      console.log(JSON.stringify({ before, during, returned, diverged, afterDiverged, aborted, afterAborted }));`;
    const root = fileURLToPath(new URL('..', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const o = JSON.parse(r.stdout);
    expect(o.during).toBeGreaterThanOrEqual(o.before + 2);
    expect(o.diverged).toMatch(/training diverged/);
    expect(o.aborted).toMatch(/stopped here/);
    for (const after of [o.returned, o.afterDiverged, o.afterAborted]) expect(after).toBeLessThanOrEqual(o.before);
  });

  it('rejects bad thread counts and the reference kernels, naming the option', async () => {
    const m = createMLP({ sizes: [64, 4], activation: 'relu', seed: 1 });
    for (const bad of [0, 1.5, 65, Number.NaN])
      await expect(train(m, data, { epochs: 1, threads: bad })).rejects.toThrow(/threads must be a whole number from 1 to 64/);
    const { createReferenceKernels } = await import('../src/kernels/reference.js');
    await expect(train(m, data, { epochs: 1, threads: 2 }, { kernels: createReferenceKernels() })).rejects.toThrow(/'reference' kernels train on one thread/);
  });
});

describe.skipIf(!simd)('a worker thread that exits in the middle of a kernel call', () => {
  it('fails the round within the stall limit, naming the worker, rather than hang; later rounds fail too; dispose works', async () => {
    // a worker that claims a run the way serveKernels does, then exits without finishing it
    const source = `const { parentPort } = require('node:worker_threads');
parentPort.once('message', (init) => {
  const c = new Int32Array(init.control), L = init.layout;
  parentPort.postMessage('ready');
  Atomics.wait(c, L.round, 0);
  for (;;) {
    const cur = Atomics.load(c, L.next);
    if (cur >> 16 !== Atomics.load(c, L.round) || (cur & 0xffff) >= c[L.count]) continue; // no run open: the caller took them all
    if (Atomics.compareExchange(c, L.next, cur, cur + 1) === cur) {
      Atomics.store(c, L.owners + (cur & 0xffff), init.slot);
      process.exit(7);
    }
  }
});`;
    const t = await startThreadedKernels({ flavor: 'simd', bytes: wasmBytes('simd') }, 2, (init) => spawnNodeThread(init, new Worker(source, { eval: true })), {
      stallMs: 300,
    });
    const k = splitKernels(t.kernels, t.pool, { parts: 64, minMadds: 0 });
    const W = allocF32(k, 1024 * 256),
      b = allocF32(k, 1024),
      X = allocF32(k, 256 * 16),
      Y = allocF32(k, 1024 * 16);
    const gemm = () => k.f32_gemm(W.ptr, b.ptr, X.ptr, Y.ptr, 1024, 256, 16, Act.relu);
    // the calling thread may claim every run of a round before the worker wakes: call until the worker has had one
    let error: unknown = null,
      t0 = 0;
    for (const start = performance.now(); !error && performance.now() - start < 20_000; ) {
      t0 = performance.now();
      try {
        gemm();
      } catch (e) {
        error = e;
      }
    }
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(String(error)).toMatch(/worker thread 1 did not finish its share of a kernel call within \d+ m?s \(it exited, was stopped, or hangs\)/);
    expect(gemm).toThrow(/worker thread 1 did not finish/);
    expect(LAYOUT.owners).toBe(LAYOUT.table + LAYOUT.call * LAYOUT.maxCalls);
    t.pool.dispose();
    expect(gemm).toThrow(/disposed/);
  });
});

describe.skipIf(!simd)('prunekit train / prune / bench --threads', () => {
  const tmp = tempDir('threads-train');

  it('train and prune --threads 2 write the same files byte for byte as --threads 1 (threads stay out of the provenance); train --json says so', async () => {
    const files = [1, 2].map((n) => join(tmp.dir, `iris-${n}.safetensors`));
    for (const [i, n] of [1, 2].entries()) {
      const r = await runCli(['train', '--data', 'iris', '--hidden', '8', '--epochs', '2', '--threads', String(n), '--out', files[i], '--json']);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).threads).toBe(n);
    }
    expect(readFileSync(files[1]).equals(readFileSync(files[0]))).toBe(true);
    const pruned = [1, 2].map((n) => join(tmp.dir, `pruned-${n}.safetensors`));
    for (const [i, n] of [1, 2].entries()) {
      const r = await runCli([
        'prune',
        '--model',
        files[0],
        '--data',
        'iris',
        '--sparsity',
        '0.5',
        '--finetune-epochs',
        '1',
        '--threads',
        String(n),
        '--out',
        pruned[i],
      ]);
      expect(r.code, r.err).toBe(0);
    }
    expect(readFileSync(pruned[1]).equals(readFileSync(pruned[0]))).toBe(true);
    const r = await runCli(['prune', '--model', files[0], '--sparsity', '0.5', '--threads', '2', '--out', pruned[0]]);
    expect([r.code, r.err]).toEqual([2, expect.stringMatching(/--threads applies to --data/)]);
  });

  it('refuses bad counts, --kernels reference with threads, and --samples outside bench --train --threads (exit 2)', async () => {
    const out = join(tmp.dir, 'x.safetensors');
    for (const [args, msg] of [
      [['train', '--data', 'iris', '--out', out, '--threads', '0'], /--threads: must be ≥ 1, got 0/],
      [['train', '--data', 'iris', '--out', out, '--threads', '65'], /--threads: must be ≤ 64, got 65/],
      [['train', '--data', 'iris', '--out', out, '--threads', '2', '--kernels', 'reference'], /--threads runs the WebAssembly kernels/],
      [['bench', '--samples', '10'], /--samples goes with --train --threads/],
    ] as const) {
      const r = await runCli([...args]);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(msg);
    }
  });

  it('bench --train --threads 1,2 prints {"trainThreads": [{sparsity, threads, epoch_s, speedupVsOneThread, cpu_s, cpuVsOneThread}]}', async () => {
    const r = await runCli([
      'bench',
      '--train',
      '--threads',
      '1,2',
      '--layers',
      '8,16,3',
      '--samples',
      '40',
      '--batch',
      '8',
      '--sparsity',
      '0,0.5',
      '--runs',
      '1',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.trainThreads.map((x: { sparsity: number; threads: number }) => [x.sparsity, x.threads])).toEqual([
      [0, 1],
      [0, 2],
      [0.5, 1],
      [0.5, 2],
    ]);
    for (const x of j.trainThreads)
      for (const key of ['epoch_s', 'epoch_s_min', 'speedupVsOneThread', 'cpu_s', 'cpuVsOneThread']) expect(x[key]).toBeGreaterThan(0);
    expect(j).toMatchObject({ layers: [8, 16, 3], batch: 8, samples: 40, rounds: 1, data: 'random 40×8' });
  });
});
