/**
 * One unit of the sweep's grid, run from the dense model: prune to each of its targets, fine-tune,
 * compact, measure. `runSweep` (src/report/sweep.ts) runs the units one after another; the pooled
 * sweep (src/report/sweep-pool.ts) runs them in worker threads (src/report/sweep-worker.ts), which
 * call the same `unitRunner` — so a point is the same whichever thread computes it.
 */
import type { SplitDataset } from '../data/types.js';
import { sparsityOf, type MLP } from '../nn/model.js';
import { computeGradients, evaluate, type TrainConfig, type TrainResult } from '../nn/train.js';
import { pruneModel, type PruneOptions, type PruningScheduleName } from '../prune/prune.js';
import type { CriterionName } from '../prune/criteria.js';
import type { ScopeKind } from '../prune/scope.js';
import { trainerContext } from '../prune/trainer.js';
import { compact, type CompactOptions } from '../compact/compact.js';
import { encodeModel } from '../sparse/format.js';
import { loadModelSync, type Model } from '../runtime/index.js';
import { fileParts, smallFile } from './file-parts.js';
import { timeInterleaved } from './latency.js';
import type { LatencyPair, SweepPoint } from './report-types.js';

/**
 * The sweep's grid as independent units of work, in report order: an iterative chain (one
 * criterion × scope, all sparsities, each point continuing the previous one) is one unit; every
 * point of the other schedules (each starts from the dense model) is a unit of its own. Units
 * share nothing but the dense model, and each point's fine-tuning is seeded on its own, so a unit
 * gives the same points whichever process or thread runs it, in whichever order.
 */
export interface SweepUnit {
  criterion: CriterionName;
  scope: ScopeKind;
  schedule: PruningScheduleName;
  targets: number[];
}

export function sweepUnits(o: { criteria: CriterionName[]; scopes: ScopeKind[]; schedules: PruningScheduleName[]; sparsities: number[] }): SweepUnit[] {
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

/** Unit indices (of `only`, default all), largest estimated cost first, ties in grid order: the order a pool takes them in. */
export function longestFirst(units: readonly SweepUnit[], only: readonly number[] = units.map((_, i) => i)): number[] {
  return [...only].sort((a, b) => unitCost(units[b]) - unitCost(units[a]) || a - b);
}

/**
 * Which shard (1-based) runs each unit when the grid is cut in `count`: longest-processing-time
 * first (Graham 1969) — units by estimated cost, largest first (ties in grid order), each to the
 * shard with the least estimated work so far (ties to the lowest index). Deterministic from the
 * grid alone, so every process of a sharded sweep agrees on the slices; balanced by cost, so the
 * low-sparsity points, the slowest to fine-tune, do not all land in one shard.
 */
export function shardOfUnits(units: readonly SweepUnit[], count: number): number[] {
  const load = new Array<number>(count).fill(0);
  const shard = new Array<number>(units.length);
  for (const u of longestFirst(units)) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    shard[u] = best + 1;
    load[best] += unitCost(units[u]);
  }
  return shard;
}

/** The sweep settings a unit needs (a part of SweepOptions that a worker thread can be sent). */
export interface UnitOptions {
  seed: number;
  /** Dense training. */
  train: Partial<TrainConfig> & { epochs: number };
  /** Fine-tuning configuration (default: the dense one, constant learning rate). */
  fineTune?: Partial<TrainConfig>;
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
}

/** What every unit starts from: the settings, the data, the trained dense model (with its history) and what was measured on it. */
export interface UnitSetup {
  options: UnitOptions;
  data: SplitDataset;
  dense: MLP;
  /** The dense model's compact file (the latency baseline every point is timed against). */
  denseBytes: Uint8Array;
}

/** One point of a unit; `model` and `bytes` are the pruned model and its compact file. */
export interface UnitPoint {
  point: SweepPoint;
  /** The progress line for this point. */
  line: string;
  model: MLP;
  bytes: Uint8Array;
}

export const gradNorms = (sq: Float32Array[]) => sq.map((s) => Math.sqrt(s.reduce((a, v) => a + v, 0)));

/** Evaluation and gradients on the kernels training uses. */
export const passesOf = (o: UnitOptions) => ({ sparse: o.train.sparse });

export const gradOptions = (o: UnitOptions, data: SplitDataset) => ({ batches: 8, batchSize: Math.min(64, data.train.nSamples), seed: o.seed, ...passesOf(o) });

/** Rows of the test split as a row-major batch (wrapping around if the split is small). */
function sampleBatch(data: SplitDataset, batch: number): Float32Array {
  const { test } = data,
    F = test.nFeatures;
  const x = new Float32Array(batch * F);
  for (let j = 0; j < batch; j++) x.set(test.features.subarray((j % test.nSamples) * F, ((j % test.nSamples) + 1) * F), j * F);
  return x;
}

/** A function that runs one unit from `setup`, calling `onPoint` after each of its points. */
export function unitRunner(setup: UnitSetup): (unit: SweepUnit, onPoint?: (p: UnitPoint) => void) => Promise<UnitPoint[]> {
  const { options: o, data, dense, denseBytes } = setup;
  const batches = o.batches ?? [1, 64];
  const runs = o.runs ?? 30;
  const rewindEpoch = o.rewindEpoch ?? 0;
  const passes = passesOf(o);
  const gradOpts = gradOptions(o, data);
  const denseRuntime = loadModelSync(denseBytes);
  const inputs = new Map(batches.map((b) => [b, sampleBatch(data, b)]));
  const ftCfg: Partial<TrainConfig> = { ...o.train, schedule: 'constant', ...o.fineTune, seed: o.seed };

  return async ({ criterion, scope, schedule, targets }, onPoint) => {
    const out: UnitPoint[] = [];
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
      }
      const sp = sparsityOf(model);
      const point: SweepPoint = {
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
        gradNormsBefore: [], // the dense model's ‖∂L/∂W‖ per layer: runSweep fills it in, measured once for every point
        gradNormsAfter: gradAfter,
      };
      const line =
        `  ${criterion}/${scope}/${schedule} ${(target * 100).toFixed(1)}%: accuracy ${(test.accuracy * 100).toFixed(2)}%, ` +
        `${bytes.length} bytes (dense ${denseBytes.length}), batch 1: ${latency['1']?.sparse_us.toFixed(1) ?? '-'} µs vs ${latency['1']?.dense_us.toFixed(1) ?? '-'} µs, ${pruneSeconds.toFixed(1)} s`;
      const p = { point, line, model, bytes };
      out.push(p);
      onPoint?.(p);
    }
    return out;
  };
}
