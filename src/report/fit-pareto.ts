/**
 * The Pareto report of a fit (`prunekit fit --report DIR`): the chosen allocation per layer, and
 * fit's accuracy / latency / bytes point against the two allocations users reach for first —
 * uniform (every layer pruned to the same sparsity) and global magnitude (one threshold over all
 * layers) — each pruned one-shot to a grid of sparsities and fine-tuned as long as fit's model.
 *
 * Same budget, same measurement: every baseline is stored with the layout per layer that the same
 * cost model picks for its densities, and fit's file, the dense model and every baseline are timed
 * together, in the same interleaved rounds, judged by the same rule (median ≤ budget + noise band,
 * fit-latency.ts; bytes exactly); a timing whose band is over 10% is taken again, as fit's
 * attempts are. The best baseline of each kind is the most accurate one that meets the budget;
 * fit beats it when fit meets the budget too and is more accurate.
 */
import { cpus, loadavg } from 'node:os';
import type { SplitDataset } from '../data/types.js';
import { sparsityOf, type MLP } from '../nn/model.js';
import { evaluate } from '../nn/train.js';
import { pruneModel, type PruneContext } from '../prune/prune.js';
import { compact, type CompactOptions } from '../compact/compact.js';
import { encodeModel, type CompactModel } from '../sparse/format.js';
import { loadModelSync } from '../runtime/index.js';
import { meetsLatency, timeModels, type ModelTiming } from './fit-latency.js';
import { bytesCost, latencyCost, type CostFn, type FitBudget, type FitResult, type LatencyTable } from './fit.js';
import { escapeXml as esc, lineChart, PALETTE } from './svg.js';

/** Sparsities the baselines are pruned to by default. */
export const BASELINE_SPARSITIES = [0.5, 0.7, 0.8, 0.85, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.975, 0.98, 0.985, 0.99];

export type AllocationName = 'dense' | 'fit' | 'uniform' | 'global';

/** One model on the accuracy / latency / bytes plane. */
export interface ParetoPoint {
  allocation: AllocationName;
  /** Fraction of all weights that are zero. */
  sparsity: number;
  accuracy: number;
  bytes: number;
  /** Median over the shared interleaved rounds, fastest round, noise band (µs, at the report's batch). */
  latencyUs: number;
  latencyMinUs: number;
  latencyBandUs: number;
  met: boolean;
  layers: { name: string; density: number; layout: 'dense' | 'csr' }[];
}

export interface FitReport {
  title: string;
  createdAt: string;
  budget: { maxLatencyUs?: number; maxBytes?: number; batch: number };
  values: string;
  criterion: string;
  finetuneEpochs: number;
  /** Interleaved timing rounds, and the load average (1, 5, 15 min) before and after timing. */
  timing: { runs: number; cpus: number; loadAverageBefore: number[]; loadAverageAfter: number[] };
  dense: ParetoPoint;
  fit: ParetoPoint;
  baselines: ParetoPoint[];
  best: { uniform: ParetoPoint | null; global: ParetoPoint | null };
  /** Fit met the budget and is more accurate than the best baseline that meets it (null: no baseline meets it). */
  fitBeats: { uniform: boolean | null; global: boolean | null };
  summary: string[];
}

export interface BaselineOptions {
  values?: CompactOptions['values'];
  bits?: number;
  batch: number;
  /** The table fit allocates a latency budget with: the baselines' layouts come from it too (else from bytes). */
  latencyTable?: LatencyTable;
  finetuneEpochs: number;
  sparsities?: number[];
  onProgress?: (what: string) => void;
}

export interface FitReportOptions extends BaselineOptions {
  budget: FitBudget;
  criterion?: string;
  runs?: number;
  seed?: number;
}

/** A baseline, pruned, fine-tuned and stored (not yet timed). */
export interface Baseline {
  allocation: 'uniform' | 'global';
  mlp: MLP;
  file: CompactModel;
  accuracy: number;
}

const layerName = (m: MLP, l: number) => `${l + 1}: ${m.layers[l].inFeatures}→${m.layers[l].outFeatures}`;

/** A pruned model stored with the layout per layer the cost model picks at its densities. */
function store(model: MLP, m: MLP, o: BaselineOptions): CompactModel {
  const cost: CostFn = o.latencyTable ? latencyCost(o.latencyTable) : bytesCost(model, o.values);
  const layouts = sparsityOf(m).layers.map((s, l) => cost(l, 1 - s).layout);
  return compact(m, { values: o.values, bits: o.bits, batchSizes: [o.batch], layouts }).compact;
}

/**
 * Uniform and global magnitude at every sparsity, each fine-tuned `finetuneEpochs` and stored.
 * Built before fit runs so that fit can time its candidates beside them (`companions`): its
 * attempts are then measured as the report's verdict will be.
 */
export async function buildBaselines(model: MLP, data: SplitDataset, ctx: PruneContext, o: BaselineOptions): Promise<Baseline[]> {
  const sparsities = o.sparsities ?? BASELINE_SPARSITIES;
  for (const s of sparsities) if (!(s > 0 && s < 1)) throw new RangeError(`baseline sparsities must be in (0, 1), got ${s}`);
  const out: Baseline[] = [];
  for (const scope of ['layer', 'global'] as const) {
    for (const s of sparsities) {
      o.onProgress?.(`baseline: ${scope === 'layer' ? 'uniform' : 'global'} magnitude ${(s * 100).toFixed(1)}%`);
      const r = await pruneModel(model, ctx, { amount: { sparsity: s }, scope, criterion: 'magnitude', finetuneEpochs: o.finetuneEpochs });
      out.push({
        allocation: scope === 'layer' ? 'uniform' : 'global',
        mlp: r.model,
        file: store(model, r.model, o),
        accuracy: evaluate(r.model, data.test).accuracy,
      });
    }
  }
  return out;
}

/** Times the dense model, fit's file and the baselines together, and assembles the report. */
export async function buildFitReport(
  model: MLP,
  data: SplitDataset,
  fit: FitResult,
  baselineModels: readonly Baseline[],
  o: FitReportOptions,
): Promise<FitReport> {
  const b = o.budget;
  const batch = fit.batch;
  const byLatency = 'maxLatencyUs' in b;
  type Entry = { allocation: AllocationName; mlp: MLP | null; file: CompactModel; accuracy: number };
  const entries: Entry[] = [
    { allocation: 'dense', mlp: model, file: store(model, model, o), accuracy: evaluate(model, data.test).accuracy },
    { allocation: 'fit', mlp: null, file: fit.model, accuracy: fit.accuracy },
    ...baselineModels,
  ];
  o.onProgress?.(`timing ${entries.length} models together`);
  const loadAverageBefore = loadavg();
  const encoded = entries.map((e) => encodeModel(e.file));
  // As fit's attempts: a timing whose (pooled) band is over 10% of the medians is taken again, twice at most, the calmest kept.
  const loaded = encoded.map((x) => loadModelSync(x));
  const rel = (t: ModelTiming[]) => t[0].bandUs / t[0].medianUs;
  let timings: ModelTiming[] = [];
  for (let k = 0; k < 3 && !(timings.length && rel(timings) <= 0.1); k++) {
    const t = await timeModels(loaded, batch, { runs: o.runs ?? 60, seed: o.seed });
    if (!timings.length || rel(t) < rel(timings)) timings = t;
  }
  const loadAverageAfter = loadavg();
  const points: ParetoPoint[] = entries.map((e, i) => {
    const t = timings[i];
    const layers = e.file.layers.map((L, l) => ({
      name: layerName(model, l),
      density: e.mlp ? 1 - sparsityOf(e.mlp).layers[l] : fit.layers[l].density,
      layout: L.layout,
    }));
    const weights = model.layers.map((L) => L.inFeatures * L.outFeatures);
    const kept = layers.reduce((a, x, l) => a + x.density * weights[l], 0);
    return {
      allocation: e.allocation,
      sparsity: 1 - kept / weights.reduce((a, w) => a + w, 0),
      accuracy: e.accuracy,
      bytes: encoded[i].length,
      latencyUs: t.medianUs,
      latencyMinUs: t.minUs,
      latencyBandUs: t.bandUs,
      met: byLatency ? meetsLatency(t, b.maxLatencyUs) : encoded[i].length <= b.maxBytes,
      layers,
    };
  });
  const [dense, fitPoint, ...baselines] = points;
  const bestOf = (a: AllocationName) =>
    baselines.filter((p) => p.allocation === a && p.met).reduce<ParetoPoint | null>((x, p) => (!x || p.accuracy > x.accuracy ? p : x), null);
  const best = { uniform: bestOf('uniform'), global: bestOf('global') };
  const beats = (p: ParetoPoint | null) => (p ? fitPoint.met && fitPoint.accuracy > p.accuracy : null);
  const report: FitReport = {
    title: `prunekit fit: ${budgetText(b, batch)}`,
    createdAt: new Date().toISOString(),
    budget: byLatency ? { maxLatencyUs: b.maxLatencyUs, batch } : { maxBytes: b.maxBytes, batch },
    values: o.values === 'kmeans' ? `kmeans:${o.bits ?? 5}` : (o.values ?? 'f32'),
    criterion: o.criterion ?? 'magnitude',
    finetuneEpochs: o.finetuneEpochs,
    timing: { runs: o.runs ?? 60, cpus: cpus().length, loadAverageBefore, loadAverageAfter },
    dense,
    fit: fitPoint,
    baselines,
    best,
    fitBeats: { uniform: beats(best.uniform), global: beats(best.global) },
    summary: [],
  };
  report.summary = summarizeFit(report);
  return report;
}

const budgetText = (b: FitBudget, batch: number) => ('maxLatencyUs' in b ? `${b.maxLatencyUs} µs at batch ${batch}` : `${b.maxBytes} bytes`);
const pc = (v: number, digits = 2) => `${(v * 100).toFixed(digits)}%`;
const us = (p: ParetoPoint) => `${p.latencyUs.toFixed(2)} ± ${p.latencyBandUs.toFixed(2)} µs`;

/** The report in a few sentences: did fit meet the budget, and does it beat each baseline there. */
export function summarizeFit(r: FitReport): string[] {
  const b = r.budget.maxLatencyUs !== undefined ? `${r.budget.maxLatencyUs} µs at batch ${r.budget.batch}` : `${r.budget.maxBytes} bytes`;
  const out = [
    `fit ${r.fit.met ? 'meets' : 'MISSES'} ${b}: ${pc(r.fit.accuracy)} test accuracy, ${r.fit.bytes} bytes, ${us(r.fit)} (median ± noise band; dense ${pc(r.dense.accuracy)}, ${us(r.dense)}).`,
  ];
  for (const [name, p] of [
    ['uniform', r.best.uniform],
    ['global magnitude', r.best.global],
  ] as const) {
    if (!p) out.push(`No ${name} allocation on the sparsity grid meets the budget.`);
    else
      out.push(
        `Best ${name} allocation within the budget: ${pc(p.sparsity, 1)} sparse, ${pc(p.accuracy)}, ${p.bytes} bytes, ${us(p)} — fit is ${r.fit.met && r.fit.accuracy > p.accuracy ? 'more' : 'not more'} accurate (${((r.fit.accuracy - p.accuracy) * 100).toFixed(2)} points).`,
      );
  }
  const la = r.timing.loadAverageBefore.map((x) => x.toFixed(1)).join(', ');
  out.push(`Timed together in ${r.timing.runs} interleaved rounds on ${r.timing.cpus} CPUs at load average ${la} (1, 5, 15 min).`);
  return out;
}

const CSS = `body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222;margin:0}
main{max-width:1100px;margin:0 auto;padding:18px 22px}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:18px 32px}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
figure{margin:0}figure svg{width:100%;height:auto;display:block}figcaption{color:#666;font-size:13px}
table{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
th,td{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}th:first-child,td:first-child{text-align:left}
tr.fit{font-weight:600}tr.miss{color:#999}`;

/**
 * Accuracy against one cost axis: a line per baseline, fit and dense as points, the budget as a
 * dashed vertical line. `zoom`: only the models up to twice the budget and at most 5 points less
 * accurate than fit — the part of the front the budget decides.
 */
function paretoChart(r: FitReport, axis: 'latency' | 'bytes', zoom = false): string {
  const x = (p: ParetoPoint) => (axis === 'latency' ? p.latencyUs : p.bytes / 1000);
  const limit = axis === 'latency' ? r.budget.maxLatencyUs : r.budget.maxBytes !== undefined ? r.budget.maxBytes / 1000 : undefined;
  const shown = (p: ParetoPoint) => !zoom || (limit !== undefined && x(p) <= 2 * limit && p.accuracy >= r.fit.accuracy - 0.05);
  const pt = (p: ParetoPoint) => [x(p), p.accuracy * 100] as const;
  const all = [r.dense, r.fit, ...r.baselines].filter(shown);
  const accs = all.map((p) => p.accuracy * 100);
  const baseline = (a: AllocationName) => r.baselines.filter((p) => p.allocation === a && shown(p)).map(pt);
  return lineChart({
    id: `pareto-${axis}${zoom ? '-zoom' : ''}`,
    title: `${zoom ? 'Near the budget: ' : ''}Test accuracy vs ${axis === 'latency' ? `latency at batch ${r.budget.batch}` : 'file size'}`,
    xLabel: axis === 'latency' ? 'median latency (µs)' : 'compact file (kB)',
    yLabel: 'test accuracy (%)',
    series: [
      { name: 'uniform magnitude', points: baseline('uniform'), color: PALETTE[0] },
      { name: 'global magnitude', points: baseline('global'), color: PALETTE[1] },
      { name: 'fit', points: [pt(r.fit)], color: PALETTE[2] },
      { name: 'dense', points: shown(r.dense) ? [pt(r.dense)] : [], color: PALETTE[6] },
      ...(limit !== undefined
        ? [
            {
              name: 'budget',
              points: [
                [limit, Math.min(...accs)],
                [limit, Math.max(...accs)],
              ] as const,
              color: PALETTE[7],
              dashed: true,
            },
          ]
        : []),
    ],
    yFormat: (v) => `${Number(v.toPrecision(4))}%`,
  });
}

function pointsTable(r: FitReport): string {
  const rows = [r.fit, r.dense, ...r.baselines].map(
    (p) =>
      `<tr class="${p.allocation === 'fit' ? 'fit' : p.met ? '' : 'miss'}"><td>${esc(p.allocation)}</td><td>${pc(p.sparsity, 1)}</td><td>${pc(p.accuracy)}</td>` +
      `<td>${p.bytes}</td><td>${p.latencyUs.toFixed(2)}</td><td>${p.latencyBandUs.toFixed(2)}</td><td>${p.latencyMinUs.toFixed(2)}</td><td>${p.met ? 'yes' : 'no'}</td>` +
      `<td>${esc(p.layers.map((l) => `${pc(1 - l.density, 1)} ${l.layout}`).join(' / '))}</td></tr>`,
  );
  return `<table><thead><tr><th>allocation</th><th>sparsity</th><th>test accuracy</th><th>bytes</th><th>median µs</th><th>± band µs</th><th>min µs</th><th>meets budget</th><th>per layer (sparsity, layout)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function allocationTable(r: FitReport): string {
  const cols = [
    ['fit', r.fit],
    ['best uniform', r.best.uniform],
    ['best global', r.best.global],
  ] as const;
  const head = cols.map(([n]) => `<th>${esc(n)}</th>`).join('');
  const rows = r.fit.layers.map(
    (L, l) =>
      `<tr><td>${esc(L.name)}</td>${cols.map(([, p]) => `<td>${p ? `${pc(p.layers[l].density, 2)} kept, ${p.layers[l].layout}` : '—'}</td>`).join('')}</tr>`,
  );
  return `<table><thead><tr><th>layer</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The report as one self-contained HTML page (inline CSS and SVG, no scripts). */
export function renderFitReport(r: FitReport): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(r.title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${esc(r.title)}</h1>
<section id="summary"><ul>${r.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ul></section>
<section id="pareto"><h2>Accuracy against latency and size</h2><div class="grid">
<figure>${paretoChart(r, 'latency')}<figcaption>Every model timed together in the same interleaved rounds (median). Uniform and global magnitude: one point per sparsity, fine-tuned as long as fit's model.</figcaption></figure>
<figure>${paretoChart(r, 'bytes')}<figcaption>The compact file's size, exact; each baseline stored with the layouts the same cost model picks.</figcaption></figure>
<figure>${paretoChart(r, r.budget.maxLatencyUs !== undefined ? 'latency' : 'bytes', true)}<figcaption>The same models up to twice the budget and within 5 points of fit's accuracy: where the budget decides.</figcaption></figure>
</div></section>
<section id="allocation"><h2>Chosen allocation per layer</h2>${allocationTable(r)}</section>
<section id="points"><h2>All models</h2>${pointsTable(r)}<p>${esc(`values ${r.values}; criterion ${r.criterion}; ${r.finetuneEpochs} fine-tuning epoch(s); ${r.createdAt}`)}</p></section>
</main></body></html>
`;
}
