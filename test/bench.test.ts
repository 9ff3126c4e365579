/**
 * `prunekit bench` end to end on tiny layers (no speed is asserted; the stored bytes check that
 * every layer is pruned to exactly round(s·n) zeros), the timing harness (synchronous and
 * asynchronous variants), and the machine-limit probe kernels against independent sums.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/args.js';
import { KERNEL_FLAVORS, loadKernelsSync, supportedFlavors } from '../src/kernels/index.js';
import { pairedRatio, spread, timeInterleaved } from '../src/report/latency.js';
import { readLimitFor } from '../src/report/machine.js';
import { median } from '../src/util/stats.js';
import { runBenchCli } from './helpers/bench-cli.js';

/** argv starts with "bench", as on the command line. */
const runCli = (argv: string[]) => runBenchCli(argv.slice(1));

describe('prunekit bench', () => {
  it('prints JSON with one result per (sparsity, batch, format) and the documented keys', async () => {
    const { code, out } = await runCli([
      'bench',
      '--layers',
      '20,10,5',
      '--sparsity',
      '0,0.9',
      '--batch',
      '1,4',
      '--runs',
      '3',
      '--min-run-ms',
      '0.2',
      '--dram-probe-mib',
      '5',
      '--json',
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(['simd', 'relaxed-simd', 'scalar']).toContain(r.kernels);
    expect(r.results).toHaveLength(2 * 2 * 2);
    for (const s of [0, 0.9])
      for (const b of [1, 4])
        for (const f of ['dense', 'csr']) {
          const hits = r.results.filter((x: any) => x.sparsity === s && x.batch === b && x.format === f);
          expect(hits).toHaveLength(1);
          const x = hits[0];
          expect(x.median_us).toBeGreaterThan(0);
          expect(x.min_us).toBeLessThanOrEqual(x.median_us);
          // stored weights: dense 4·(20·10 + 10·5); CSR (4 + 2)·nnz + 4·(rows + 1) per layer
          const nnz = (n: number) => n - Math.round(s * n);
          const want = f === 'dense' ? 4 * 250 : 6 * (nnz(200) + nnz(50)) + 4 * (11 + 6);
          expect(x.weight_bytes).toBe(want);
          if (f === 'csr') {
            expect(x.index).toBe('u16');
            expect(x.speedup_vs_dense).toBeGreaterThan(0);
          }
          // 1 KiB of weights: the 4 MiB probe's bandwidth applies, and of_read_limit is gbs over it
          expect(x.read_limit).toBe('cache');
          expect(x.read_limit_gbs).toBe(r.machine.read_gbs);
          expect(x.of_read_limit).toBeCloseTo(x.gbs / r.machine.read_gbs, 12);
        }
    expect(r.crossover.map((c: any) => c.batch)).toEqual([1, 4]);
    for (const key of ['read_gbs', 'madd_gflops', 'loadavg']) expect(r.machine).toHaveProperty(key);
    expect(r.machine.read_gbs).toBeGreaterThan(0);
    expect(r.machine.dram_buffer_bytes).toBe(5 * 2 ** 20);
    expect(r.machine.dram_read_gbs).toBeGreaterThan(0);
    expect(Array.isArray(r.targets)).toBe(true);
  });

  it('prints a table, and rejects bad options with a UsageError (exit code 2)', async () => {
    const t = await runCli(['bench', '--layers', '8,4', '--sparsity', '0.5', '--batch', '2', '--runs', '2', '--min-run-ms', '0.1', '--dram-probe-mib', '0']);
    expect(t.code).toBe(0);
    expect(t.out).not.toMatch(/DRAM read/); // --dram-probe-mib 0 skips the probe
    expect(t.out).toMatch(/sparsity\s+batch/);
    await expect(runCli(['bench', '--sparsity', '1.5'])).rejects.toThrow(UsageError);
    await expect(runCli(['bench', '--layers', '10'])).rejects.toThrow(UsageError);
    await expect(runCli(['bench', '--kernels', 'gpu'])).rejects.toThrow(UsageError);
    await expect(runCli(['bench', '--dram-probe-mib', '-1'])).rejects.toThrow(UsageError);
    // --peers checks its shape and lists before starting the peer script
    await expect(runCli(['bench', '--peers', '--layers', '10'])).rejects.toThrow(/at least two sizes/);
    await expect(runCli(['bench', '--peers', '--sparsity', '0,1'])).rejects.toThrow(UsageError); // 100% sparse: nothing to run
    await expect(runCli(['bench', '--peers', '--batch', '0'])).rejects.toThrow(UsageError);
  });

  it('times a repeated --sparsity or --batch value once, in first-seen order', async () => {
    const args = ['--layers', '8,4', '--sparsity', '0.5,0.5,0', '--batch', '2,1,2', '--runs', '1', '--min-run-ms', '0', '--dram-probe-mib', '0', '--json'];
    const r = JSON.parse((await runCli(['bench', ...args])).out);
    expect(r.results.map((x: any) => `${x.sparsity}/${x.batch}/${x.format}`)).toEqual([
      '0.5/2/dense',
      '0.5/2/csr',
      '0.5/1/dense',
      '0.5/1/csr',
      '0/2/dense',
      '0/2/csr',
      '0/1/dense',
      '0/1/csr',
    ]);
    expect(r.crossover.map((c: any) => c.batch)).toEqual([2, 1]);
    const t = JSON.parse(
      (await runCli(['bench', '--threads', '2,2', ...args.slice(0, 4), '--batch', '4,4', '--runs', '1', '--min-run-ms', '0', '--json'])).out,
    );
    expect(t.results.map((x: any) => `${x.sparsity}/${x.batch}/${x.format}/${x.threads}`)).toEqual([
      '0.5/4/dense/1',
      '0.5/4/dense/2',
      '0.5/4/csr/1',
      '0.5/4/csr/2',
      '0/4/dense/1',
      '0/4/dense/2',
      '0/4/csr/1',
      '0/4/csr/2',
    ]);
  });

  it('refuses --sparsity 1 in every mode, with the same message', async () => {
    for (const mode of [
      ['--layers', '8,4', '--runs', '1', '--min-run-ms', '0', '--dram-probe-mib', '0'],
      ['--train', '--data', 'iris', '--layers', '4,3', '--runs', '1'],
      ['--peers'],
      ['--threads', '2', '--layers', '8,4', '--runs', '1'],
      ['--train', '--threads', '2', '--layers', '4,3', '--samples', '8', '--runs', '1'],
    ])
      await expect(runCli(['bench', ...mode, '--sparsity', '0.5,1'])).rejects.toThrow(/^--sparsity: must be < 1, got 1$/);
  });

  it('bounds --runs (≤ 10000) and --min-run-ms (≤ 600000, ten minutes) in every mode that takes them', async () => {
    const tiny = ['--layers', '8,4', '--sparsity', '0', '--batch', '1', '--dram-probe-mib', '0'];
    await expect(runCli(['bench', ...tiny, '--min-run-ms', '0', '--runs', '10001'])).rejects.toThrow(/^--runs: must be ≤ 10000, got 10001$/);
    await expect(runCli(['bench', ...tiny, '--min-run-ms', '1e12'])).rejects.toThrow(/^--min-run-ms: must be ≤ 600000 \(ten minutes per run\), got 1e12$/);
    await expect(runCli(['bench', ...tiny, '--min-run-ms', '-1'])).rejects.toThrow(/^--min-run-ms: must be ≥ 0, got -1$/); // the upper bound's reason is not the lower's
    for (const mode of [['--peers'], ['--train', '--data', 'iris', '--layers', '4,3'], ['--threads', '2'], ['--train', '--threads', '2', '--layers', '4,3']])
      await expect(runCli(['bench', ...mode, '--runs', '1e5'])).rejects.toThrow(/^--runs: must be ≤ 10000, got 1e5$/);
    await expect(runCli(['bench', '--threads', '2', '--min-run-ms', '600001'])).rejects.toThrow(/^--min-run-ms: must be ≤ 600000/);
  });

  it('refuses the flags a mode would ignore, naming only those given', async () => {
    // --train times whole epochs, as --train --threads does
    await expect(runCli(['bench', '--train', '--peers'])).rejects.toThrow(/^--train times whole epochs: drop --peers$/);
    await expect(runCli(['bench', '--train', '--dram-probe-mib', '1', '--min-run-ms', '1'])).rejects.toThrow(
      /^--train times whole epochs: drop --dram-probe-mib and --min-run-ms$/,
    );
    // --peers: the peer script sets its own kernels, run length and DRAM probe
    await expect(runCli(['bench', '--peers', '--kernels', 'scalar'])).rejects.toThrow(
      /^--peers times every engine with its own kernels and run length: drop --kernels$/,
    );
    await expect(runCli(['bench', '--peers', '--min-run-ms', '5', '--dram-probe-mib', '0'])).rejects.toThrow(/: drop --min-run-ms and --dram-probe-mib$/);
    await expect(runCli(['bench', '--train', '--threads', '2', '--min-run-ms', '1'])).rejects.toThrow(
      /^--train --threads times whole epochs: drop --min-run-ms$/,
    );
  });
});

describe('prunekit bench --threads', () => {
  it('times one thread and N on the same weights; JSON has one result per (sparsity, batch, format, threads)', async () => {
    const { code, out } = await runCli([
      'bench',
      '--threads',
      '2',
      '--layers',
      '24,40,8',
      '--sparsity',
      '0,0.9',
      '--batch',
      '64',
      '--runs',
      '2',
      '--min-run-ms',
      '0.1',
      '--json',
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.layers).toEqual([24, 40, 8]);
    expect(r.loadavgBefore).toHaveLength(3);
    expect(r.results.map((x: { sparsity: number; format: string; threads: number }) => `${x.sparsity}/${x.format}/${x.threads}`)).toEqual([
      '0/dense/1',
      '0/dense/2',
      '0/csr/1',
      '0/csr/2',
      '0.9/dense/1',
      '0.9/dense/2',
      '0.9/csr/1',
      '0.9/csr/2',
    ]);
    for (const x of r.results) {
      expect(Object.keys(x)).toEqual([
        'sparsity',
        'batch',
        'format',
        'threads',
        'medianUs',
        'minUs',
        'speedupVsOneThread',
        'speedupVsOneThreadMin',
        'cpuUs',
        'cpuVsOneThread',
      ]);
      expect(x.cpuUs).toBeGreaterThan(0);
      expect(x.medianUs).toBeGreaterThan(0);
      if (x.threads === 1) expect(x.speedupVsOneThread).toBe(1);
    }
  });

  it('prints a table with a column per thread count, and rejects bad lists and other modes', async () => {
    const t = await runCli(['bench', '--threads', '1,2', '--layers', '16,8', '--sparsity', '0.5', '--batch', '8', '--runs', '1', '--min-run-ms', '0.1']);
    expect(t.code).toBe(0);
    expect(t.out).toMatch(/1 thread: µs \(min\), cpu µs\s+2 threads: µs \(min\) speedup, cpu µs/);
    expect(t.out).toMatch(/load average/);
    await expect(runCli(['bench', '--threads', '0'])).rejects.toThrow(UsageError);
    await expect(runCli(['bench', '--threads', '2', '--peers'])).rejects.toThrow(/: drop --peers \(--train --threads times training\)$/);
    // --train with --threads is the training mode (test/threads-train.test.ts), which refuses the others
    await expect(runCli(['bench', '--threads', '2', '--train', '--model', 'm.safetensors'])).rejects.toThrow(/--train --threads times training: drop --model/);
    await expect(runCli(['bench', '--threads', '2', '--sparsity', '1'])).rejects.toThrow(UsageError);
    await expect(runCli(['bench', '--threads', '2', '--dram-probe-mib', '64'])).rejects.toThrow(/--threads measures no bandwidth: drop --dram-probe-mib/);
  });
});

describe('timing helpers', () => {
  it('median and paired ratio', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const t = (s: number[]) => ({ name: '', reps: 1, samples_us: s, median_us: median(s), min_us: Math.min(...s) });
    expect(pairedRatio(t([10, 20, 40]), t([5, 5, 10]))).toBe(4); // per round 2, 4, 4
    // p10 and p90 of 1..11 are 2 and 10: (10 − 2) / 6
    expect(spread(t([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]))).toBeCloseTo(8 / 6, 12);
  });

  it('times synchronous and asynchronous variants in the same rounds, awaiting each Promise', async () => {
    let syncCalls = 0,
      asyncCalls = 0,
      running = false,
      overlapped = false;
    const timings = await timeInterleaved(
      [
        {
          name: 'sync',
          fn: () => {
            syncCalls++;
          },
        },
        {
          name: 'async',
          fn: async () => {
            if (running) overlapped = true; // a call started before the previous one finished
            running = true;
            asyncCalls++;
            await new Promise((r) => setTimeout(r, 0));
            running = false;
          },
        },
      ],
      { runs: 3, minRunMs: 2, warmupMs: 4, settleMs: 1 },
    );
    expect(timings.map((t) => t.name)).toEqual(['sync', 'async']);
    expect(timings.every((t) => t.samples_us.length === 3 && t.median_us > 0)).toBe(true);
    expect(syncCalls).toBeGreaterThan(0);
    expect(asyncCalls).toBeGreaterThan(3);
    expect(overlapped).toBe(false); // each Promise was awaited before the next call
    expect(running).toBe(false); // and the last one too
  });
});

describe('machine-limit probes', () => {
  it('picks the read bandwidth that applies to a working set: the 4 MiB probe up to 4 MiB, the DRAM probe beyond', () => {
    const m = { read_gbs: 40, read_gbs_best: 50, read_buffer_bytes: 4 << 20, madd_gflops: 1, madd_gflops_best: 1, loadavg: [0, 0, 0], cpus: 1 };
    expect(readLimitFor(m, 1 << 20)).toEqual({ probe: 'cache', buffer_bytes: 4 << 20, gbs: 40, gbs_best: 50 });
    expect(readLimitFor(m, 64 << 20).probe).toBe('cache'); // no DRAM probe in this run: the only limit there is
    const withDram = { ...m, dram_read_gbs: 10, dram_read_gbs_best: 12, dram_buffer_bytes: 256 << 20 };
    expect(readLimitFor(withDram, 4 << 20).probe).toBe('cache');
    expect(readLimitFor(withDram, (4 << 20) + 1)).toEqual({ probe: 'dram', buffer_bytes: 256 << 20, gbs: 10, gbs_best: 12 });
    expect(readLimitFor(withDram, 1 << 30).probe).toBe('dram');
  });

  for (const flavor of supportedFlavors()) {
    it(`${flavor}: read and multiply-add probes compute their documented sums`, () => {
      const k = loadKernelsSync({ flavor });
      const p = k.alloc(1024);
      const v = new Float32Array(k.memory.buffer, p, 256);
      for (let i = 0; i < 256; i++) v[i] = i % 5; // small integers: every sum is exact in f32
      let want = 0;
      for (let i = 0; i < 256; i++) want += i % 5;
      expect(k.probe_read_bw(p, 1024, 3)).toBe(3 * want);
      // multiply-add: step i uses the 8 floats at 8·(i mod 32): Σ over s ∈ {f0,f1,f2,f3,f5} of s·Σ lanes
      const iters = 40;
      let m = 0;
      for (let i = 0; i < iters; i++) {
        const q = 8 * (i % 32);
        const lanes = KERNEL_FLAVORS[flavor].lanes === 1 ? [0, 4] : [0, 1, 2, 3, 4, 5, 6, 7];
        for (const si of [0, 1, 2, 3, 5]) for (const l of lanes) m += v[q + si] * v[q + l];
      }
      expect(k.probe_madd_peak(p, iters)).toBe(m);
    });
  }
});
