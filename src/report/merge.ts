/**
 * Joins the reports of a sharded sweep (`sweep --shard i/n`, one per shard) into the report the
 * unsharded sweep writes: the points back in grid order, the dense latency recomputed over all of
 * them, the summary rewritten. Every shard trained the same dense model from the same seed, so
 * the shards must agree on it; anything else (another grid, a missing or repeated shard) is refused.
 */
import { median } from '../util/stats.js';
import { isPlainObject } from '../util/json.js';
import type { SweepPoint, SweepReport } from './report-types.js';
import { summarize } from './summary.js';

/** One shard's report and where it came from (named in errors). */
export interface ShardReport {
  source: string;
  report: SweepReport;
}

/** The fields every shard must share: the data, the model and the dense run's measured quality. */
function fingerprint(r: SweepReport): string {
  const { accuracy, loss, trainAccuracy, trainLoss, bytes, denseFileBytes } = r.dense;
  return JSON.stringify({ title: r.title, data: r.data, model: r.model, dense: { accuracy, loss, trainAccuracy, trainLoss, bytes, denseFileBytes } });
}

/** `x` as JSON with every object's keys sorted: equal settings give equal text whatever order they were built in. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object')
    return `{${Object.keys(x)
      .sort()
      .filter((k) => (x as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((x as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(x) ?? 'null';
}

/** `sweepGrid`'s keys as the sweep's flags, for messages. */
const GRID_FLAGS: Record<string, string> = {
  criteria: '--criteria',
  scopes: '--scope',
  schedules: '--schedule',
  sparsities: '--sparsities',
  seed: '--seed',
  train: 'the dense training flags (--epochs, --batch, --lr, …)',
  fineTune: '--finetune-lr',
  finetuneEpochs: '--finetune-epochs',
  rewindEpoch: '--rewind-epoch',
  batches: 'the latency batch sizes',
  values: '--values',
  bits: '--values kmeans:BITS',
  index: '--index',
  entropy: '--entropy',
  formatVersion: '--format',
};

/** The settings two shards' grids disagree on (as flags: `GRID_FLAGS`), or null when they agree; a grid missing on one side is a disagreement. */
function gridDifference(a: Record<string, unknown> | undefined, b: Record<string, unknown> | undefined): string[] | null {
  if (!a || !b) return a === b ? null : ['grid (one report was written by a prunekit that did not record it)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const differ = keys.filter((k) => canonical(a[k]) !== canonical(b[k])).map((k) => GRID_FLAGS[k] ?? k);
  return differ.length ? differ : null;
}

/** What is wrong with a report's point, for the fields merge, the summary and report.html read (null: nothing). */
function pointProblem(p: unknown, batches: string[]): string | null {
  if (!isPlainObject(p)) return 'is not an object';
  for (const key of ['criterion', 'scope', 'schedule'] as const) if (typeof p[key] !== 'string') return `has no string "${key}"`;
  const numbers = ['targetSparsity', 'sparsity', 'accuracy', 'loss', 'trainAccuracy', 'gap', 'bytes', 'pruneSeconds', 'fineTuneEpochs'] as const;
  for (const key of numbers) if (typeof p[key] !== 'number') return `has no number "${key}"`;
  for (const key of ['gradNormsBefore', 'gradNormsAfter'] as const) if (!Array.isArray(p[key])) return `has no "${key}" list`;
  if (!Array.isArray(p.layers)) return 'has no "layers" list';
  const layer = p.layers.findIndex((l) => !isPlainObject(l) || typeof l.format !== 'string' || typeof l.deadRemoved !== 'number' || typeof l.out !== 'number');
  if (layer >= 0) return `layers[${layer}] is not a layer (expected "format", "out" and "deadRemoved")`;
  if (p.smallFile !== undefined && !isPlainObject(p.smallFile)) return 'has a "smallFile" that is not an object';
  if (!isPlainObject(p.latency)) return 'has no "latency" object';
  const latency = p.latency;
  const extra = Object.keys(latency).find((b) => !batches.includes(b));
  if (extra !== undefined) return `has a latency for batch ${extra}, which the report's dense latency does not have`;
  for (const b of batches) {
    const pair = latency[b];
    if (!isPlainObject(pair) || typeof pair.dense_us !== 'number' || typeof pair.sparse_us !== 'number')
      return `has no latency for batch ${b} (expected {"dense_us", "sparse_us"}, as in the report's dense latency)`;
  }
  return null;
}

/** A parsed report.json that is not a sweep report (null, an array, no points) or whose shard field is malformed is named, not dereferenced. */
function checkShape(source: string, report: unknown): asserts report is SweepReport {
  const r = report as Partial<SweepReport> | null;
  if (!isPlainObject(r) || !Array.isArray(r.points) || !isPlainObject(r.dense) || !isPlainObject(r.dense.latency)) {
    throw new Error(`merge: ${source} is not a sweep report (expected an object with "dense" and "points")`);
  }
  if (typeof r.command !== 'string' || !isPlainObject(r.machine) || !Array.isArray(r.dense.epochs))
    throw new Error(`merge: ${source} is not a sweep report (expected a "command" string, a "machine" object and the dense run's "epochs")`);
  const batches = Object.keys(r.dense.latency);
  r.points.forEach((p: unknown, i) => {
    const bad = pointProblem(p, batches);
    if (bad) throw new Error(`merge: ${source}: points[${i}] ${bad}`);
  });
  const s: unknown = r.shard;
  if (s === undefined) return;
  if (
    !isPlainObject(s) ||
    ![s.index, s.count, s.units].every(Number.isInteger) ||
    (s.count as number) < 1 ||
    (s.units as number) < 0 ||
    !Array.isArray(s.pointUnits) ||
    (s.grid !== undefined && !isPlainObject(s.grid))
  ) {
    throw new Error(`merge: ${source} has a malformed "shard" field (expected whole numbers index, count, units, a pointUnits list and a grid object)`);
  }
}

/**
 * The one-process sweep the shards are slices of: their common command without `--shard i/n`,
 * its --report pointing at the merged folder (each shard wrote to its own). Shards whose commands
 * differ otherwise give the first shard's; every shard's own command is kept in `merge`.
 */
export function unshardedCommand(shardCommands: readonly string[], reportDir?: string): string {
  const unsharded = shardCommands.map((c) => {
    const words = c.split(' ');
    const out: string[] = [];
    for (let i = 0; i < words.length; i++) {
      if (words[i] === '--shard') i++;
      else if (words[i].startsWith('--shard=')) continue;
      else if (reportDir !== undefined && words[i] === '--report' && i + 1 < words.length) {
        out.push('--report', reportDir);
        i++;
      } else if (reportDir !== undefined && words[i].startsWith('--report=')) out.push(`--report=${reportDir}`);
      else out.push(words[i]);
    }
    return out.join(' ');
  });
  return unsharded[0] ?? '';
}

export function mergeSweepReports(parts: readonly ShardReport[], command = '', reportDir?: string): SweepReport {
  if (parts.length === 0) throw new Error('merge: no shard reports given');
  for (const { source, report } of parts) checkShape(source, report);
  const first = parts[0];
  const count = first.report.shard?.count;
  for (const { source, report } of parts) {
    const s = report.shard;
    if (!s) throw new Error(`merge: ${source} is not the report of a shard (no "shard" field: was it written by sweep --shard i/n?)`);
    if (s.count !== count || s.units !== first.report.shard!.units) {
      throw new Error(
        `merge: ${source} is shard ${s.index}/${s.count} of a ${s.units}-unit grid, but ${first.source} is of ${count} shards and ${first.report.shard!.units} units`,
      );
    }
    const differ = gridDifference(s.grid, first.report.shard!.grid);
    if (differ) {
      throw new Error(`merge: ${source} was run with other sweep settings than ${first.source} (${differ.join(', ')}): the shards are not of one sweep`);
    }
    if (fingerprint(report) !== fingerprint(first.report)) {
      throw new Error(`merge: ${source} differs from ${first.source} in its data, model or dense run: the shards are not of one sweep (same flags and seed)`);
    }
    if (s.pointUnits.length !== report.points.length)
      throw new Error(`merge: ${source}: shard.pointUnits has ${s.pointUnits.length} entries for ${report.points.length} points`);
    if (s.index < 1 || s.index > s.count) throw new Error(`merge: ${source} claims to be shard ${s.index}/${s.count}`);
    const bad = s.pointUnits.find((u) => !Number.isInteger(u) || u < 0 || u >= s.units);
    if (bad !== undefined)
      throw new Error(
        `merge: ${source}: shard.pointUnits holds ${JSON.stringify(bad)}, expected ${s.units ? `units 0–${s.units - 1}` : 'none (the grid has no units)'}`,
      );
  }
  const seen = new Map<number, string>();
  for (const { source, report } of parts) {
    const prev = seen.get(report.shard!.index);
    if (prev) throw new Error(`merge: shard ${report.shard!.index}/${count} given twice (${prev} and ${source})`);
    seen.set(report.shard!.index, source);
  }
  const missing = Array.from({ length: count! }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) throw new Error(`merge: missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')}`);
  // a unit is run by one shard: two claiming one would put its points twice, or in the wrong order
  const unitOwner = new Map<number, string>();
  for (const { source, report } of parts)
    for (const u of new Set(report.shard!.pointUnits)) {
      const other = unitOwner.get(u);
      if (other) throw new Error(`merge: unit ${u} of the grid is in both ${other} and ${source}`);
      unitOwner.set(u, source);
    }
  const absent = Array.from({ length: first.report.shard!.units }, (_, u) => u).filter((u) => !unitOwner.has(u));
  if (absent.length) throw new Error(`merge: no shard holds unit${absent.length > 1 ? 's' : ''} ${absent.join(', ')} of the grid`);

  // points back in grid order; within a unit (an iterative chain) they are already in order
  const tagged: { unit: number; point: SweepPoint }[] = parts.flatMap(({ report }) =>
    report.points.map((point, i) => ({ unit: report.shard!.pointUnits[i], point })),
  );
  tagged.sort((a, b) => a.unit - b.unit); // stable: keeps each chain's order
  const points = tagged.map((t) => t.point);
  const latency: Record<string, number> = {};
  // the batches from a shard with points: one that got no unit measured none ({})
  const measured = parts.find((p) => p.report.points.length > 0) ?? first;
  for (const b of Object.keys(measured.report.dense.latency)) latency[b] = median(points.map((p) => p.latency[b].dense_us));

  const { shard: _shard, ...base } = first.report;
  const shardCommands = parts.map((p) => p.report.command);
  const merged: SweepReport = {
    ...base,
    createdAt: new Date().toISOString(),
    command: unshardedCommand(shardCommands, reportDir),
    merge: { command, shardCommands },
    dense: { ...base.dense, latency },
    points,
    summary: [],
  };
  merged.summary = summarize(merged);
  return merged;
}
