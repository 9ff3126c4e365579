/**
 * `prunekit fit`: the most accurate pruned model that meets a measured budget — a latency at a
 * batch size on this machine, or a file size — instead of a sparsity number.
 *
 * 1. Cost table per layer, at a grid of densities: bytes (computed exactly as the compact file
 *    stores the layer, dense or CSR, for the chosen value encoding) and latency (each layer alone,
 *    random weights of that shape and density, dense and CSR, timed through the runtime's kernels
 *    at the batch size in interleaved rounds, fastest round, net of the same layer nearly empty;
 *    the whole model nearly empty is the cost of a call, added once; or a table measured
 *    elsewhere, e.g. in a browser). CSR times are
 *    made monotone in density (isotonic regression, fit-latency.ts) before use, and the cheaper
 *    layout wins at each density: the allocation chooses dense or CSR per layer.
 * 2. Sensitivity per layer (Yang et al. 2018, NetAdapt; He et al. 2018, AMC use the same idea):
 *    the loss on training samples when that layer alone is pruned to each density.
 * 3. Allocation: a multiple-choice knapsack over the tables (not NetAdapt's greedy, which can stop
 *    at a worse combination): one density per layer, Σ cost ≤ budget, least Σ loss increase, the
 *    layers' increases taken as additive; exact by dynamic programming (`allocate`).
 * 4. Prune each layer to its density (the chosen criterion, one-shot) and measure the compact file
 *    — its structure is the delivered file's, since fine-tuning keeps the mask. Rescale the internal
 *    budget by target / measured (kept inside the bracket of what met and what missed) and allocate
 *    again (at most `attempts` times), keeping the plan with the least predicted loss whose median
 *    was ≤ the aim: T·(1 − drift), the drift being how far the dense model, timed in every attempt,
 *    moved between attempts (≥ 3%). The delivered file's latency counts as met when its median is
 *    ≤ T plus the run's noise band (fit-latency.ts).
 * 5. Fine-tune the chosen plan, compact, and re-measure the delivered file.
 */
import type { Dataset, SplitDataset } from '../data/types.js';
import type { MLP } from '../nn/model.js';
import { cloneMLP } from '../nn/model.js';
import { evaluate } from '../nn/train.js';
import type { PruneContext } from '../prune/prune.js';
import { pruneModel } from '../prune/prune.js';
import type { CriterionName } from '../prune/criteria.js';
import { compact, type CompactOptions } from '../compact/compact.js';
import { encodeModel, type CompactModel } from '../sparse/format.js';
import { csrBytes, narrowestIndex } from '../sparse/csr.js';
import { VALUE_BYTES } from '../sparse/info.js';
import { loadModelSync } from '../runtime/index.js';
import { Rng } from '../util/rng.js';
import { median } from '../util/stats.js';
import { meetsLatency, monotoneCsr, timeModels, type ModelTiming } from './fit-latency.js';
import { DENSITY_GRID, measureLatencyTable as measureTable, validateLatencyTable, type LatencyTable, type MeasureOptions } from './latency-table.js';

export { DENSITY_GRID, type LatencyTable };

/** Densities the allocation chooses from (finer: the table is interpolated between its points). */
export const ALLOCATION_GRID = [
  1, 0.85, 0.7, 0.6, 0.5, 0.42, 0.35, 0.3, 0.25, 0.21, 0.18, 0.15, 0.12, 0.1, 0.08, 0.065, 0.05, 0.04, 0.03, 0.025, 0.02, 0.015, 0.01, 0.0075, 0.005,
];

export type FitBudget = { maxLatencyUs: number; batch: number } | { maxBytes: number; batch?: number };

export interface FitOptions {
  budget: FitBudget;
  /** Value encoding of the compact file (default f32); kmeans with `bits`. */
  values?: CompactOptions['values'];
  bits?: number;
  criterion?: CriterionName;
  finetuneEpochs?: number;
  /** A table measured elsewhere (must match the model's layer shapes); default: measured here. */
  latencyTable?: LatencyTable;
  /** Training samples for the sensitivity losses (default 1024). */
  sensitivitySamples?: number;
  /** Allocation → prune → measure rounds at most (default 6). */
  attempts?: number;
  /** Interleaved timing rounds per measurement (default 60; the latency table: 15). */
  runs?: number;
  /** Models timed beside every candidate (the report's baselines): attempts are then measured as the report's verdict is. */
  companions?: readonly CompactModel[];
  /** Densities the allocation chooses from (default ALLOCATION_GRID). */
  grid?: readonly number[];
  seed?: number;
  onProgress?: (what: string) => void;
}

export interface FitLayer {
  density: number;
  sparsity: number;
  layout: 'dense' | 'csr';
}

export interface FitResult {
  model: CompactModel;
  bytes: number;
  accuracy: number;
  /** Median over the interleaved rounds, µs; its fastest round and noise band (fit-latency.ts). */
  latency_us: number;
  latencyMinUs: number;
  latencyBandUs: number;
  batch: number;
  /** Bytes ≤ N exactly; latency: median ≤ T + noise band. */
  met: boolean;
  attempts: number;
  layers: FitLayer[];
  predicted: { cost: number; loss: number };
  /** The table a latency budget was allocated with. */
  latencyTable?: LatencyTable;
}

/** A layer's stored bytes at a density and layout (as compact.ts stores it; index type by width). */
export function layerBytes(rows: number, cols: number, density: number, layout: 'dense' | 'csr', values: CompactOptions['values'] = 'f32'): number {
  const vb = VALUE_BYTES[values ?? 'f32'];
  if (layout === 'dense') return rows * cols * vb + rows * 4;
  // + the header entries of the two extra tensors (indices, indptr), about 160 bytes as compact.ts counts them
  return csrBytes(rows, Math.round(density * rows * cols), vb, narrowestIndex(cols)) + rows * 4 + 160;
}

/** Times every layer of `model` alone, dense and CSR at each grid density, at `batch`, through Node's runtime. */
export function measureLatencyTable(model: MLP, batch: number, o: MeasureOptions = {}): Promise<LatencyTable> {
  return measureTable(model.layers, batch, loadModelSync, o);
}

/** Checks a latency table (read from a file: anything) against the model: a clear error naming `source` and the field. */
export function checkLatencyTable(t: unknown, model: MLP, source: string): LatencyTable {
  return validateLatencyTable(t, model.layers, source);
}

/** Linear interpolation in points sorted by density, clamped at the ends. */
function interpolate(pts: readonly { density: number; us: number }[], density: number): number {
  if (density <= pts[0].density) return pts[0].us;
  for (let i = 1; i < pts.length; i++) {
    if (density <= pts[i].density) {
      const [a, b] = [pts[i - 1], pts[i]];
      return a.us + ((b.us - a.us) * (density - a.density)) / (b.density - a.density);
    }
  }
  return pts[pts.length - 1].us;
}

/** Cost (µs or bytes) and layout of layer l at a density, the cheaper layout chosen. */
export type CostFn = (l: number, density: number) => { cost: number; layout: 'dense' | 'csr' };

/** Per-layer µs from a table: CSR from the monotone fit of its points (interpolated), or dense where that is faster. */
export function latencyCost(t: LatencyTable): CostFn {
  const csr = t.layers.map((row) => monotoneCsr(row.csr));
  return (l, d) => {
    const row = t.layers[l];
    const us = d < 1 ? interpolate(csr[l], d) : Infinity;
    return us < row.dense_us ? { cost: us, layout: 'csr' } : { cost: row.dense_us, layout: 'dense' };
  };
}

export function bytesCost(model: MLP, values: CompactOptions['values']): CostFn {
  return (l, d) => {
    const L = model.layers[l];
    const dense = layerBytes(L.outFeatures, L.inFeatures, d, 'dense', values);
    const csr = d < 1 ? layerBytes(L.outFeatures, L.inFeatures, d, 'csr', values) : Infinity;
    return csr < dense ? { cost: csr, layout: 'csr' } : { cost: dense, layout: 'dense' };
  };
}

/** Cost units the knapsack divides the budget into (each option's cost rounded up to a whole unit). */
const KNAPSACK_UNITS = 2000;

/**
 * The allocation, a multiple-choice knapsack: pick one grid density per layer so that
 * overhead + Σ_l cost_l ≤ budget with the least Σ_l (loss[l][k_l] − loss[l][0]), the loss
 * increases taken as independent and additive. Solved exactly by dynamic programming over the cost
 * discretised into KNAPSACK_UNITS units of the budget (rounded up), O(layers × grid × units).
 * `loss[l][k]` is the loss with layer l alone at grid[k] (Infinity: not possible); increases below 0
 * count as 0 and ties go to the denser option. Throws when no allocation fits.
 */
export function allocate(
  nLayers: number,
  cost: CostFn,
  loss: number[][],
  budget: number,
  overhead = 0,
  grid: readonly number[] = DENSITY_GRID,
): { densities: number[]; cost: number; loss: number } {
  const room = budget - overhead;
  const cheapest =
    overhead +
    Array.from({ length: nLayers }, (_, l) => Math.min(...grid.map((d, k) => (Number.isFinite(loss[l][k]) ? cost(l, d).cost : Infinity)))).reduce(
      (a, b) => a + b,
      0,
    );
  if (!(room > 0) || cheapest > budget)
    throw new RangeError(
      `no allocation on the density grid meets the budget: the sparsest one still costs ${cheapest.toFixed(1)} (budget ${budget.toFixed(1)})`,
    );
  const unit = room / KNAPSACK_UNITS;
  const units = (l: number, d: number) => Math.ceil(cost(l, d).cost / unit - 1e-9);
  // Rounding each layer's cost up costs at most one unit per layer: the table runs that far past the
  // budget, and the walk back below keeps the fullest plan whose exact cost fits (a plan costing
  // exactly the budget, the dense model's or the sparsest one's, is not lost to the rounding).
  const top = KNAPSACK_UNITS + nLayers;
  // best[u]: least loss increase of the layers so far within u units; choice[l][u]: layer l's grid index there.
  let best = new Float64Array(top + 1);
  const choice: Int16Array[] = [];
  for (let l = 0; l < nLayers; l++) {
    const next = new Float64Array(top + 1).fill(Infinity);
    const pick = new Int16Array(top + 1).fill(-1);
    grid.forEach((d, k) => {
      if (!Number.isFinite(loss[l][k])) return;
      const w = units(l, d);
      const gain = Math.max(0, loss[l][k] - loss[l][0]);
      for (let u = w; u <= top; u++) {
        const v = best[u - w] + gain;
        if (v < next[u]) [next[u], pick[u]] = [v, k];
      }
    });
    best = next;
    choice.push(pick);
  }
  // Walk back from u units: each layer's pick, then the units it used.
  const planAt = (u: number): number[] => {
    const k = new Array<number>(nLayers);
    for (let l = nLayers - 1; l >= 0; l--) {
      k[l] = choice[l][u];
      u -= units(l, grid[k[l]]);
    }
    return k;
  };
  const exactCost = (k: number[]) => overhead + k.reduce((a, ki, l) => a + cost(l, grid[ki]).cost, 0);
  let k: number[] | undefined;
  for (let u = top; u >= 0 && !k; u--) {
    if (!Number.isFinite(best[u])) break; // best[] only grows as u falls: nothing fits below
    const plan = planAt(u);
    if (exactCost(plan) <= budget * (1 + 1e-12)) k = plan; // (a sum of the same costs in another order may differ in the last bit)
  }
  // Ties: two options of a layer less than a unit apart round to the same units, and the table keeps
  // the one with less loss; at the bottom of the table that may be the dearer one. The plan that takes
  // every layer's cheapest option then still fits (cheapest ≤ budget, checked above).
  k ??= Array.from({ length: nLayers }, (_, l) =>
    grid.reduce((b, d, i) => (Number.isFinite(loss[l][i]) && (b < 0 || cost(l, d).cost < cost(l, grid[b]).cost) ? i : b), -1),
  );
  const total = exactCost(k);
  // Predicted loss: the base loss plus each layer's own increase (layers taken as independent).
  const predicted = (loss[0]?.[0] ?? 0) + k.reduce((a, ki, l) => a + (loss[l][ki] - loss[l][0]), 0);
  return { densities: k.map((ki) => grid[ki]), cost: total, loss: predicted };
}

/** `count` training samples from a seeded shuffle, as a Dataset. */
function subset(ds: Dataset, count: number, seed: number): Dataset {
  const n = Math.min(count, ds.nSamples),
    d = ds.nFeatures;
  const rows = new Rng(seed).shuffle(Int32Array.from({ length: ds.nSamples }, (_, i) => i)).subarray(0, n);
  const features = new Float32Array(n * d),
    labels = new Int32Array(n);
  rows.forEach((r, k) => {
    features.set(ds.features.subarray(r * d, r * d + d), k * d);
    labels[k] = ds.labels[r];
  });
  return { ...ds, features, labels, nSamples: n };
}

/** Prunes layer l alone to `density` (one-shot, the chosen criterion) on a copy of the model. */
export async function pruneLayers(model: MLP, ctx: PruneContext, densities: (number | undefined)[], criterion: CriterionName): Promise<MLP> {
  let m = model;
  for (const [l, d] of densities.entries()) {
    if (d === undefined || d >= 1) continue;
    m = (await pruneModel(m, ctx, { amount: { sparsity: 1 - d }, layers: [l], scope: 'layer', criterion, minDensity: 0 })).model;
  }
  return m === model ? cloneMLP(model) : m;
}

/** Loss with each layer alone pruned to each grid density, on `samples` training samples. */
export async function layerSensitivity(
  model: MLP,
  ctx: PruneContext,
  samples: Dataset,
  criterion: CriterionName,
  onProgress?: (what: string) => void,
  grid: readonly number[] = DENSITY_GRID,
): Promise<number[][]> {
  const out: number[][] = [];
  for (const [l] of model.layers.entries()) {
    onProgress?.(`sensitivity: layer ${l + 1}/${model.layers.length}`);
    const row: number[] = [];
    for (const d of grid) {
      const densities = model.layers.map((_, j) => (j === l ? d : undefined));
      try {
        row.push(evaluate(await pruneLayers(model, ctx, densities, criterion), samples).loss);
      } catch (e) {
        // A density that would empty a small layer (or cut every input→output path) is not an option.
        if (!(e instanceof RangeError)) throw e;
        row.push(Infinity);
      }
    }
    out.push(row);
  }
  return out;
}

/** Fits `model` to the budget (see the module comment). `ctx` fine-tunes and feeds the criterion. */
export async function fitToBudget(model: MLP, data: SplitDataset, ctx: PruneContext, o: FitOptions): Promise<FitResult> {
  const b = o.budget;
  const batch = ('batch' in b && b.batch) || 1;
  const byLatency = 'maxLatencyUs' in b;
  const target = byLatency ? b.maxLatencyUs : b.maxBytes;
  if (!(target > 0)) throw new RangeError(`the budget must be > 0, got ${target}`);
  const criterion = o.criterion ?? 'magnitude';
  const compactOpts: CompactOptions = { values: o.values, bits: o.bits, batchSizes: [batch] };
  const timing = { runs: o.runs ?? 60, seed: o.seed };
  // A candidate is timed beside the dense model (its megabyte of weights evicts the caches, as the
  // other models in the report's shared timing do). The delivered file is accepted within the noise
  // band (median ≤ T + band); attempts aim lower, at T·(1 − drift), where drift is how far the dense
  // model's median moved between attempts (half its range, relative; at least 3%): a timing minutes
  // later differs by about that much, more than the band of one timing says.
  const companions = byLatency ? (o.companions ?? []).map((c) => loadModelSync(encodeModel(c))) : [];
  const denseRef = loadModelSync(encodeModel(compact(model, { ...compactOpts, layouts: model.layers.map(() => 'dense') }).compact));
  const refMedians: number[] = []; // the dense model's median in each timing
  let refUs = 0;
  const measure = async (c: CompactModel) => {
    const bytes = encodeModel(c);
    let t: ModelTiming | undefined;
    // A burst of load makes the repeats disagree; a timing whose band is over 10% of its median is taken again (twice at most), the calmest kept.
    for (let k = 0; byLatency && k < 3 && !(t && t.bandUs <= 0.1 * t.medianUs); k++) {
      const [x, ref] = await timeModels([loadModelSync(bytes), denseRef, ...companions], batch, timing);
      if (!t || x.bandUs / x.medianUs < t.bandUs / t.medianUs) [t, refUs] = [x, ref.medianUs];
    }
    if (t) refMedians.push(refUs);
    return { bytes: bytes.length, timing: t, met: t ? meetsLatency(t, target) : bytes.length <= target };
  };
  const aim = () => {
    if (!byLatency || refMedians.length < 2) return target * (byLatency ? 0.97 : 1);
    const drift = (Math.max(...refMedians) - Math.min(...refMedians)) / 2 / median(refMedians);
    return target * (1 - Math.max(0.03, drift));
  };

  // The latency table is needed for a latency budget only.
  const table = o.latencyTable ?? (byLatency ? await measureLatencyTable(model, batch, { runs: o.runs, seed: o.seed, onProgress: o.onProgress }) : undefined);
  if (table) checkLatencyTable(table, model, 'latency table');
  const cost = table && byLatency ? latencyCost(table) : bytesCost(model, o.values);
  // What the whole file or forward pass costs beyond the layers' sum: the file's header and metadata
  // (exact, from the dense model's file); a call's fixed cost, as the table measured it.
  const layerSum = model.layers.reduce((a, _, l) => a + cost(l, 1).cost, 0);
  const overhead = byLatency
    ? (table?.call_us ?? 0)
    : Math.max(0, encodeModel(compact(model, { ...compactOpts, layouts: model.layers.map(() => 'dense') }).compact).length - layerSum);
  const samples = subset(data.train, o.sensitivitySamples ?? 1024, o.seed ?? 1);
  const grid = o.grid ?? ALLOCATION_GRID;
  const loss = await layerSensitivity(model, ctx, samples, criterion, o.onProgress, grid);
  const sparsest = overhead + loss.reduce((a, row, l) => a + Math.min(...grid.map((d, k) => (Number.isFinite(row[k]) ? cost(l, d).cost : Infinity))), 0);

  // Attempts: allocate, prune one-shot, compact and measure. Fine-tuning keeps the mask, so this file
  // has the delivered file's structure: its size and speed, without paying for fine-tuning each time.
  // After each attempt the internal budget is rescaled by aim / measured (bytes: shifted by the
  // difference) — tightened after a miss, relaxed after a plan more than 3% under the aim.
  type Attempt = { plan: ReturnType<typeof allocate>; pruned: MLP; layouts: ('dense' | 'csr')[]; measured: number };
  const tried: Attempt[] = [];
  let budget = target,
    attempt = 0,
    lo = 0,
    hi = Infinity;
  const seen = new Set<string>();
  // The prediction leaves out what compaction removes (dead neurons), so a budget below the sparsest
  // plan's predicted cost is not refused before that plan is measured.
  const belowSparsest = target < sparsest;
  let unprunable = ''; // the last plan whose densities could not be pruned together
  for (attempt = 1; attempt <= (o.attempts ?? 6); attempt++) {
    // Below the sparsest plan's predicted cost, that plan is measured first; later a rescaled budget
    // below it asks for it (or the next plan up).
    if (belowSparsest && tried.length === 0) budget = Math.max(budget, sparsest);
    else if (attempt > 1) budget = Math.max(budget, sparsest * 1.01);
    o.onProgress?.(`attempt ${attempt}: allocating for ${budget.toFixed(1)} ${byLatency ? 'µs' : 'bytes'}`);
    const plan = allocate(model.layers.length, cost, loss, budget, overhead, grid);
    const key = plan.densities.join(',');
    if (seen.has(key)) {
      o.onProgress?.(`attempt ${attempt}: the plan of an earlier attempt (${key}); stopping`);
      break; // the rescaled budget gives a plan already measured: no new information
    }
    seen.add(key);
    let pruned: MLP;
    try {
      pruned = await pruneLayers(model, ctx, plan.densities, criterion);
    } catch (e) {
      // Each density was possible for its layer alone (the sensitivity table), but together they cut
      // every input→output path: a dearer plan is tried.
      if (!(e instanceof RangeError)) throw e;
      unprunable = key;
      o.onProgress?.(`attempt ${attempt}: densities ${key} cannot be pruned together (no input→output path would be left); trying a larger budget`);
      budget = plan.cost * 1.02;
      continue;
    }
    const layouts = plan.densities.map((d, l) => cost(l, d).layout);
    const got = await measure(compact(pruned, { ...compactOpts, layouts }).compact);
    const measured = got.timing ? got.timing.medianUs : got.bytes;
    o.onProgress?.(
      `attempt ${attempt}: predicted ${plan.cost.toFixed(1)}, measured ${measured.toFixed(1)}${got.timing ? ` ± ${got.timing.bandUs.toFixed(2)} µs (aiming at ≤ ${aim().toFixed(2)})` : ' bytes'}`,
    );
    tried.push({ plan, pruned, layouts, measured });
    if (belowSparsest && tried.length === 1 && !got.met) {
      const unit = byLatency ? `µs at batch ${batch}` : 'bytes';
      throw new RangeError(
        `no allocation on the density grid meets the budget: the cheapest plan that could be pruned (densities ${key}) was predicted to cost ${plan.cost.toFixed(1)} and measures ${measured.toFixed(1)} ${unit} (budget ${target} ${unit})`,
      );
    }
    const A = aim();
    if (measured <= A && measured >= A * 0.97) break; // at most 3% under the aim: done
    // Bracket the internal budget between the largest that met the aim and the smallest that missed;
    // the rescaled guess is used while it stays inside the bracket, else the bracket's midpoint.
    if (measured <= A) lo = Math.max(lo, budget);
    else hi = Math.min(hi, budget);
    const next = byLatency ? budget * (A / measured) : budget + (target - measured);
    budget = next > lo && next < hi ? next : Number.isFinite(hi) ? (lo + hi) / 2 : next;
  }
  if (!tried.length)
    throw new RangeError(
      `no allocation on the density grid could be pruned in ${o.attempts ?? 6} attempts: each plan tried (the last: densities ${unprunable}) leaves no input→output path; give a larger budget`,
    );
  // The plan with the least predicted loss among those that met the final aim; if none did, the cheapest measured.
  const A = aim();
  const ok = tried.filter((a) => a.measured <= A);
  const chosen = ok.length ? ok.reduce((x, a) => (a.plan.loss < x.plan.loss ? a : x)) : tried.reduce((x, a) => (a.measured < x.measured ? a : x));
  const { plan, pruned, layouts } = chosen;
  if ((o.finetuneEpochs ?? 0) > 0) {
    if (!ctx.fineTune) throw new RangeError('fine-tuning epochs requested but no fineTune function given');
    o.onProgress?.(`fine-tuning ${o.finetuneEpochs} epoch(s)`);
    await ctx.fineTune(pruned, o.finetuneEpochs!);
  }
  const { compact: c } = compact(pruned, { ...compactOpts, layouts });
  o.onProgress?.('re-measuring the delivered file');
  const got = await measure(c);
  const t = got.timing ?? (await timeModels([loadModelSync(encodeModel(c))], batch, timing))[0];
  return {
    model: c,
    bytes: got.bytes,
    accuracy: evaluate(pruned, data.test).accuracy,
    latency_us: t.medianUs,
    latencyMinUs: t.minUs,
    latencyBandUs: t.bandUs,
    batch,
    met: got.met,
    attempts: Math.min(attempt, o.attempts ?? 6),
    layers: plan.densities.map((d, l) => ({ density: d, sparsity: 1 - d, layout: layouts[l] })),
    predicted: { cost: plan.cost, loss: plan.loss },
    latencyTable: table,
  };
}
