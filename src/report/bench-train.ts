/**
 * The training benchmark behind `prunekit bench --train`: one epoch of masked SGD (same data,
 * same batch, same seed) with every layer dense and with the masked layers on the sparse kernels
 * (src/nn/sparse-layer.ts), on the same magnitude-pruned weights, timed side by side in
 * interleaved rounds. Each run trains a fresh copy of the pruned model for one epoch.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { loadKernelsSync, supportedFlavors, wasmBytes, type WasmFlavor } from '../kernels/index.js';
import { splitKernels } from '../kernels/split-kernels.js';
import { startNodeThreads } from '../kernels/threads-node.js';
import type { Dataset } from '../data/types.js';
import { cloneMLP, createMLP, type MLP } from '../nn/model.js';
import { train, type TrainConfig } from '../nn/train.js';
import { pruneEachLayer } from './bench.js';
import { pairedRatio, timeInterleaved, type Timing } from './latency.js';
import { median } from '../util/stats.js';

export interface TrainBenchOptions {
  data: Dataset;
  /** Layer sizes, input first; the first must be the data's feature count, the last its class count. */
  layers: number[];
  sparsities: number[];
  batch: number;
  rounds: number;
  seed: number;
  kernels?: WasmFlavor;
  onRound?: (round: number, rounds: number) => void;
}

export interface TrainBenchRow {
  sparsity: number;
  /** Median seconds of one epoch with the masked layers on the sparse kernels. */
  epoch_s: number;
  /** Median seconds of one masked dense epoch. */
  dense_epoch_s: number;
  /** dense / sparse, the median over rounds of the paired ratio. */
  speedup: number;
  /** The fastest runs of each (least disturbed by background load). */
  epoch_s_min: number;
  dense_epoch_s_min: number;
}

export interface TrainBenchReport {
  train: TrainBenchRow[];
  layers: number[];
  batch: number;
  samples: number;
  rounds: number;
  kernels: WasmFlavor;
  node: string;
  cpu: string;
  /** 1-minute load average before and after the run: the machine may be shared. */
  loadavg: [before: number, after: number];
  timing: string;
}

/** The fine-tuning configuration the demo uses (Nesterov momentum, L2), one epoch. */
const EPOCH: Partial<TrainConfig> = { epochs: 1, lr: 0.05, momentum: 0.9, nesterov: true, alpha: 0.1, schedule: 'constant' };

export async function runTrainBench(o: TrainBenchOptions): Promise<TrainBenchReport> {
  const { data } = o;
  if (o.layers[0] !== data.nFeatures)
    throw new RangeError(`bench --train: the first layer size is ${o.layers[0]} but the data (${data.source}) has ${data.nFeatures} features`);
  const classes = data.labelNames.length;
  if (o.layers.at(-1) !== classes)
    throw new RangeError(`bench --train: the last layer size is ${o.layers.at(-1)} but the data (${data.source}) has ${classes} classes`);
  const k = loadKernelsSync(o.kernels ? { flavor: o.kernels } : {});
  const full = createMLP({ sizes: o.layers, activation: 'relu', seed: o.seed });
  const pruned = new Map<number, MLP>(o.sparsities.map((s) => [s, pruneEachLayer(full, s)]));
  const epoch = (m: MLP, sparse: 'on' | 'off') => () =>
    train(cloneMLP(m), { train: data }, { ...EPOCH, batchSize: o.batch, seed: o.seed, sparse }, { kernels: k });
  const variants = o.sparsities.flatMap((s) => [
    { name: `${s}/dense`, fn: epoch(pruned.get(s)!, 'off') },
    { name: `${s}/sparse`, fn: epoch(pruned.get(s)!, 'on') },
  ]);
  const before = loadavg()[0];
  const timings = await timeInterleaved(variants, { runs: o.rounds, minRunMs: 0, warmupMs: 0, settleMs: 0, onRound: o.onRound });
  const T = new Map(timings.map((t) => [t.name, t]));
  const get = (name: string): Timing => T.get(name)!;
  return {
    train: o.sparsities.map((s) => {
      const d = get(`${s}/dense`),
        sp = get(`${s}/sparse`);
      return {
        sparsity: s,
        epoch_s: sp.median_us / 1e6,
        dense_epoch_s: d.median_us / 1e6,
        speedup: pairedRatio(d, sp),
        epoch_s_min: sp.min_us / 1e6,
        dense_epoch_s_min: d.min_us / 1e6,
      };
    }),
    layers: o.layers,
    batch: o.batch,
    samples: data.nSamples,
    rounds: o.rounds,
    kernels: k.flavor as WasmFlavor,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    loadavg: [before, loadavg()[0]],
    timing: `one epoch of masked SGD per run (fresh copy of the pruned model); warm-up, then ${o.rounds} interleaved rounds with the order rotated; medians; speedups paired per round`,
  };
}

export function formatTrainBench(r: TrainBenchReport): string {
  const lines = [
    `prunekit bench --train — kernels: ${r.kernels}, layers ${r.layers.join('-')}, batch ${r.batch}, ${r.samples} samples per epoch, ${r.rounds} rounds, node ${r.node}, ${r.cpu}`,
    `timing: ${r.timing}; load average ${r.loadavg.map((x) => x.toFixed(2)).join(' → ')}`,
    '',
    'sparsity  dense epoch s (min)  sparse epoch s (min)  sparse / dense  speedup',
  ];
  for (const x of r.train) {
    lines.push(
      [
        `${(x.sparsity * 100).toFixed(0)}%`.padStart(8),
        `${x.dense_epoch_s.toFixed(3)} (${x.dense_epoch_s_min.toFixed(3)})`.padEnd(19),
        `${x.epoch_s.toFixed(3)} (${x.epoch_s_min.toFixed(3)})`.padEnd(20),
        `${(1 / x.speedup).toFixed(3)}×`.padStart(14),
        `${x.speedup.toFixed(2)}×`.padStart(8),
      ].join('  '),
    );
  }
  return lines.join('\n') + '\n';
}

export interface TrainThreadBenchOptions {
  data: Dataset;
  /** Layer sizes, input first (the data's features), output last (its classes). */
  layers: number[];
  /** 0: every layer dense; above 0: pruned by magnitude, the masked layers on the sparse kernels. */
  sparsities: number[];
  batch: number;
  /** Thread counts to time; 1 (the baseline) is always timed. */
  threads: number[];
  rounds: number;
  seed: number;
  kernels?: WasmFlavor;
  onRound?: (round: number, rounds: number) => void;
}

export interface TrainThreadBenchRow {
  sparsity: number;
  threads: number;
  /** Median and fastest seconds of one epoch. */
  epoch_s: number;
  epoch_s_min: number;
  /** One thread's epoch / this one's: median over rounds of the paired ratio (1 for one thread); by min: the fastest runs' ratio. */
  speedupVsOneThread: number;
  speedupVsOneThreadMin: number;
  /** CPU seconds of the process (all its threads) per epoch, median over rounds: the work done, whoever waited for a core. */
  cpu_s: number;
  /** cpu_s / one thread's: the work the split adds (1 = none); with a free core per thread, an epoch takes about cpu_s / threads. */
  cpuVsOneThread: number;
}

export interface TrainThreadBenchReport {
  trainThreads: TrainThreadBenchRow[];
  layers: number[];
  batch: number;
  samples: number;
  rounds: number;
  kernels: WasmFlavor;
  node: string;
  cpu: string;
  cpus: number;
  loadavg: [before: number, after: number];
  timing: string;
}

/**
 * `prunekit bench --train --threads 1,2`: one training epoch (as `runTrainBench`) on one thread and
 * split over N (TrainConfig.threads' kernels, src/kernels/split-kernels.ts), every variant on the
 * same pool, started once and kept out of the timing; one untimed epoch each, then `rounds`
 * interleaved rounds with the order rotated. Wall and process CPU time of every epoch.
 */
export async function runTrainThreadBench(o: TrainThreadBenchOptions): Promise<TrainThreadBenchReport> {
  const { data } = o;
  if (o.layers[0] !== data.nFeatures || o.layers.at(-1) !== data.labelNames.length)
    throw new RangeError(`bench --train: layers ${o.layers.join(',')} do not fit the data (${data.nFeatures} features, ${data.labelNames.length} classes)`);
  const counts = [...new Set([1, ...o.threads])].sort((a, b) => a - b);
  const flavor = o.kernels ?? supportedFlavors()[0];
  loadKernelsSync({ flavor }); // the usual error when this engine cannot run the build
  const t = await startNodeThreads({ flavor, bytes: wasmBytes(flavor) }, counts.at(-1)!);
  try {
    const full = createMLP({ sizes: o.layers, activation: 'relu', seed: o.seed });
    const variants = o.sparsities.flatMap((s) => {
      const m = s > 0 ? pruneEachLayer(full, s) : full;
      return counts.map((n) => {
        const kernels = n === 1 ? t.kernels : splitKernels(t.kernels, t.pool, { threads: n });
        const cfg = { ...EPOCH, batchSize: o.batch, seed: o.seed, sparse: s > 0 ? ('on' as const) : ('off' as const) };
        return { sparsity: s, threads: n, wall: [] as number[], cpu: [] as number[], fn: () => train(cloneMLP(m), { train: data }, cfg, { kernels }) };
      });
    });
    const before = loadavg()[0];
    for (const v of variants) await v.fn(); // warm-up: tier-up, and the arena grown to its peak
    for (let r = 0; r < o.rounds; r++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + r) % variants.length];
        const c0 = process.cpuUsage(),
          t0 = performance.now();
        await v.fn();
        v.wall.push((performance.now() - t0) / 1000);
        const c = process.cpuUsage(c0);
        v.cpu.push((c.user + c.system) / 1e6);
      }
      o.onRound?.(r + 1, o.rounds);
    }
    const after = loadavg()[0];
    const asTiming = (v: (typeof variants)[number]): Timing => ({
      name: `${v.sparsity}/${v.threads}`,
      reps: 1,
      samples_us: v.wall.map((s) => s * 1e6),
      median_us: median(v.wall) * 1e6,
      min_us: Math.min(...v.wall) * 1e6,
    });
    return {
      trainThreads: variants.map((v) => {
        const one = variants.find((x) => x.sparsity === v.sparsity && x.threads === 1)!;
        return {
          sparsity: v.sparsity,
          threads: v.threads,
          epoch_s: median(v.wall),
          epoch_s_min: Math.min(...v.wall),
          speedupVsOneThread: v === one ? 1 : pairedRatio(asTiming(one), asTiming(v)),
          speedupVsOneThreadMin: Math.min(...one.wall) / Math.min(...v.wall),
          cpu_s: median(v.cpu),
          cpuVsOneThread: median(v.cpu) / median(one.cpu),
        };
      }),
      layers: o.layers,
      batch: o.batch,
      samples: data.nSamples,
      rounds: o.rounds,
      kernels: flavor,
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cpus: availableParallelism(),
      loadavg: [before, after],
      timing: `one epoch of SGD per run (fresh copy of the model; worker threads started once, outside the timing); one warm-up epoch each, then ${o.rounds} interleaved rounds with the order rotated; medians; speedups paired per round`,
    };
  } finally {
    t.pool.dispose();
  }
}

export function formatTrainThreadBench(r: TrainThreadBenchReport): string {
  const lines = [
    `prunekit bench --train --threads — kernels: ${r.kernels}, layers ${r.layers.join('-')}, batch ${r.batch}, ${r.samples} samples per epoch, ${r.rounds} rounds, node ${r.node}, ${r.cpu}, ${r.cpus} CPUs`,
    `timing: ${r.timing}; load average ${r.loadavg.map((x) => x.toFixed(2)).join(' → ')}`,
    '',
    'sparsity  threads  epoch s (min)    speedup (by min)  cpu s per epoch',
  ];
  for (const x of r.trainThreads) {
    lines.push(
      [
        `${(x.sparsity * 100).toFixed(0)}%`.padStart(8),
        String(x.threads).padStart(7),
        `${x.epoch_s.toFixed(3)} (${x.epoch_s_min.toFixed(3)})`.padEnd(15),
        `${x.speedupVsOneThread.toFixed(2)}× (${x.speedupVsOneThreadMin.toFixed(2)}×)`.padStart(16),
        `${x.cpu_s.toFixed(3)}${x.threads > 1 ? ` = ${x.cpuVsOneThread.toFixed(2)}×` : ''}`.padStart(15),
      ].join('  '),
    );
  }
  lines.push('', "speedup: 1 thread's epoch / N threads', median of per-round ratios; cpu: process CPU seconds per epoch, all threads (× one thread's)");
  return lines.join('\n') + '\n';
}
