/**
 * The kernel bench's up-front wasm memory check (src/report/bench-budget.ts): the estimate is an
 * upper bound, and a close one, of what `benchNetworks` and the probes really allocate; the CLI
 * refuses a bench that cannot fit (naming its flags and the figure) before any work, in every
 * mode, and lets through one that fits for inference though it could not be trained — no training
 * check stands in its way.
 */
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../src/cli/args.js';
import { loadKernelsSync } from '../src/kernels/index.js';
import { assertNetworkFits } from '../src/nn/budget.js';
import { benchNetworks, runBench } from '../src/report/bench.js';
import { BENCH_WASM_AVAILABLE, benchWasmBytes, probeBytes } from '../src/report/bench-budget.js';
import { machineProbes } from '../src/report/machine.js';
import { encodeModel } from '../src/sparse/format.js';
import { smallModel } from './helpers/crafted-models.js';
import { tempDir } from './helpers/tmp.js';
import { runBenchCli } from './helpers/bench-cli.js';

// spies that call through: which checks run, and whether the bench itself was reached
vi.mock('../src/nn/budget.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/nn/budget.js')>();
  return { ...m, assertNetworkFits: vi.fn(m.assertNetworkFits) };
});
vi.mock('../src/report/bench.js', async (importOriginal) => {
  const m = await importOriginal<typeof import('../src/report/bench.js')>();
  return { ...m, runBench: vi.fn(m.runBench) };
});

const tmp = tempDir('bench-budget');
const { runBench: realRunBench } = await vi.importActual<typeof import('../src/report/bench.js')>('../src/report/bench.js');

/** The error the command throws for `argv`, with the bench itself stubbed out: a missing check fails at once instead of running it. */
async function refusal(argv: string[]): Promise<Error> {
  vi.mocked(runBench).mockImplementation(async () => {
    throw new Error('the bench started');
  });
  try {
    return await runCli(argv).then(
      () => new Error('no error'),
      (e: Error) => e,
    );
  } finally {
    vi.mocked(runBench).mockImplementation(realRunBench);
  }
}

const runCli = runBenchCli;

describe('benchWasmBytes', () => {
  it.each([
    { layers: [20, 10, 5], sparsities: [0, 0.9], batches: [1, 4], runs: 1, threads: 1 },
    { layers: [70, 33, 9], sparsities: [0.5], batches: [1, 16, 64], runs: 1, threads: 1 }, // a panel from batch 16 on
    { layers: [40, 12, 3], sparsities: [0, 0.37, 0.98], batches: [3], runs: 8, threads: 2 }, // scratch for a threaded split
    { layers: [50, 20, 3], sparsities: [0.9], batches: [16], runs: 12, threads: 3 }, // and a panel per thread
    { layers: [3, 2], sparsities: [0.5], batches: [2], runs: 1, threads: 1 }, // under 4 rows: no GEMM scratch
  ])('bounds what benchNetworks and the probes allocate: $layers at $sparsities, batches $batches, $threads threads', (o) => {
    const k = loadKernelsSync();
    const top = k.heapTop();
    benchNetworks(k, { ...o, seed: 1 }, o.runs, o.threads);
    machineProbes(k, undefined, undefined, 1 << 20);
    const used = k.heapTop() - top;
    const need = benchWasmBytes({ ...o, probes: probeBytes(1 << 20) });
    expect(need).toBeGreaterThanOrEqual(used);
    expect(need - used).toBeLessThan(64 * 16 * o.layers.length * (o.sparsities.length + o.batches.length) + 64 * 8); // alignment padding only
  });

  it('counts the dense upload, CSR at each sparsity with u16 or u32 indices, the activations and the panel', () => {
    // one 12000×12000 layer: dense 4·(n + 12000) + scratch 16·12000; CSR (4 + 2)·nnz + 4·12001 + 4·12000
    const n = 12000 * 12000;
    const dense = 4 * (n + 12000) + 16 * 12000;
    const csr = (s: number) => 6 * (n - Math.round(s * n)) + 4 * 12001 + 4 * 12000;
    const one = benchWasmBytes({ layers: [12000, 12000], sparsities: [0.9], batches: [1] });
    expect(one - (dense + csr(0.9) + 4 * 24000)).toBeGreaterThanOrEqual(0);
    expect(one - (dense + csr(0.9) + 4 * 24000)).toBeLessThan(1024);
    // past 65,536 inputs the indices are u32: 8 bytes per nonzero
    const wide =
      benchWasmBytes({ layers: [70000, 10], sparsities: [0.5], batches: [1] }) - benchWasmBytes({ layers: [70000, 10], sparsities: [0], batches: [1] });
    expect(wide).toBe(-8 * 350000);
    // batch 16 adds 16 samples × 4 bytes per column of the widest layer input (the panel) beside the activations
    expect(benchWasmBytes({ layers: [100, 10], sparsities: [0], batches: [16] }) - benchWasmBytes({ layers: [100, 10], sparsities: [0], batches: [15] })).toBe(
      4 * 110 + 64 * 100 + 64,
    );
    // one panel per thread
    expect(
      benchWasmBytes({ layers: [100, 10], sparsities: [0], batches: [16], threads: 3 }) - benchWasmBytes({ layers: [100, 10], sparsities: [0], batches: [16] }),
    ).toBe(2 * 64 * 100);
  });
});

describe('prunekit bench: the up-front wasm memory check', () => {
  it('refuses --layers 12000,12000 (6 default sparsities) at once, naming the flags and the figure', async () => {
    const t0 = Date.now();
    const err = await refusal(['--layers', '12000,12000', '--runs', '1', '--batch', '1']);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(
      /^--layers 12000,12000 with 6 sparsities, --batch 1 needs 5\.\d\d GB of WebAssembly memory, more than the 4\.29 GB it can hold \(4 GiB\): fewer --sparsity values or smaller --layers$/, // --batch is 1 already
    );
    expect(err.message).not.toMatch(/train|gradient|momentum/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('lets --layers 20000,20000 --sparsity 0.99 through: it fits for inference, though not for training', async () => {
    expect(() => assertNetworkFits({ sizes: [20000, 20000], batch: 1, masks: false }, 'createMLP')).toThrow(/training/);
    expect(benchWasmBytes({ layers: [20000, 20000], sparsities: [0.99], batches: [1], probes: probeBytes(256 << 20) })).toBeLessThan(BENCH_WASM_AVAILABLE);
    expect((await refusal(['--layers', '20000,20000', '--sparsity', '0.99', '--runs', '1', '--batch', '1'])).message).toBe('the bench started');
  });

  it('builds its networks without the training check (a tiny bench runs no assertNetworkFits)', async () => {
    vi.mocked(assertNetworkFits).mockClear();
    const r = await runCli(['--layers', '8,4', '--sparsity', '0.5', '--batch', '1', '--runs', '1', '--min-run-ms', '0', '--dram-probe-mib', '0', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).results).toHaveLength(2);
    expect(assertNetworkFits).not.toHaveBeenCalled();
  });

  it('refuses a huge --batch at once, and a huge --dram-probe-mib names that flag', async () => {
    expect((await refusal(['--layers', '64,32,10', '--batch', '10000000'])).message).toMatch(
      /^--layers 64,32,10 with 6 sparsities, --batch 10000000 needs 4\.\d\d GB of WebAssembly memory/,
    );
    expect((await refusal(['--layers', '16000,16000', '--sparsity', '0', '--batch', '1', '--dram-probe-mib', '2047'])).message).toMatch(
      /: a smaller --dram-probe-mib or smaller --layers$/,
    );
    // a "DRAM" probe no larger than the 4 MiB cache probe measures the cache: refused
    expect((await refusal(['--layers', '8,4', '--dram-probe-mib', '2'])).message).toBe(
      '--dram-probe-mib: must be 0 (no DRAM probe) or more than the 4 MiB cache probe, got 2',
    );
  });

  it('--threads and --peers run the same check before starting threads or the peer script', async () => {
    await expect(runCli(['--threads', '2', '--layers', '40000,40000', '--sparsity', '0.9'])).rejects.toThrow(
      /^--layers 40000,40000 with 1 sparsity, --batch 64 and 2 threads needs [\d.]+ GB of WebAssembly memory, more than the 4\.29 GB it can hold \(4 GiB\): a smaller --batch or smaller --layers$/, // one thread would not fit either: --threads is no fix
    );
    const err = await runCli(['--peers', '--layers', '100000,100000', '--json']).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/^--layers 100000,100000 with 6 sparsities, --batch 1,64 needs [\d.]+ GB of WebAssembly memory/);
  });

  it('--model refuses a --batch whose inputs and logits exceed 4 GiB, at once', async () => {
    const file = tmp.file(encodeModel(smallModel()), 'small.safetensors');
    const t0 = Date.now();
    await expect(runCli(['--model', file, '--batch', '1,1000000000'])).rejects.toThrow(
      /^--batch 1,1000000000 needs 24\.00 GB of inputs and logits for .*small\.safetensors \(4 inputs, 2 outputs\), more than the 4 GiB a bench may hold: a smaller --batch$/,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
