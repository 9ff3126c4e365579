/**
 * The plain-language summary of a sweep: one sentence per question users ask about pruning
 * (accuracy, generalisation, memory, inference speed, training time, gradients, depth), each
 * stating the number that answers it for *this* model and data. Headline first.
 *
 * Rule: never claim what the numbers don't show — if the compact model is slower somewhere, say so.
 */
import type { SweepPoint, SweepReport } from './report-types.js';

// ---------- formatting shared with html.ts ----------

/** 0.9 → "90%", 0.955 → "95.5%", 0.98765 → "98.8%". */
export function pct(fraction: number): string {
  const v = Math.round(fraction * 1000) / 10;
  return `${Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1)}%`;
}

/** An accuracy, two decimals: 0.97351 → "97.35%". */
export const accPct = (fraction: number): string => `${(fraction * 100).toFixed(2)}%`;

/** Accuracy difference in percentage points, one decimal: 0.003 → "0.3". */
export const points = (d: number): string => (Math.round(Math.abs(d) * 1000 + 1e-6) / 10).toFixed(1); // +1e-6: 0.977−0.9765 is 0.000499… in binary

/** A ratio: 6.43 → "6.4×", 123.4 → "123×". */
export const times = (r: number): string => `${r >= 100 ? r.toFixed(0) : r.toFixed(1)}×`;
/** A file of `b` bytes against the dense model's `dense`: "3.2× smaller", or "1.1× larger" (a CSR file of a barely pruned model). */
const sizeVsDense = (dense: number, b: number): string => (b <= dense ? `${times(dense / b)} smaller` : `${times(b / dense)} larger`);

/** Bytes in SI units: 1066000 → "1.07 MB", 91234 → "91.2 kB", 812 → "812 B". */
export function bytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)} kB`;
  return `${Math.round(n)} B`;
}

/** µs with sensible precision: 3.14 → "3.1 µs", 1234 → "1,234 µs". */
export const micros = (us: number): string => `${us >= 100 ? Math.round(us).toLocaleString('en-US') : us >= 10 ? us.toFixed(1) : us.toPrecision(2)} µs`;

/** Seconds: 0.42 → "0.42 s", 12.34 → "12.3 s". */
export const secs = (s: number): string => `${s >= 10 ? s.toFixed(1) : s.toPrecision(2)} s`;

// ---------- picking points ----------

/** The pruning configuration a point belongs to, e.g. "magnitude / global / gradual". */
export const comboOf = (p: SweepPoint): string => `${p.criterion} / ${p.scope} / ${p.schedule}`;

/** Points grouped by configuration (in first-seen order), each group sorted by achieved sparsity. */
export function groupByCombo(ps: readonly SweepPoint[]): Map<string, SweepPoint[]> {
  const m = new Map<string, SweepPoint[]>();
  for (const p of ps) m.set(comboOf(p), [...(m.get(comboOf(p)) ?? []), p]);
  for (const v of m.values()) v.sort((a, b) => a.sparsity - b.sparsity);
  return m;
}

/** Batch sizes measured, ascending numerically. */
export const batchesOf = (lat: Record<string, unknown>): string[] => Object.keys(lat).sort((a, b) => Number(a) - Number(b));

/**
 * The headline point: the most accurate point whose achieved sparsity is within 2.5 points of
 * 90%; if none, the sparsest point within 1 accuracy point of dense; if none, the most accurate.
 */
export function pickHeadline(r: SweepReport): SweepPoint | undefined {
  const ps = r.points;
  if (ps.length === 0) return undefined;
  const best = (xs: SweepPoint[]) => xs.reduce((a, b) => (b.accuracy > a.accuracy || (b.accuracy === a.accuracy && b.sparsity > a.sparsity) ? b : a));
  const near90 = ps.filter((p) => Math.abs(p.sparsity - 0.9) <= 0.025);
  if (near90.length) return best(near90);
  const close = ps.filter((p) => p.accuracy >= r.dense.accuracy - 0.01);
  if (close.length) return close.reduce((a, b) => (b.sparsity > a.sparsity ? b : a));
  return best(ps);
}

// ---------- sentences ----------

function speedPhrase(pair: { dense_us: number; sparse_us: number }): string {
  const r = pair.dense_us / pair.sparse_us;
  if (Math.abs(r - 1) < 0.05) return 'about as fast';
  return r > 1 ? `${times(r)} faster` : `${times(1 / r)} slower`;
}

function accuracyPhrase(diff: number): string {
  // diff = point − dense, as a fraction
  if (Math.abs(diff) < 0.0005) return 'equally accurate';
  return `${points(diff)} points ${diff < 0 ? 'less' : 'more'} accurate`;
}

function headline(r: SweepReport, h: SweepPoint): string {
  const parts = [sizeVsDense(r.dense.bytes, h.bytes)];
  const b = batchesOf(h.latency)[0];
  if (b !== undefined) parts.push(`${speedPhrase(h.latency[b])} at batch ${b}`);
  parts.push(accuracyPhrase(h.accuracy - r.dense.accuracy));
  const last = parts.pop()!;
  return (
    `At ${pct(h.sparsity)} sparsity (${comboOf(h)}) this model is ${parts.join(', ')} and ${last} than the dense model ` +
    `(${accPct(h.accuracy)} vs ${accPct(r.dense.accuracy)} test accuracy).`
  );
}

function accuracySentence(r: SweepReport): string {
  const groups = groupByCombo(r.points);
  // for each configuration: the sparsest point within 1 accuracy point of dense
  let bestKept: SweepPoint | undefined;
  for (const ps of groups.values()) {
    for (const p of ps) if (p.accuracy >= r.dense.accuracy - 0.01 && (!bestKept || p.sparsity > bestKept.sparsity)) bestKept = p;
  }
  const sparsest = r.points.reduce((a, b) => (b.sparsity > a.sparsity || (b.sparsity === a.sparsity && b.accuracy > a.accuracy) ? b : a));
  const head = `Accuracy: dense test accuracy is ${accPct(r.dense.accuracy)}; `;
  const tail = `at the highest sparsity measured, ${pct(sparsest.sparsity)} (${comboOf(sparsest)}), it is ${accPct(sparsest.accuracy)}.`;
  if (!bestKept) return `${head}no pruned model stays within 1 point of it; ${tail}`;
  if (bestKept === sparsest)
    return `${head}it stays within 1 point of that at every sparsity up to ${pct(bestKept.sparsity)} (${comboOf(bestKept)}, ${accPct(bestKept.accuracy)}).`;
  return `${head}it stays within 1 point up to ${pct(bestKept.sparsity)} sparsity (${comboOf(bestKept)}, ${accPct(bestKept.accuracy)}); ${tail}`;
}

function generalisationSentence(r: SweepReport, h: SweepPoint): string {
  const denseGap = r.dense.trainAccuracy - r.dense.accuracy;
  const d = h.gap - denseGap;
  // "narrower"/"wider" read as sizes, which only holds while train is above test in both.
  const bothTrainAbove = denseGap >= 0 && h.gap >= 0;
  const verdict =
    Math.abs(d) < 0.0005
      ? 'unchanged'
      : bothTrainAbove
        ? `${d < 0 ? 'narrower' : 'wider'} by ${points(d)} points`
        : `train minus test ${d < 0 ? 'fell' : 'rose'} by ${points(d)} points`;
  return (
    `Generalisation: the train–test accuracy gap is ${gapText(denseGap)} for the dense model ` +
    `and ${gapText(h.gap)} at ${pct(h.sparsity)} sparsity (${verdict}).`
  );
}

/** A train − test gap with its sign: "1.5 points", or "−10.0 points (test above train)". */
function gapText(gap: number): string {
  return gap <= -0.0005 ? `−${points(gap)} points (test above train)` : `${points(gap)} points`;
}

function memorySentence(r: SweepReport, h: SweepPoint): string {
  const sparsest = r.points.reduce((a, b) => (b.sparsity > a.sparsity ? b : a));
  let s = `Memory: the compact model file is ${bytes(h.bytes)} at ${pct(h.sparsity)} sparsity vs ${bytes(r.dense.bytes)} dense (${sizeVsDense(r.dense.bytes, h.bytes)})`;
  if (sparsest !== h) s += `, and ${bytes(sparsest.bytes)} at ${pct(sparsest.sparsity)} (${times(r.dense.bytes / sparsest.bytes)})`;
  s += '.';
  const small = h.smallFile;
  if (small && small.bytes !== h.bytes) {
    // (equal sizes: the sweep already stores its points that way)
    const d = small.accuracy - h.accuracy;
    s +=
      ` Stored with ${small.flags}, the ${pct(h.sparsity)} model would take ${bytes(small.bytes)} (${times(r.dense.bytes / small.bytes)} smaller than dense)` +
      ` at ${accPct(small.accuracy)} test accuracy (${d < 0 ? '−' : '+'}${points(d)} points).`;
  }
  return s;
}

/** Inference speed per batch size, for the headline's configuration: the ratio at the headline and where CSR wins. */
function speedSentences(r: SweepReport, h: SweepPoint): string[] {
  const combo = groupByCombo(r.points).get(comboOf(h)) ?? [h];
  return batchesOf(h.latency).map((b) => {
    const pair = h.latency[b];
    let s = `Inference at batch ${b}: ${micros(pair.sparse_us)} per forward pass at ${pct(h.sparsity)} sparsity vs ${micros(pair.dense_us)} dense (${speedPhrase(pair)})`;
    const measured = combo.filter((p) => p.latency[b]);
    const faster = measured.map((p) => p.latency[b].dense_us > p.latency[b].sparse_us);
    if (measured.length > 1) {
      if (faster.every(Boolean)) s += `; the compact model is faster at every sparsity measured (from ${pct(measured[0].sparsity)})`;
      else if (!faster.some(Boolean))
        s += `; the compact model is slower than dense at every sparsity measured (up to ${pct(measured[measured.length - 1].sparsity)})`;
      else {
        // the lowest sparsity from which every sparser point is faster
        let k = faster.length;
        while (k > 0 && faster[k - 1]) k--;
        const slower = measured.filter((_, i) => !faster[i]).map((p) => pct(p.sparsity));
        s +=
          k < faster.length
            ? `; it is faster from ${pct(measured[k].sparsity)} sparsity on, and slower at ${slower.join(', ')}`
            : `; it is slower at ${slower.join(', ')}`;
      }
    }
    return `${s}.`;
  });
}

function timeSentence(r: SweepReport, h: SweepPoint): string {
  const extra = r.dense.trainSeconds > 0 ? ` (+${Math.round((h.pruneSeconds / r.dense.trainSeconds) * 100)}%)` : '';
  return (
    `Training time: dense training took ${secs(r.dense.trainSeconds)} (${r.dense.epochs.length} epoch${r.dense.epochs.length === 1 ? '' : 's'}); pruning to ${pct(h.sparsity)} ` +
    `with ${h.fineTuneEpochs} fine-tuning epoch${h.fineTuneEpochs === 1 ? '' : 's'} took a further ${secs(h.pruneSeconds)}${extra}` +
    (h.fineTuneEpochSeconds !== undefined && denseEpoch(r) > 0
      ? `; one fine-tuning epoch cost ${(h.fineTuneEpochSeconds / denseEpoch(r)).toFixed(2)}× a dense training epoch (pruned layers train on the sparse kernels).`
      : '.')
  );
}

/** Mean seconds of one dense training epoch (0 when none was recorded). */
export function denseEpoch(r: SweepReport): number {
  const e = r.dense.epochs;
  return e.length ? e.reduce((s, x) => s + x.seconds, 0) / e.length : 0;
}

function gradientSentence(h: SweepPoint): string | undefined {
  const n = Math.min(h.gradNormsBefore.length, h.gradNormsAfter.length);
  if (n === 0) return undefined;
  const ratios = Array.from({ length: n }, (_, i) => h.gradNormsAfter[i] / h.gradNormsBefore[i]);
  if (!ratios.every(Number.isFinite)) return undefined;
  const list = ratios.map((x) => `${x.toPrecision(2)}×`).join(', ');
  const lo = Math.min(...ratios),
    worst = ratios.indexOf(lo) + 1;
  const verdict =
    lo < 0.1
      ? `layer ${worst}'s gradient fell to ${pct(lo)} of its pre-pruning size: gradients do shrink sharply there`
      : `no layer's gradient fell below 10% of its pre-pruning size, so there is no sign of vanishing gradients`;
  return `Gradients: after pruning to ${pct(h.sparsity)} and fine-tuning, each layer's mean gradient norm is ${list} its value before pruning (layers 1–${n}); ${verdict}.`;
}

function depthSentence(r: SweepReport, h: SweepPoint): string {
  const L = r.model.sizes.length - 1;
  const per = h.layers.map((l) => pct(l.sparsity)).join(', ');
  const dead = h.layers.reduce((s, l) => s + l.deadRemoved, 0);
  const deadText =
    dead > 0
      ? ` Compaction removed ${dead} dead neuron${dead === 1 ? '' : 's'} (${h.layers
          .map((l, i) => (l.deadRemoved ? `layer ${i + 1}: ${l.deadRemoved}` : ''))
          .filter(Boolean)
          .join(', ')}).`
      : ' Compaction found no dead neurons to remove.';
  return (
    `Depth: this is a ${L}-layer network (${r.model.sizes.join('–')}, ${r.model.activation}); at ${pct(h.sparsity)} overall the layers are ${per} sparse.` +
    `${deadText} These numbers hold for this depth only: sweep a deeper --hidden to see how they carry over.`
  );
}

/** Plain-language sentences answering the FAQ from the numbers, headline first. */
export function summarize(r: SweepReport): string[] {
  const h = pickHeadline(r);
  if (!h) return [`No pruned models were measured; the dense model's test accuracy is ${accPct(r.dense.accuracy)}.`];
  const out = [headline(r, h), accuracySentence(r), generalisationSentence(r, h), memorySentence(r, h), ...speedSentences(r, h), timeSentence(r, h)];
  const g = gradientSentence(h);
  if (g) out.push(g);
  out.push(depthSentence(r, h));
  return out;
}
