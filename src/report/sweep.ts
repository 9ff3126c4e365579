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
import { createMLP, layerSizes, sparsityOf, type MLP } from '../nn/model.js';
import type { ActName } from '../kernels/types.js';
import { computeGradients, defaultKernels, evaluate, train, type TrainConfig, type TrainResult } from '../nn/train.js';
import { encodeMLP } from '../nn/io.js';
import { pruneModel, type PruneOptions, type PruningScheduleName } from '../prune/prune.js';
import type { CriterionName } from '../prune/criteria.js';
import { HistoryRecorder } from '../nn/history.js';
import type { ScopeKind } from '../prune/scope.js';
import { trainerContext } from '../prune/trainer.js';
import { compact, type CompactOptions } from '../compact/compact.js';
import { encodeModel } from '../sparse/format.js';
import { loadModelSync, type Model } from '../runtime/index.js';
import { median } from '../util/stats.js';
import { fileParts, smallFile } from './file-parts.js';
import { timeInterleaved } from './latency.js';
import { summarize } from './summary.js';
import type { LatencyPair, ReportEpoch, SweepPoint, SweepReport } from './report-types.js';

export interface SweepOptions {
  data: SplitDataset;
  dataSpec: string;
  hidden: number[];
  activation: ActName;
  seed: number;
  /** Dense training. */
  train: Partial<TrainConfig> & { epochs: number };
  /** Fine-tuning configuration (default: the dense one, constant learning rate). */
  fineTune?: Partial<TrainConfig>;
  sparsities: number[];
  criteria: CriterionName[];
  scopes: ScopeKind[];
  schedules: PruningScheduleName[];
  /** Epochs per step (iterative, lottery) or in total (oneshot, gradual). */
  finetuneEpochs: number;
  /** Lottery ticket: rewind to the weights after this many dense-training epochs (default 0: w₀). */
  rewindEpoch?: number;
  /** Batch sizes for latency. Default [1, 64]. */
  batches?: number[];
  /** Timed runs per latency measurement. Default 30. */
  runs?: number;
  values?: 'f32' | 'f16' | 'kmeans';
  /** k-means codebook bits (1…8) when values is 'kmeans'; default 5, as compact's. */
  bits?: number;
  /** Column indices, entropy coding and format_version of each point's compact file, as compact's (defaults: auto, none, 1). */
  index?: CompactOptions['index'];
  entropy?: CompactOptions['entropy'];
  formatVersion?: CompactOptions['formatVersion'];
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
}

/**
 * The sweep's grid as independent units of work, in report order: an iterative chain (one
 * criterion × scope, all sparsities, each point continuing the previous one) is one unit; every
 * point of the other schedules (each starts from the dense model) is a unit of its own. Units
 * share nothing but the dense model, and each point's fine-tuning is seeded on its own, so a unit
 * gives the same points whichever process runs it, in whichever order.
 */
export interface SweepUnit {
  criterion: CriterionName;
  scope: ScopeKind;
  schedule: PruningScheduleName;
  targets: number[];
}

export function sweepUnits(o: Pick<SweepOptions, 'criteria' | 'scopes' | 'schedules' | 'sparsities'>): SweepUnit[] {
  const targets = [...o.sparsities].sort((a, b) => a - b);
  const units: SweepUnit[] = [];
  for (const criterion of o.criteria)
    for (const scope of o.scopes)
      for (const schedule of o.schedules) {
        if (schedule === 'iterative') units.push({ criterion, scope, schedule, targets });
        else for (const t of targets) units.push({ criterion, scope, schedule, targets: [t] });
      }
  return units;
}

/**
 * A unit's estimated cost: per point, fine-tuning work that shrinks with the density (1 − sparsity)
 * plus a fixed part (compaction, latency timing, the small-file estimate). Only the ranking matters.
 */
const unitCost = (u: SweepUnit): number => u.targets.reduce((sum, t) => sum + (1 - t) + 0.5, 0);

/**
 * Which shard (1-based) runs each unit when the grid is cut in `count`: longest-processing-time
 * first (Graham 1969) — units by estimated cost, largest first (ties in grid order), each to the
 * shard with the least estimated work so far (ties to the lowest index). Deterministic from the
 * grid alone, so every process of a sharded sweep agrees on the slices; balanced by cost, so the
 * low-sparsity points, the slowest to fine-tune, do not all land in one shard.
 */
export function shardOfUnits(units: readonly SweepUnit[], count: number): number[] {
  const order = units.map((_, i) => i).sort((a, b) => unitCost(units[b]) - unitCost(units[a]) || a - b);
  const load = new Array<number>(count).fill(0);
  const shard = new Array<number>(units.length);
  for (const u of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    shard[u] = best + 1;
    load[best] += unitCost(units[u]);
  }
  return shard;
}

export interface SweepResult {
  report: SweepReport;
  dense: MLP;
  /** Pruned (masked) models, one per point, when keepModels is set. */
  pruned: MLP[];
  /** Compact file bytes of each point, when keepModels is set. */
  compactFiles: Uint8Array[];
}

const gradNorms = (sq: Float32Array[]) => sq.map((s) => Math.sqrt(s.reduce((a, v) => a + v, 0)));

/** Rows of the test split as a row-major batch (wrapping around if the split is small). */
function sampleBatch(data: SplitDataset, batch: number): Float32Array {
  const { test } = data,
    F = test.nFeatures;
  const x = new Float32Array(batch * F);
  for (let j = 0; j < batch; j++) x.set(test.features.subarray((j % test.nSamples) * F, ((j % test.nSamples) + 1) * F), j * F);
  return x;
}

export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  if (o.shard && !(Number.isInteger(o.shard.count) && Number.isInteger(o.shard.index) && o.shard.index >= 1 && o.shard.index <= o.shard.count)) {
    throw new RangeError(`sweep shard ${o.shard.index}/${o.shard.count}: expected i/n with 1 ≤ i ≤ n`);
  }
  const log = o.log ?? (() => {});
  const batches = o.batches ?? [1, 64];
  const runs = o.runs ?? 30;
  const { data } = o;
  const sizes = [data.train.nFeatures, ...o.hidden, data.train.labelNames.length];
  const k = defaultKernels();

  // 1. train the dense model (recording each weight's range for the 'range' criterion)
  const dense = createMLP(
    { sizes, activation: o.activation, seed: o.seed },
    {
      mean: data.mean,
      scale: data.scale,
      featureNames: data.train.featureNames,
      labelNames: data.train.labelNames,
    },
  );
  const rewindEpoch = o.rewindEpoch ?? 0;
  if (rewindEpoch > o.train.epochs) throw new RangeError(`rewind epoch ${rewindEpoch} is after the last training epoch (${o.train.epochs})`);
  const history = new HistoryRecorder(dense, { rewindEpoch });
  log(`training ${sizes.join('-')} for ${o.train.epochs} epochs`);
  const nPoints = o.criteria.length * o.scopes.length * o.schedules.length * o.sparsities.length;
  let progressDone = 0,
    progressTotal = o.train.epochs + nPoints;
  const tick = (note: string) => o.progress?.(++progressDone, progressTotal, note);
  const tr = await train(
    dense,
    data,
    { seed: o.seed, ...o.train },
    {
      movement: history.hooks.movement,
      onEpoch: (r, m) => {
        history.onEpoch(r.epoch, m);
        log(`  epoch ${r.epoch}: loss ${r.loss.toFixed(4)}, test accuracy ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%`);
        tick(`training: epoch ${r.epoch}, loss ${r.loss.toFixed(4)}`);
      },
    },
  );
  progressTotal = tr.epochs.length + nPoints; // the epochs training really ran
  if (rewindEpoch > 0 && !history.history.rewind)
    throw new RangeError(`training stopped after ${tr.epochs.length} epochs, before the rewind epoch ${rewindEpoch}`);
  dense.history = history.history;
  dense.provenance = { data: o.dataSpec, sizes, activation: o.activation, train: { ...o.train, seed: o.seed } };
  const passes = { sparse: o.train.sparse }; // evaluation and gradients on the kernels training uses
  const denseTest = evaluate(dense, data.test, undefined, passes),
    denseTrain = evaluate(dense, data.train, undefined, passes);
  const gradOpts = { batches: 8, batchSize: Math.min(64, data.train.nSamples), seed: o.seed, ...passes };
  const gradBefore = gradNorms(computeGradients(dense, data.train, gradOpts).sqGrads);
  const denseCompact = compact(dense, { layout: 'dense', values: 'f32' });
  const denseBytes = encodeModel(denseCompact.compact);
  const denseRuntime = loadModelSync(denseBytes);
  const inputs = new Map(batches.map((b) => [b, sampleBatch(data, b)]));

  // 2. prune, compact, measure
  const ftCfg: Partial<TrainConfig> = { ...o.train, schedule: 'constant', ...o.fineTune, seed: o.seed };
  const points: SweepPoint[] = [];
  const pruned: MLP[] = [];
  const compactFiles: Uint8Array[] = [];
  const denseLatency: Record<string, number[]> = {};
  const units = sweepUnits(o);
  const shardOf = o.shard ? shardOfUnits(units, o.shard.count) : null;
  const pointUnits: number[] = [];

  for (const [u, { criterion, scope, schedule, targets }] of units.entries()) {
    if (o.shard && shardOf![u] !== o.shard.index) continue;
    let chain = dense; // iterative: each point continues from the previous one
    for (const target of targets) {
      const t0 = performance.now();
      const base: PruneOptions = {
        amount: { sparsity: target },
        criterion,
        scope,
        seed: o.seed,
        inputs: { seed: o.seed },
        finetuneEpochs: o.finetuneEpochs,
        schedule: schedule === 'iterative' ? 'oneshot' : schedule,
        rewindEpoch,
      };
      const start = schedule === 'iterative' ? chain : dense;
      // A fresh context per point: its fine-tuning shuffles do not depend on which points ran before.
      // Each point is evaluated below: its fine-tuning epochs need no test pass of their own.
      const trainer = trainerContext(data, { train: ftCfg, trainMetrics: false, epochMetrics: false });
      let ftSeconds = 0,
        ftEpochs = 0;
      const ctx = {
        ...trainer,
        evaluate: undefined, // each point is measured below: the pruning steps' own test passes would go unread
        fineTune: async (...a: Parameters<NonNullable<typeof trainer.fineTune>>) => {
          const r = (await trainer.fineTune!(...a)) as TrainResult;
          ftSeconds += r.epochs.reduce((s, e) => s + e.seconds, 0);
          ftEpochs += r.epochs.length;
          return r;
        },
      };
      const { model, steps } = await pruneModel(start, ctx, base);
      if (schedule === 'iterative') chain = model;
      const pruneSeconds = (performance.now() - t0) / 1000;
      const test = evaluate(model, data.test, undefined, passes),
        trn = evaluate(model, data.train, undefined, passes);
      const gradAfter = gradNorms(computeGradients(model, data.train, gradOpts).sqGrads);
      const c = compact(model, {
        values: o.values ?? 'f32',
        bits: o.bits,
        index: o.index,
        entropy: o.entropy,
        formatVersion: o.formatVersion,
        batchSizes: batches,
      });
      const bytes = encodeModel(c.compact);
      const sparseRuntime: Model = loadModelSync(bytes);
      const latency: Record<string, LatencyPair> = {};
      for (const b of batches) {
        const x = inputs.get(b)!;
        const [d, s] = await timeInterleaved(
          [
            { name: 'dense', fn: () => denseRuntime.predictProba(x, b) },
            { name: 'sparse', fn: () => sparseRuntime.predictProba(x, b) },
          ],
          { runs, warmupMs: 40, settleMs: 20 },
        );
        latency[String(b)] = { dense_us: d.median_us, sparse_us: s.median_us };
        (denseLatency[String(b)] ??= []).push(d.median_us);
      }
      const sp = sparsityOf(model);
      points.push({
        criterion,
        scope,
        schedule,
        targetSparsity: target,
        sparsity: sp.total,
        accuracy: test.accuracy,
        loss: test.loss,
        trainAccuracy: trn.accuracy,
        trainLoss: trn.loss,
        gap: trn.accuracy - test.accuracy,
        bytes: bytes.length,
        parts: fileParts(c.compact, bytes.length),
        formatVersion: c.report.info.format_version,
        smallFile: smallFile(model, data.test, batches),
        layers: c.report.layers.map((L, i) => ({
          sparsity: sp.layers[i],
          format: L.format,
          nonzeros: L.nonzeros,
          in: L.inFeatures,
          out: L.outFeatures,
          deadRemoved: L.removedNeurons,
        })),
        latency,
        pruneSeconds,
        fineTuneEpochs: steps.at(-1)?.epochs ?? 0,
        ...(ftEpochs > 0 ? { fineTuneEpochSeconds: ftSeconds / ftEpochs } : {}),
        gradNormsBefore: gradBefore,
        gradNormsAfter: gradAfter,
      });
      pointUnits.push(u);
      if (o.keepModels) {
        pruned.push(model);
        compactFiles.push(bytes);
      }
      log(
        `  ${criterion}/${scope}/${schedule} ${(target * 100).toFixed(1)}%: accuracy ${(test.accuracy * 100).toFixed(2)}%, ` +
          `${bytes.length} bytes (dense ${denseBytes.length}), batch 1: ${latency['1']?.sparse_us.toFixed(1) ?? '-'} µs vs ${latency['1']?.dense_us.toFixed(1) ?? '-'} µs, ${pruneSeconds.toFixed(1)} s`,
      );
      tick(`${criterion}/${scope}/${schedule} ${(target * 100).toFixed(1)}%: accuracy ${(test.accuracy * 100).toFixed(2)}%`);
    }
  }

  const epochs: ReportEpoch[] = tr.epochs.map((e) => ({
    epoch: e.epoch,
    loss: e.loss,
    trainAccuracy: e.trainAccuracy,
    testAccuracy: e.testAccuracy,
    seconds: e.seconds,
    gradNorms: e.gradNorms,
  }));
  const report: SweepReport = {
    title: `prunekit sweep: ${sizes.join('-')} on ${o.dataSpec}`,
    createdAt: new Date().toISOString(),
    command: o.command ?? '',
    data: { spec: o.dataSpec, nTrain: data.train.nSamples, nTest: data.test.nSamples, nFeatures: data.train.nFeatures, nClasses: data.train.labelNames.length },
    model: { sizes: layerSizes(dense), activation: o.activation },
    machine: { kernels: k.flavor, node: process.version, cpus: cpus().length, loadavg: loadavg() },
    dense: {
      accuracy: denseTest.accuracy,
      loss: denseTest.loss,
      trainAccuracy: denseTrain.accuracy,
      trainLoss: denseTrain.loss,
      bytes: denseBytes.length,
      parts: fileParts(denseCompact.compact, denseBytes.length),
      denseFileBytes: encodeMLP(dense).length,
      trainSeconds: tr.seconds,
      epochs,
      latency: Object.fromEntries(Object.entries(denseLatency).map(([b, xs]) => [b, median(xs)])),
    },
    points,
    summary: [],
    ...(o.shard ? { shard: { index: o.shard.index, count: o.shard.count, units: units.length, pointUnits } } : {}),
  };
  report.summary = summarize(report);
  return { report, dense, pruned, compactFiles };
}
