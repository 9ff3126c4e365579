/**
 * `prunekit fit`: the most accurate pruned model that meets a measured budget — a latency at a
 * batch size on this machine, or a file size — instead of a sparsity number.
 *
 * 1. Cost table per layer, at a grid of densities: bytes (computed exactly as the compact file
 *    stores the layer, dense or CSR, for the chosen value encoding) and latency (each layer alone,
 *    random weights of that shape and density, dense and CSR, timed through the runtime's kernels
 *    at the batch size, minus the fixed cost of a call, which is added once per model; or a table
 *    measured elsewhere, e.g. in a browser). The cheaper layout wins at each density.
 * 2. Sensitivity per layer (Yang et al. 2018, NetAdapt; He et al. 2018, AMC use the same idea):
 *    the loss on training samples when that layer alone is pruned to each density.
 * 3. Allocation, greedy in NetAdapt's spirit but over the precomputed tables (no training inside
 *    the loop): from all-dense, repeatedly take the single move — one layer to any lower density —
 *    with the smallest loss increase per unit of cost saved, until the predicted cost meets the
 *    budget. Moves further than one step are allowed because cost is not monotone in density
 *    (CSR at 50% can be slower than dense).
 * 4. Prune each layer to its density (the chosen criterion), fine-tune, compact, then re-measure
 *    the delivered file. If it misses the budget, the internal budget is tightened by the miss
 *    and the loop repeats from step 3 (at most `attempts` times).
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
import { benchModel } from './model-bench.js';
import { DENSITY_GRID, measureLatencyTable as measureTable, validateLatencyTable, type LatencyTable, type MeasureOptions } from './latency-table.js';

export { DENSITY_GRID, type LatencyTable };

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
  /** Allocation → prune → measure rounds at most (default 4). */
  attempts?: number;
  /** Timing runs per measurement (default 15). */
  runs?: number;
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
  latency_us: number;
  batch: number;
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

/** A layer's CSR latency at a density: linear interpolation in the table (clamped at its ends). */
function csrLatency(row: LatencyTable['layers'][number], density: number): number {
  const pts = [...row.csr].sort((a, b) => a.density - b.density);
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

export function latencyCost(t: LatencyTable): CostFn {
  return (l, d) => {
    const row = t.layers[l];
    const csr = d < 1 ? csrLatency(row, d) : Infinity;
    return csr < row.dense_us ? { cost: csr, layout: 'csr' } : { cost: row.dense_us, layout: 'dense' };
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

/**
 * Greedy allocation over the tables: from every layer at density 1, take the move (a layer to any
 * lower grid density) with the least loss increase per unit of cost saved until Σ cost ≤ budget.
 * `loss[l][k]` is the loss with layer l alone at DENSITY_GRID[k] (Infinity: not possible). Throws when no allocation fits.
 */
export function allocate(nLayers: number, cost: CostFn, loss: number[][], budget: number, overhead = 0): { densities: number[]; cost: number; loss: number } {
  const k = new Array<number>(nLayers).fill(0);
  const total = () => overhead + k.reduce((a, ki, l) => a + cost(l, DENSITY_GRID[ki]).cost, 0);
  const base = loss[0]?.[0] ?? 0;
  while (total() > budget) {
    let best: { l: number; to: number; ratio: number } | null = null;
    for (let l = 0; l < nLayers; l++) {
      const c0 = cost(l, DENSITY_GRID[k[l]]).cost,
        s0 = loss[l][k[l]];
      for (let to = k[l] + 1; to < DENSITY_GRID.length; to++) {
        const saved = c0 - cost(l, DENSITY_GRID[to]).cost;
        if (saved <= 0 || !Number.isFinite(loss[l][to])) continue;
        const ratio = Math.max(0, loss[l][to] - s0) / saved;
        if (!best || ratio < best.ratio) best = { l, to, ratio };
      }
    }
    if (!best)
      throw new RangeError(
        `no allocation on the density grid meets the budget: the sparsest one still costs ${total().toFixed(1)} (budget ${budget.toFixed(1)})`,
      );
    k[best.l] = best.to;
  }
  // Predicted loss: the base loss plus each layer's own increase (layers taken as independent).
  const predicted = base + k.reduce((a, ki, l) => a + (loss[l][ki] - loss[l][0]), 0);
  return { densities: k.map((ki) => DENSITY_GRID[ki]), cost: total(), loss: predicted };
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
async function pruneLayers(model: MLP, ctx: PruneContext, densities: (number | undefined)[], criterion: CriterionName): Promise<MLP> {
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
): Promise<number[][]> {
  const out: number[][] = [];
  for (const [l] of model.layers.entries()) {
    onProgress?.(`sensitivity: layer ${l + 1}/${model.layers.length}`);
    const row: number[] = [];
    for (const d of DENSITY_GRID) {
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
  const measure = async (c: CompactModel) => {
    const bytes = encodeModel(c);
    const r = await benchModel(loadModelSync(bytes), { batches: [batch], runs: o.runs ?? 15, minRunMs: 0.5 });
    return { bytes: bytes.length, latency: r.results[0].median_us };
  };

  // The latency table is needed for a latency budget only.
  const table = o.latencyTable ?? (byLatency ? await measureLatencyTable(model, batch, { runs: o.runs, seed: o.seed, onProgress: o.onProgress }) : undefined);
  if (table) checkLatencyTable(table, model, 'latency table');
  const cost = table && byLatency ? latencyCost(table) : bytesCost(model, o.values);
  // What the whole file or forward pass costs beyond the layers' sum: the file's header and metadata
  // (exact, from the dense model's file); a call's fixed cost, as the table measured it (one timing of
  // the dense model would be as noisy as the machine).
  const dense = await measure(compact(model, { ...compactOpts, layouts: model.layers.map(() => 'dense') }).compact);
  const layerSum = model.layers.reduce((a, _, l) => a + cost(l, 1).cost, 0);
  const overhead = byLatency ? (table?.call_us ?? Math.max(0, dense.latency - layerSum)) : Math.max(0, dense.bytes - layerSum);
  const samples = subset(data.train, o.sensitivitySamples ?? 1024, o.seed ?? 1);
  const loss = await layerSensitivity(model, ctx, samples, criterion, o.onProgress);

  let budget = target;
  let last: FitResult | null = null;
  const attempts = o.attempts ?? 4;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    o.onProgress?.(`attempt ${attempt}: allocating for ${budget.toFixed(1)} ${byLatency ? 'µs' : 'bytes'}`);
    const plan = allocate(model.layers.length, cost, loss, budget, overhead);
    const pruned = await pruneLayers(model, ctx, plan.densities, criterion);
    if ((o.finetuneEpochs ?? 0) > 0) {
      if (!ctx.fineTune) throw new RangeError('fine-tuning epochs requested but no fineTune function given');
      await ctx.fineTune(pruned, o.finetuneEpochs!);
    }
    const layouts = plan.densities.map((d, l) => cost(l, d).layout);
    const { compact: c } = compact(pruned, { ...compactOpts, layouts });
    const got = await measure(c);
    const accuracy = evaluate(pruned, data.test).accuracy;
    const measured = byLatency ? got.latency : got.bytes;
    const met = measured <= target;
    last = {
      model: c,
      bytes: got.bytes,
      accuracy,
      latency_us: got.latency,
      batch,
      met,
      attempts: attempt,
      layers: plan.densities.map((d, l) => ({ density: d, sparsity: 1 - d, layout: layouts[l] })),
      predicted: { cost: plan.cost, loss: plan.loss },
      latencyTable: table,
    };
    if (met) return last;
    // Missed: tighten by the miss (bytes: by the excess; latency: by the ratio) and allocate again.
    budget = byLatency ? budget * (target / measured) * 0.97 : budget - (measured - target) - 64;
  }
  return last!;
}
