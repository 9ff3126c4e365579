/**
 * The sweep: train once, prune to several sparsities with each criterion × scope × schedule,
 * compact each pruned model, and measure what users ask about (accuracy, generalisation gap,
 * bytes, latency dense vs compact, training and pruning time, gradient norms). Produces the
 * `SweepReport` that `renderReport` draws and `summarize` puts into words.
 *
 * Schedules over a list of sparsities:
 * - iterative: one chain, lowest target first; each point prunes the previous point's model further
 *   and fine-tunes it (Han et al. 2015) — so the points cost one fine-tune each, not one run each;
 * - oneshot, gradual, lottery: each point starts from the dense model.
 *
 * The dense model's training history (weight range, movement, w₀, rewind point: src/nn/history.ts)
 * is recorded once; every point works on its own copy and extends it with its own fine-tuning only,
 * so `range` and `movement` never see another criterion's (or another point's) pruned snapshots.
 * Lottery-ticket points rewind to w₀, or to the weights after epoch `rewindEpoch`.
 */
import { cpus, loadavg } from 'node:os';
import type { SplitDataset } from '../data/types.js';
import { createMLP, layerSizes, type MLP } from '../nn/model.js';
import type { ActName } from '../kernels/types.js';
import { computeGradients, defaultKernels, evaluate, MAX_TRAIN_THREADS, train } from '../nn/train.js';
import { encodeMLP } from '../nn/io.js';
import type { PruningScheduleName } from '../prune/prune.js';
import type { CriterionName } from '../prune/criteria.js';
import { HistoryRecorder } from '../nn/history.js';
import type { ScopeKind } from '../prune/scope.js';
import { compact } from '../compact/compact.js';
import { encodeModel } from '../sparse/format.js';
import { median } from '../util/stats.js';
import { fileParts } from './file-parts.js';
import { summarize } from './summary.js';
import type { ReportEpoch, SweepPoint, SweepReport } from './report-types.js';
import { gradNorms, gradOptions, passesOf, shardOfUnits, sweepUnits, unitRunner, type UnitOptions, type UnitPoint, type UnitSetup } from './sweep-unit.js';
import { startPool, type SweepPool } from './sweep-pool.js';

export { longestFirst, shardOfUnits, sweepUnits, type SweepUnit } from './sweep-unit.js';

export interface SweepOptions extends UnitOptions {
  data: SplitDataset;
  dataSpec: string;
  hidden: number[];
  activation: ActName;
  sparsities: number[];
  criteria: CriterionName[];
  scopes: ScopeKind[];
  schedules: PruningScheduleName[];
  command?: string;
  /** Progress messages. */
  log?: (msg: string) => void;
  /**
   * Progress as a count: `done` of `total` units, a unit being one training epoch or one sweep
   * point. `total` counts the planned epochs until training ends, then the epochs it really ran.
   */
  progress?: (done: number, total: number, note: string) => void;
  /** Keep the models: dense, and the pruned model of each point (same order as points). */
  keepModels?: boolean;
  /** Run only shard `index` of `count` (1-based) of the grid's units (see `sweepUnits`); default: all. */
  shard?: { index: number; count: number };
  /**
   * Run the units in this many worker threads (src/report/sweep-pool.ts; default 1: here, one
   * after another). The points are the same; only their measured times differ.
   */
  jobs?: number;
}

export interface SweepResult {
  report: SweepReport;
  dense: MLP;
  /** Pruned (masked) models, one per point, when keepModels is set. */
  pruned: MLP[];
  /** Compact file bytes of each point, when keepModels is set. */
  compactFiles: Uint8Array[];
}

/** The dense model trained (with its history), and what the report says about it. */
interface DenseRun {
  dense: MLP;
  epochs: ReportEpoch[];
  trainSeconds: number;
}

/**
 * Step 1: train the dense model, recording its history (each weight's range, movement, w₀, the
 * rewind point). The sweep's one call of `train`, made before any worker thread of a pooled sweep
 * starts: while it runs every core but this one would be idle, so a pooled sweep trains on `jobs`
 * threads (bit-identical to one thread's model; the thread count stays out of the provenance).
 */
async function trainDense(o: SweepOptions, data: SplitDataset, onEpoch: (note: string) => void): Promise<DenseRun> {
  const sizes = [data.train.nFeatures, ...o.hidden, data.train.labelNames.length];
  const dense = createMLP(
    { sizes, activation: o.activation, seed: o.seed },
    { mean: data.mean, scale: data.scale, featureNames: data.train.featureNames, labelNames: data.train.labelNames },
  );
  const rewindEpoch = o.rewindEpoch ?? 0;
  if (rewindEpoch > o.train.epochs) throw new RangeError(`rewind epoch ${rewindEpoch} is after the last training epoch (${o.train.epochs})`);
  const history = new HistoryRecorder(dense, { rewindEpoch });
  o.log?.(`training ${sizes.join('-')} for ${o.train.epochs} epochs`);
  const tr = await train(
    dense,
    data,
    { seed: o.seed, ...o.train, threads: Math.max(1, Math.min(o.jobs ?? 1, cpus().length, MAX_TRAIN_THREADS)) },
    {
      movement: history.hooks.movement,
      onEpoch: (r, m) => {
        history.onEpoch(r.epoch, m);
        o.log?.(`  epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, test accuracy ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%`);
        onEpoch(`training: epoch ${r.epoch}, loss ${r.loss.toFixed(4)}`);
      },
    },
  );
  if (rewindEpoch > 0 && !history.history.rewind)
    throw new RangeError(`training stopped after ${tr.epochs.length} epochs, before the rewind epoch ${rewindEpoch}`);
  dense.history = history.history;
  dense.provenance = { data: o.dataSpec, sizes, activation: o.activation, train: { ...o.train, seed: o.seed } };
  const epochs = tr.epochs.map((e) => ({
    epoch: e.epoch,
    loss: e.loss,
    trainAccuracy: e.trainAccuracy,
    testAccuracy: e.testAccuracy,
    seconds: e.seconds,
    gradNorms: e.gradNorms,
  }));
  return { dense, epochs, trainSeconds: tr.seconds };
}

/**
 * The settings that decide a sweep's points, beside the data and the dense model (which the report
 * records anyway): the grid, the fine-tuning and what each point's file stores. Two shards are of one
 * sweep only if they agree on all of it (`prunekit merge` checks); `runs` is left out, as it changes
 * only the measured times.
 */
export function sweepGrid(o: SweepOptions): Record<string, unknown> {
  return {
    criteria: o.criteria,
    scopes: o.scopes,
    schedules: o.schedules,
    sparsities: [...o.sparsities].sort((a, b) => a - b),
    seed: o.seed,
    train: o.train,
    fineTune: o.fineTune ?? null,
    finetuneEpochs: o.finetuneEpochs,
    rewindEpoch: o.rewindEpoch ?? 0,
    batches: o.batches ?? [1, 64],
    values: o.values ?? 'f32',
    bits: o.bits ?? null,
    index: o.index ?? null,
    entropy: o.entropy ?? null,
    formatVersion: o.formatVersion ?? null,
  };
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  if (o.shard && !(Number.isInteger(o.shard.count) && Number.isInteger(o.shard.index) && o.shard.index >= 1 && o.shard.index <= o.shard.count)) {
    throw new RangeError(`sweep shard ${o.shard.index}/${o.shard.count}: expected i/n with 1 ≤ i ≤ n`);
  }
  const jobs = o.jobs ?? 1;
  if (!(Number.isInteger(jobs) && jobs >= 1)) throw new RangeError(`sweep jobs: expected a whole number ≥ 1, got ${jobs}`);
  if (jobs > 1 && o.keepModels) throw new RangeError('sweep: keepModels needs jobs 1 (the pooled sweep keeps the points, not the models)');
  const units = sweepUnits(o);
  const shardOf = o.shard ? shardOfUnits(units, o.shard.count) : null;
  const todo = units.flatMap((_, u) => (!shardOf || shardOf[u] === o.shard!.index ? [u] : []));
  const threads = Math.min(jobs, todo.length); // more would get no work
  // the pool's threads start (modules, wasm kernels) while the dense model trains: ready when the units are
  const pool = threads > 1 ? await startPool(threads) : null;
  try {
    return await sweepWith(o, units, todo, pool);
  } finally {
    await pool?.destroy();
  }
}

/** `runSweep` from its units on: units `todo` run here, one after another, or in `pool`. */
async function sweepWith(o: SweepOptions, units: ReturnType<typeof sweepUnits>, todo: number[], pool: SweepPool | null): Promise<SweepResult> {
  const data = o.data;
  const k = defaultKernels();

  const nPoints = todo.reduce((n, u) => n + units[u].targets.length, 0);
  let progressDone = 0,
    progressTotal = o.train.epochs + nPoints;
  const tick = (note: string) => o.progress?.(++progressDone, progressTotal, note);

  // 1. train the dense model, compact it (every point's latency baseline)
  const { dense, epochs, trainSeconds } = await trainDense(o, data, tick);
  progressTotal = epochs.length + nPoints; // the epochs training really ran
  const denseCompact = compact(dense, { layout: 'dense', values: 'f32' });
  const denseBytes = encodeModel(denseCompact.compact);

  // 2. prune, compact, measure: in the pool, where the units start now and the dense model is measured
  // here beside them, or unit by unit here; each point's gradNormsBefore (the dense model's) filled in after
  const { data: _data, log: _log, progress: _progress, ...options } = o; // what a worker thread can be sent
  const setup: UnitSetup = { options, data, dense, denseBytes };
  const onPoint = ({ point: p, line }: Pick<UnitPoint, 'point' | 'line'>) => {
    o.log?.(line);
    tick(`${p.criterion}/${p.scope}/${p.schedule} ${(p.targetSparsity * 100).toFixed(1)}%: accuracy ${(p.accuracy * 100).toFixed(2)}%`);
  };
  const pooled = pool?.run(setup, units, todo, onPoint);
  pooled?.catch(() => undefined); // awaited below; should the measurement here throw first, the pool's end is not unhandled
  const passes = passesOf(o);
  const denseTest = evaluate(dense, data.test, undefined, passes),
    denseTrain = evaluate(dense, data.train, undefined, passes);
  const gradBefore = gradNorms(computeGradients(dense, data.train, gradOptions(o, data)).sqGrads);
  let results: (Pick<UnitPoint, 'point'> & Partial<UnitPoint>)[][];
  if (pooled) results = await pooled;
  else {
    const run = unitRunner(setup);
    results = [];
    for (const u of todo) results.push(await run(units[u], onPoint));
  }
  for (const p of results.flat()) p.point.gradNormsBefore = gradBefore;
  const points: SweepPoint[] = results.flatMap((r) => r.map((p) => p.point));
  const pointUnits = todo.flatMap((u, i) => results[i].map(() => u));
  // a shard may get no unit (more shards than units): its report then has no dense latency either
  const denseLatency = !points.length
    ? {}
    : Object.fromEntries((o.batches ?? [1, 64]).map((b) => [String(b), median(points.map((p) => p.latency[String(b)].dense_us))]));

  const sizes = layerSizes(dense);
  const report: SweepReport = {
    title: `prunekit sweep: ${[data.train.nFeatures, ...o.hidden, data.train.labelNames.length].join('-')} on ${o.dataSpec}`,
    createdAt: new Date().toISOString(),
    command: o.command ?? '',
    data: { spec: o.dataSpec, nTrain: data.train.nSamples, nTest: data.test.nSamples, nFeatures: data.train.nFeatures, nClasses: data.train.labelNames.length },
    model: { sizes, activation: o.activation },
    machine: { kernels: k.flavor, node: process.version, cpus: cpus().length, loadavg: loadavg() },
    dense: {
      accuracy: denseTest.accuracy,
      loss: denseTest.loss,
      trainAccuracy: denseTrain.accuracy,
      trainLoss: denseTrain.loss,
      bytes: denseBytes.length,
      parts: fileParts(denseCompact.compact, denseBytes.length),
      denseFileBytes: encodeMLP(dense).length,
      trainSeconds,
      epochs,
      latency: denseLatency,
    },
    points,
    summary: [],
    ...(o.shard ? { shard: { index: o.shard.index, count: o.shard.count, units: units.length, pointUnits, grid: sweepGrid(o) } } : {}),
  };
  report.summary = summarize(report);
  const kept = o.keepModels ? results.flat() : [];
  return { report, dense, pruned: kept.map((p) => p.model!), compactFiles: kept.map((p) => p.bytes!) };
}
