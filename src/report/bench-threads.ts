/**
 * `prunekit bench --threads 1,2`: the same forward passes as the kernel bench (bench.ts: random
 * He-initialised weights pruned by magnitude, dense and CSR) on one thread and split over worker
 * threads (kernels/parallel.ts), all on one shared memory and timed in the same interleaved rounds,
 * so each thread count's speedup over one thread is paired per round.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { layerForward, loadKernelsSync, supportedFlavors, wasmBytes, type WasmFlavor } from '../kernels/index.js';
import { splitRuns } from '../kernels/checked.js';
import { createParallelForward } from '../kernels/parallel.js';
import { startNodeThreads } from '../kernels/threads-node.js';
import { benchNetworks, forward } from './bench.js';
import { pairedRatio, timeInterleaved, type Timing, type Variant } from './latency.js';

export interface ThreadBenchOptions {
  layers: number[];
  sparsities: number[];
  batches: number[];
  /** Thread counts to time; 1 (the baseline) is always timed. */
  threads: number[];
  runs: number;
  minRunMs: number;
  seed: number;
  kernels?: WasmFlavor;
  onRound?: (round: number, rounds: number) => void;
}

export interface ThreadBenchResult {
  sparsity: number;
  batch: number;
  format: 'dense' | 'csr';
  threads: number;
  medianUs: number;
  minUs: number;
  /** One thread's time / this one's, median over rounds of the paired ratio (1 for one thread). */
  speedupVsOneThread: number;
  /** One thread's min / this one's min (the fastest runs: least disturbed by background load). */
  speedupVsOneThreadMin: number;
  /** CPU time of the process (all its threads) per forward pass, µs: the work done, whoever waited for a core. */
  cpuUs: number;
  /** cpuUs / one thread's cpuUs: the work the split adds (1 = none); with a free core per thread, time ≈ cpuUs / threads. */
  cpuVsOneThread: number;
}

export interface ThreadBenchReport {
  kernels: WasmFlavor;
  layers: number[];
  runs: number;
  minRunMs: number;
  seed: number;
  node: string;
  cpu: string;
  cpus: number;
  /** os.loadavg() before and after the run: other processes competing for the same cores. */
  loadavgBefore: number[];
  loadavgAfter: number[];
  timing: string;
  results: ThreadBenchResult[];
}

/** Process CPU time per call of `fn`, µs, over enough calls to last about 50 ms at the timed median (at least 3). */
function cpuPerCall(fn: Variant['fn'], t: Timing): number {
  const calls = Math.max(3, Math.ceil(50_000 / t.median_us));
  const t0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / calls;
}

export async function runThreadBench(o: ThreadBenchOptions): Promise<ThreadBenchReport> {
  const loadBefore = loadavg();
  const counts = [...new Set([1, ...o.threads])].sort((a, b) => a - b);
  const flavor = o.kernels ?? supportedFlavors()[0];
  loadKernelsSync({ flavor }); // the usual error when this engine cannot run the build
  const t = await startNodeThreads({ flavor, bytes: wasmBytes(flavor) }, counts.at(-1)!);
  try {
    const k = t.kernels;
    const { nets, acts, panel } = benchNetworks(k, o, splitRuns(counts.at(-1)!), counts.at(-1)!);
    const steps = new Map(counts.map((n) => [n, n === 1 ? layerForward : createParallelForward(t.pool, n)]));
    const variants: Variant[] = [];
    for (const s of o.sparsities)
      for (const b of o.batches)
        for (const f of ['dense', 'csr'] as const)
          for (const n of counts) {
            const net = nets.get(`${s}/${f}`)!,
              bufs = acts.get(b)!,
              step = steps.get(n)!;
            variants.push({ name: `${s}/${b}/${f}/${n}`, fn: () => forward(k, net, bufs, b, step, panel) });
          }
    const timings = await timeInterleaved(variants, { runs: o.runs, minRunMs: o.minRunMs, onRound: o.onRound });
    const T = new Map<string, Timing>(timings.map((x) => [x.name, x]));
    const cpu = new Map(variants.map((v) => [v.name, cpuPerCall(v.fn, T.get(v.name)!)]));
    const results: ThreadBenchResult[] = [];
    for (const s of o.sparsities)
      for (const b of o.batches)
        for (const f of ['dense', 'csr'] as const) {
          const one = T.get(`${s}/${b}/${f}/1`)!,
            oneCpu = cpu.get(`${s}/${b}/${f}/1`)!;
          for (const n of counts) {
            const tn = T.get(`${s}/${b}/${f}/${n}`)!;
            results.push({
              sparsity: s,
              batch: b,
              format: f,
              threads: n,
              medianUs: tn.median_us,
              minUs: tn.min_us,
              speedupVsOneThread: n === 1 ? 1 : pairedRatio(one, tn),
              speedupVsOneThreadMin: one.min_us / tn.min_us,
              cpuUs: cpu.get(`${s}/${b}/${f}/${n}`)!,
              cpuVsOneThread: cpu.get(`${s}/${b}/${f}/${n}`)! / oneCpu,
            });
          }
        }
    return {
      kernels: flavor,
      layers: o.layers,
      runs: o.runs,
      minRunMs: o.minRunMs,
      seed: o.seed,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: availableParallelism(),
      loadavgBefore: loadBefore,
      loadavgAfter: loadavg(),
      timing: `each run loops the forward pass ≥ ${o.minRunMs} ms and divides; ${o.runs} runs per variant, interleaved in rounds (order rotated); median and min over runs; speedups are paired per round`,
      results,
    };
  } finally {
    t.pool.dispose();
  }
}

const f1 = (x: number) => x.toFixed(1),
  f2 = (x: number) => x.toFixed(2);

/** The human-readable report: one line per (sparsity, batch, format), a column per thread count. */
export function formatThreadBench(r: ThreadBenchReport): string {
  const counts = [...new Set(r.results.map((x) => x.threads))];
  const lines = [
    `prunekit bench --threads — kernels: ${r.kernels}, layers ${r.layers.join('-')}, ${r.runs} runs, node ${r.node}, ${r.cpu}`,
    `timing: ${r.timing}`,
    `load average (1, 5, 15 min) before ${r.loadavgBefore.map(f2).join(' ')}, after ${r.loadavgAfter.map(f2).join(' ')}, on ${r.cpus} CPUs`,
    '',
    ['sparsity', ' batch', 'format', ...counts.map((n) => `${n} thread${n > 1 ? 's' : ''}: µs (min)${n > 1 ? ' speedup' : ''}, cpu µs`.padStart(52))].join(
      '  ',
    ),
  ];
  const keys = [...new Set(r.results.map((x) => `${x.sparsity}/${x.batch}/${x.format}`))];
  for (const key of keys) {
    const row = r.results.filter((x) => `${x.sparsity}/${x.batch}/${x.format}` === key);
    const cells = counts.map((n) => {
      const x = row.find((y) => y.threads === n)!;
      const time = `${f1(x.medianUs)} (${f1(x.minUs)})`;
      const cpu = `cpu ${f1(x.cpuUs)}${n === 1 ? '' : ` = ${f2(x.cpuVsOneThread)}×`}`;
      return (n === 1 ? `${time} ${cpu}` : `${time} ${f2(x.speedupVsOneThread)}× (${f2(x.speedupVsOneThreadMin)}×) ${cpu}`).padStart(52);
    });
    lines.push([`${(row[0].sparsity * 100).toFixed(0)}%`.padStart(8), String(row[0].batch).padStart(6), row[0].format.padEnd(6), ...cells].join('  '));
  }
  lines.push(
    '',
    "speedup: 1 thread / N threads, median of per-round ratios (by min: ratio of the fastest runs); cpu: process CPU time per forward, all threads (× one thread's)",
  );
  return lines.join('\n') + '\n';
}
