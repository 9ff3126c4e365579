/**
 * Renders a SweepReport as ONE self-contained HTML file: inline CSS, inline SVG charts, no
 * scripts, no network. Sections follow the questions users ask about pruning, each chart with a
 * caption saying what it answers; then a table of every point and the machine/config block.
 */
import { BYTES_TABLE_CSS, bytesTable } from './bytes-table.js';
import type { SweepPoint, SweepReport } from './report-types.js';
import { barChart, escapeXml as esc, lineChart, PALETTE, type LineSeries } from './svg.js';
import { accPct, batchesOf, bytes, comboOf, denseEpoch, groupByCombo, micros, pct, pickHeadline, points, secs, summarize, times } from './summary.js';

const pc = (v: number) => `${Number(v.toPrecision(4))}%`;
const toPct = (fraction: number) => fraction * 100;
/** Short byte labels for log-axis ticks (1, 2, 5 × 10^k): 2000000 → "2 MB", 50000 → "50 kB"; reference labels keep 3 digits. */
const tickBytes = (v: number) => (v >= 1e6 ? `${Number((v / 1e6).toPrecision(3))} MB` : v >= 1e3 ? `${Number((v / 1e3).toPrecision(3))} kB` : `${v} B`);

interface Figure {
  svg: string;
  caption: string;
}
interface Section {
  id: string;
  question: string;
  figures: Figure[];
  /** HTML below the figures (a table). */
  after?: string;
}

/** Layer labels such as "1: 784→300" from the dense sizes. */
const layerNames = (r: SweepReport) => r.model.sizes.slice(1).map((out, i) => `${i + 1}: ${r.model.sizes[i]}→${out}`);

function accuracySection(r: SweepReport, groups: Map<string, SweepPoint[]>): Section {
  const acc = lineChart({
    id: 'accuracy',
    title: 'Test accuracy vs sparsity',
    xLabel: 'sparsity (% of weights that are zero)',
    yLabel: 'test accuracy (%)',
    series: [...groups].map(([name, ps]) => ({ name, points: ps.map((p) => [toPct(p.sparsity), toPct(p.accuracy)] as const) })),
    references: [{ name: 'dense', value: toPct(r.dense.accuracy) }],
    yFormat: pc,
    xFormat: pc,
  });
  const loss = lineChart({
    id: 'loss',
    title: 'Test loss vs sparsity',
    xLabel: 'sparsity (% of weights that are zero)',
    yLabel: 'test loss (cross-entropy)',
    series: [...groups].map(([name, ps]) => ({ name, points: ps.map((p) => [toPct(p.sparsity), p.loss] as const) })),
    references: [{ name: 'dense', value: r.dense.loss }],
    xFormat: pc,
    yInclude: [0],
  });
  return {
    id: 'accuracy',
    question: 'Does pruning cost accuracy?',
    figures: [
      { svg: acc, caption: 'One line per pruning configuration (criterion / scope / schedule), after fine-tuning; the dotted line is the dense model.' },
      { svg: loss, caption: 'Test loss of the same models. Loss moves before accuracy does: a rising loss warns of the accuracy cliff.' },
    ],
  };
}

function generalisationSection(r: SweepReport, groups: Map<string, SweepPoint[]>): Section {
  const series: LineSeries[] = [];
  [...groups].forEach(([name, ps], i) => {
    const color = PALETTE[i % PALETTE.length];
    series.push({ name: `${name} — test`, color, points: ps.map((p) => [toPct(p.sparsity), toPct(p.accuracy)] as const) });
    series.push({ name: `${name} — train`, color, dashed: true, points: ps.map((p) => [toPct(p.sparsity), toPct(p.trainAccuracy)] as const) });
  });
  const svg = lineChart({
    id: 'generalisation',
    title: 'Train vs test accuracy (the generalisation gap)',
    xLabel: 'sparsity (% of weights that are zero)',
    yLabel: 'accuracy (%)',
    series,
    references: [
      { name: 'dense train', value: toPct(r.dense.trainAccuracy) },
      { name: 'dense test', value: toPct(r.dense.accuracy) },
    ],
    xFormat: pc,
    yFormat: pc,
  });
  const denseGap = r.dense.trainAccuracy - r.dense.accuracy;
  const gap = lineChart({
    id: 'gap',
    title: 'Generalisation gap vs sparsity',
    xLabel: 'sparsity (% of weights that are zero)',
    yLabel: 'train − test accuracy (points)',
    series: [...groups].map(([name, ps]) => ({ name, points: ps.map((p) => [toPct(p.sparsity), toPct(p.gap)] as const) })),
    references: [{ name: 'dense', value: toPct(denseGap) }],
    xFormat: pc,
    yInclude: [0],
  });
  return {
    id: 'generalisation',
    question: 'Does it hurt generalisation?',
    figures: [
      { svg, caption: 'Solid: test accuracy; dashed: train accuracy, for each pruned model after fine-tuning.' },
      {
        svg: gap,
        caption: `The distance between train and test accuracy. Below the dense line (${points(denseGap)} points), pruning made the model generalise better; above it, worse.`,
      },
    ],
  };
}

function memorySection(r: SweepReport, groups: Map<string, SweepPoint[]>): Section {
  const svg = lineChart({
    id: 'bytes',
    title: 'Model size on disk',
    xLabel: 'sparsity (% of weights that are zero)',
    yLabel: 'bytes (log scale)',
    yScale: 'log',
    series: [...groups].map(([name, ps]) => ({ name: `${name} — compact`, points: ps.map((p) => [toPct(p.sparsity), p.bytes] as const) })),
    references: [{ name: 'dense', value: r.dense.bytes }],
    xFormat: pc,
    yFormat: tickBytes,
  });
  const ratio = lineChart({
    id: 'compression',
    title: 'How many times smaller',
    xLabel: 'sparsity (% of weights that are zero)',
    yLabel: 'dense bytes ÷ compact bytes',
    series: [...groups].map(([name, ps]) => ({ name, points: ps.map((p) => [toPct(p.sparsity), r.dense.bytes / p.bytes] as const) })),
    references: [{ name: 'same size', value: 1 }],
    xFormat: pc,
    yInclude: [0],
    yFormat: (v) => `${Number(v.toPrecision(3))}×`,
  });
  return {
    id: 'memory',
    question: 'How much memory does it save?',
    figures: [
      {
        svg,
        caption: `Compact model files (dead neurons removed, each layer stored dense or CSR, whichever is smaller/faster) vs the dense model in the same format (${bytes(r.dense.bytes)}; the training-model file, with masks and the training history, is ${bytes(r.dense.denseFileBytes)}).`,
      },
      { svg: ratio, caption: 'The same sizes as a ratio. Sparse storage also stores an index per nonzero weight, so the ratio can trail 1 ÷ (1 − sparsity).' },
    ],
    after: bytesTable(r, [...groups.values()].flat()),
  };
}

function speedSection(r: SweepReport, groups: Map<string, SweepPoint[]>, head: SweepPoint | undefined): Section {
  const batches = [...new Set(r.points.flatMap((p) => batchesOf(p.latency)))].sort((a, b) => Number(a) - Number(b));
  const headCombo = head ? (groups.get(comboOf(head)) ?? []) : [];
  const figures: Figure[] = batches.map((b) => {
    const series: LineSeries[] = [...groups].map(([name, ps]) => ({
      name: `${name} — compact`,
      points: ps.filter((p) => p.latency[b]).map((p) => [toPct(p.sparsity), p.latency[b].sparse_us] as const),
    }));
    series.push({
      name: 'dense (timed alongside)',
      color: '#555',
      dashed: true,
      points: headCombo.filter((p) => p.latency[b]).map((p) => [toPct(p.sparsity), p.latency[b].dense_us] as const),
    });
    const svg = lineChart({
      id: `latency-${b}`,
      title: `Inference latency at batch ${b}`,
      xLabel: 'sparsity (% of weights that are zero)',
      yLabel: 'µs per forward pass (median)',
      series,
      xFormat: pc,
      yInclude: [0],
      yFormat: (v) => micros(v).replace(' µs', ''),
    });
    return {
      svg,
      caption: `Median time of one forward pass of the whole model for a batch of ${b}. The dense model was timed in the same interleaved rounds as each compact one, so their ratio is trustworthy even when this machine's speed drifts.`,
    };
  });
  if (batches.length) {
    const speedup = lineChart({
      id: 'speedup',
      title: 'Speed-up of the compact model over dense',
      xLabel: 'sparsity (% of weights that are zero)',
      yLabel: 'dense time ÷ compact time',
      series: batches.flatMap((b) =>
        [...groups].map(([name, ps]) => ({
          name: `batch ${b}${groups.size > 1 ? ` — ${name}` : ''}`,
          points: ps.filter((p) => p.latency[b]).map((p) => [toPct(p.sparsity), p.latency[b].dense_us / p.latency[b].sparse_us] as const),
        })),
      ),
      references: [{ name: 'break-even', value: 1 }],
      xFormat: pc,
      yInclude: [0],
      yFormat: (v) => `${Number(v.toPrecision(3))}×`,
    });
    figures.push({ svg: speedup, caption: 'Above the break-even line the compact model is faster; below it, slower.' });
  }
  return { id: 'speed', question: 'Does inference get faster?', figures };
}

/** Seconds per fine-tuning epoch at each step (pruned layers on the sparse kernels) against a dense training epoch. */
function fineTuneEpochFigure(r: SweepReport, groups: Map<string, SweepPoint[]>, targets: number[]): Figure[] {
  const dense = denseEpoch(r);
  if (!dense || !r.points.some((p) => p.fineTuneEpochSeconds !== undefined)) return [];
  const svg = barChart({
    id: 'epoch-time',
    title: 'One fine-tuning epoch',
    xLabel: 'target sparsity',
    yLabel: 'seconds',
    categories: targets.map(pct),
    groups: [...groups].map(([name, ps]) => ({ name, values: targets.map((t) => ps.find((p) => p.targetSparsity === t)?.fineTuneEpochSeconds ?? NaN) })),
    references: [{ name: 'dense epoch', value: dense }],
    yFormat: (v) => `${Number(v.toPrecision(3))}`,
  });
  return [
    {
      svg,
      caption: `Seconds per fine-tuning epoch: layers pruned past the dense/CSR crossover fine-tune on the sparse kernels, at the cost of their nonzeros; the line is the mean epoch of dense training (${secs(dense)}).`,
    },
  ];
}

function timeSection(r: SweepReport, groups: Map<string, SweepPoint[]>): Section {
  const targets = [...new Set(r.points.map((p) => p.targetSparsity))].sort((a, b) => a - b);
  const svg = barChart({
    id: 'time',
    title: 'Pruning + fine-tuning time',
    xLabel: 'target sparsity',
    yLabel: 'seconds',
    categories: targets.map(pct),
    groups: [...groups].map(([name, ps]) => ({ name, values: targets.map((t) => ps.find((p) => p.targetSparsity === t)?.pruneSeconds ?? NaN) })),
    references: [{ name: 'dense training', value: r.dense.trainSeconds }],
    yFormat: (v) => `${Number(v.toPrecision(3))}`,
  });
  const epochs = r.points.map((p) => p.fineTuneEpochs);
  return {
    id: 'time',
    question: 'What does it cost in training time?',
    figures: [
      {
        svg,
        caption: `Time to prune and fine-tune each model (${Math.min(...epochs)}–${Math.max(...epochs)} fine-tuning epochs), next to the ${secs(r.dense.trainSeconds)} of dense training it starts from.`,
      },
      ...fineTuneEpochFigure(r, groups, targets),
    ],
  };
}

function gradientSection(r: SweepReport, groups: Map<string, SweepPoint[]>, head: SweepPoint): Section {
  const ps = groups.get(comboOf(head)) ?? [head];
  const names = layerNames(r);
  const svg = barChart({
    id: 'grad-norms',
    title: 'Gradient norm per layer, before vs after pruning',
    xLabel: 'layer',
    yLabel: 'mean ‖∂L/∂W‖',
    categories: names,
    groups: [
      { name: 'before pruning', values: names.map((_, i) => head.gradNormsBefore[i] ?? NaN), color: '#555' },
      ...ps.map((p) => ({ name: `after, ${pct(p.sparsity)}`, values: names.map((_, i) => p.gradNormsAfter[i] ?? NaN) })),
    ],
  });
  const figures: Figure[] = [
    {
      svg,
      caption: `Mean gradient norm of each weight matrix over a few batches: of the dense model before pruning, and of each pruned model (${comboOf(head)}) after fine-tuning. Vanishing gradients would show as after-bars near zero.`,
    },
  ];
  const epochs = r.dense.epochs.filter((e) => e.gradNorms.length);
  if (epochs.length) {
    figures.push({
      svg: lineChart({
        id: 'training-grad-norms',
        title: 'Gradient norm per layer during dense training',
        xLabel: 'epoch',
        yLabel: 'mean ‖∂L/∂W‖ (log scale)',
        yScale: 'log',
        series: names.map((n, i) => ({ name: `layer ${n}`, points: epochs.map((e) => [e.epoch, e.gradNorms[i] ?? NaN] as const) })),
      }),
      caption: "How large each layer's gradients are while the dense model trains, for comparison with the pruned models above.",
    });
  }
  return { id: 'gradients', question: 'Does it make gradients vanish?', figures };
}

function layerSection(r: SweepReport, groups: Map<string, SweepPoint[]>, head: SweepPoint): Section {
  const ps = groups.get(comboOf(head)) ?? [head];
  const names = layerNames(r);
  const sparsity = barChart({
    id: 'layer-sparsity',
    title: 'Sparsity of each layer',
    xLabel: 'layer',
    yLabel: 'weights that are zero (%)',
    categories: names,
    groups: ps.map((p) => ({ name: `${pct(p.sparsity)} overall`, values: names.map((_, i) => toPct(p.layers[i]?.sparsity ?? NaN)) })),
    yFormat: pc,
  });
  const dead = barChart({
    id: 'dead-neurons',
    title: 'Dead neurons removed by compaction',
    xLabel: 'layer (its output neurons)',
    yLabel: 'neurons removed',
    categories: names,
    groups: ps.map((p) => ({ name: `${pct(p.sparsity)} overall`, values: names.map((_, i) => p.layers[i]?.deadRemoved ?? NaN) })),
  });
  return {
    id: 'layers',
    question: 'Where do the zeros go, and does the network shrink?',
    figures: [
      {
        svg: sparsity,
        caption: `How the pruning scope (here ${comboOf(head)}) spread the zeros over the layers. The first layer usually holds most weights and takes most of the pruning.`,
      },
      {
        svg: dead,
        caption: `A hidden neuron left with no incoming weights outputs a constant (folded into the next layer's bias); one with no outgoing weights does nothing. Compaction removes both (${comboOf(head)}).`,
      },
    ],
  };
}

function trainingSection(r: SweepReport): Section {
  const e = r.dense.epochs;
  const loss = lineChart({
    id: 'training-loss',
    title: 'Dense training: loss per epoch',
    xLabel: 'epoch',
    yLabel: 'training loss',
    series: [{ name: 'train loss', points: e.map((x) => [x.epoch, x.loss] as const) }],
    yInclude: [0],
  });
  const acc = lineChart({
    id: 'training-accuracy',
    title: 'Dense training: accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy (%)',
    series: [
      { name: 'train accuracy', dashed: true, points: e.map((x) => [x.epoch, toPct(x.trainAccuracy)] as const) },
      { name: 'test accuracy', points: e.filter((x) => x.testAccuracy !== null).map((x) => [x.epoch, toPct(x.testAccuracy!)] as const) },
    ],
    yFormat: pc,
  });
  return {
    id: 'training',
    question: 'How was the dense model trained?',
    figures: [
      { svg: loss, caption: `${e.length} epochs in ${secs(r.dense.trainSeconds)}.` },
      { svg: acc, caption: `Final: ${accPct(r.dense.trainAccuracy)} train, ${accPct(r.dense.accuracy)} test accuracy.` },
    ],
  };
}

function pointsTable(r: SweepReport, groups: Map<string, SweepPoint[]>): string {
  const batches = [...new Set(r.points.flatMap((p) => batchesOf(p.latency)))].sort((a, b) => Number(a) - Number(b));
  const head = [
    'configuration',
    'target',
    'achieved',
    'test acc',
    'Δ vs dense',
    'train acc',
    'gap',
    'test loss',
    'bytes',
    'smaller',
    ...batches.map((b) => `batch ${b}`),
    'prune time',
    'fine-tune epochs',
    'compact sizes',
    'stored as',
    'dead removed',
  ];
  const th = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  const denseRow = [
    'dense',
    '—',
    pct(0),
    accPct(r.dense.accuracy),
    '—',
    accPct(r.dense.trainAccuracy),
    `${points(r.dense.trainAccuracy - r.dense.accuracy)}`,
    r.dense.loss.toFixed(4),
    bytes(r.dense.bytes),
    '1.0×',
    ...batches.map((b) => (r.dense.latency[b] !== undefined ? micros(r.dense.latency[b]) : '—')),
    secs(r.dense.trainSeconds),
    String(r.dense.epochs.length),
    r.model.sizes.join('→'),
    'dense',
    '—',
  ];
  const rows = [...groups.values()].flat().map((p) => {
    const d = p.accuracy - r.dense.accuracy;
    return [
      comboOf(p),
      pct(p.targetSparsity),
      pct(p.sparsity),
      accPct(p.accuracy),
      `${d < 0 ? '−' : '+'}${points(d)}`,
      accPct(p.trainAccuracy),
      points(p.gap),
      p.loss.toFixed(4),
      bytes(p.bytes),
      times(r.dense.bytes / p.bytes),
      ...batches.map((b) => (p.latency[b] ? `${micros(p.latency[b].sparse_us)} (${times(p.latency[b].dense_us / p.latency[b].sparse_us)})` : '—')),
      secs(p.pruneSeconds),
      String(p.fineTuneEpochs),
      [p.layers[0]?.in ?? '', ...p.layers.map((l) => l.out)].join('→'),
      p.layers.map((l) => l.format).join('/'),
      String(p.layers.reduce((s, l) => s + l.deadRemoved, 0)),
    ];
  });
  const tr = (cells: string[], cls = '') =>
    `<tr${cls}>${cells.map((c, i) => (i === 0 ? `<th scope="row">${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`;
  return (
    `<div class="table-wrap"><table data-table="points"><thead><tr>${th}</tr></thead><tbody>${tr(denseRow, ' class="dense"')}${rows.map((c) => tr(c)).join('')}</tbody></table></div>` +
    `<p class="note">Batch columns: median µs per forward pass of the compact model, and its speed-up over dense timed alongside. Accuracy differences are in percentage points.</p>`
  );
}

function configBlock(r: SweepReport): string {
  const items: [string, string][] = [
    ['data', r.data.spec],
    ['samples', `${r.data.nTrain.toLocaleString('en-US')} train, ${r.data.nTest.toLocaleString('en-US')} test`],
    ['features → classes', `${r.data.nFeatures} → ${r.data.nClasses}`],
    ['model', `${r.model.sizes.join('–')} MLP, ${r.model.activation}`],
    ['kernels', r.machine.kernels],
    ['node', r.machine.node],
    ['cpus', String(r.machine.cpus)],
    ['load average', r.machine.loadavg.map((x) => x.toFixed(2)).join(', ')],
    ['created', r.createdAt],
  ];
  return (
    `<dl class="config">${items.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>` +
    `<p>Produced by:</p><pre data-command><code>${esc(r.command)}</code></pre>` +
    (r.merge ? `<p>run as ${r.merge.shardCommands.length} shards, joined by:</p><pre data-merge-command><code>${esc(r.merge.command)}</code></pre>` : '')
  );
}

const CSS = `
:root{--fg:#1d1d1f;--muted:#5f6368;--line:#e3e3e3;--accent:#0072B2}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
main{max-width:1240px;margin:0 auto;padding:28px 24px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:36px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);margin:0 0 18px;font-size:13px}
.summary{background:#f4f8fb;border-left:4px solid var(--accent);padding:14px 20px;border-radius:4px}
.summary .headline{font-size:18px;font-weight:600;margin:0 0 8px}
.summary ul{margin:0;padding-left:20px}
.summary li{margin:4px 0}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:18px 32px}
@media (max-width:900px){.grid{grid-template-columns:1fr}}
figure{margin:0;break-inside:avoid;page-break-inside:avoid}
figure svg{width:100%;height:auto;display:block}
figcaption{color:var(--muted);font-size:13px;margin-top:2px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;font-size:11.5px;font-variant-numeric:tabular-nums;white-space:nowrap}
thead th{white-space:normal;vertical-align:bottom}
th,td{padding:3px 5px;border-bottom:1px solid var(--line);text-align:right}
thead th{background:#f6f6f6;position:sticky;top:0}
tbody th{text-align:left;font-weight:500;white-space:normal;min-width:10em}
tr.dense{background:#fafafa;font-style:italic}
.note{color:var(--muted);font-size:12.5px}
dl.config{display:grid;grid-template-columns:max-content 1fr;gap:2px 18px;margin:0}
dt{color:var(--muted)}dd{margin:0}
pre{background:#f6f6f6;padding:10px 12px;border-radius:4px;white-space:pre-wrap;word-break:break-all;font-size:13px}
@media print{body{font-size:10.5pt}.summary .headline{font-size:13pt}figcaption{font-size:8.5pt}main{max-width:none;padding:0}.grid{grid-template-columns:1fr 1fr}h2{break-after:avoid}table{font-size:9px}.table-wrap{overflow:visible}}
`;

/** The whole report as one self-contained HTML document. Uses `r.summary`, or computes it when empty. */
export function renderReport(r: SweepReport): string {
  const groups = groupByCombo(r.points);
  const head = pickHeadline(r);
  const summary = r.summary.length ? r.summary : summarize(r);
  const sections: Section[] = [];
  if (head) {
    sections.push(
      accuracySection(r, groups),
      generalisationSection(r, groups),
      memorySection(r, groups),
      speedSection(r, groups, head),
      timeSection(r, groups),
      gradientSection(r, groups, head),
      layerSection(r, groups, head),
    );
  }
  sections.push(trainingSection(r));
  const body = sections
    .filter((s) => s.figures.length)
    .map(
      (s) =>
        `<section id="${esc(s.id)}"><h2>${esc(s.question)}</h2><div class="grid">` +
        s.figures.map((fig) => `<figure>${fig.svg}<figcaption>${esc(fig.caption)}</figcaption></figure>`).join('') +
        `</div>${s.after ?? ''}</section>`,
    )
    .join('\n');
  const [first, ...rest] = summary;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(r.title)}</title>
<style>${CSS}${BYTES_TABLE_CSS}</style>
</head>
<body>
<main>
<h1>${esc(r.title)}</h1>
<p class="meta">${esc(`${r.data.spec} · ${r.model.sizes.join('–')} ${r.model.activation} · ${r.points.length} pruned models · ${r.createdAt}`)}</p>
<section class="summary" id="summary" aria-label="Summary">
<p class="headline">${esc(first ?? '')}</p>
<ul>${rest.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
</section>
${body}
<section id="points"><h2>All measured points</h2>${pointsTable(r, groups)}</section>
<section id="config"><h2>Machine and configuration</h2>${configBlock(r)}</section>
</main>
</body>
</html>
`;
}
