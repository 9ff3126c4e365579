/**
 * The training benchmark behind `prunekit bench --train`: one epoch of masked SGD (same data,
 * same batch, same seed) with every layer dense and with the masked layers on the sparse kernels
 * (src/nn/sparse-layer.ts), on the same magnitude-pruned weights, timed side by side in
 * interleaved rounds. Each run trains a fresh copy of the pruned model for one epoch.
 */
import { cpus, loadavg } from 'node:os';
import { loadKernelsSync, type WasmFlavor } from '../kernels/index.js';
import type { Dataset } from '../data/types.js';
import { cloneMLP, createMLP, type MLP } from '../nn/model.js';
import { train, type TrainConfig } from '../nn/train.js';
import { pruneEachLayer } from './bench.js';
import { pairedRatio, timeInterleaved, type Timing } from './latency.js';

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
