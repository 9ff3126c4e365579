/**
 * The peers chart page: latency vs sparsity, one line per engine, one chart per batch size (log
 * y axis), then the tables and the targets. Charts come from src/report/svg.ts when it is there;
 * without it the page holds the tables only.
 */
import type { PeersReport } from './run.js';
import { isRandomSource } from './models.js';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);

type LineChart = (o: {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  yScale?: 'linear' | 'log';
  series: { name: string; points: [number, number][]; dashed?: boolean }[];
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
}) => string;

async function loadLineChart(): Promise<LineChart | null> {
  try {
    return ((await import('../../src/report/svg.js')) as { lineChart: LineChart }).lineChart;
  } catch {
    return null;
  }
}

export async function renderPeersHtml(r: PeersReport): Promise<string> {
  const lineChart = await loadLineChart();
  const random = r.groups.filter((g) => isRandomSource(g.source));
  const engines = [...new Set(r.groups.flatMap((g) => g.engines.map((e) => e.engine)))];
  const charts = [...new Set(random.map((g) => g.batch))].map((batch) => {
    if (!lineChart) return '<p>(chart: needs src/report/svg.ts)</p>';
    const series = engines.map((name) => ({
      name,
      dashed: !name.startsWith('prunekit'),
      points: random
        .filter((g) => g.batch === batch)
        .flatMap((g) => g.engines.filter((e) => e.engine === name).map((e): [number, number] => [g.sparsity * 100, e.median_us])),
    }));
    return lineChart({
      id: `peers-b${batch}`,
      title: `Batch ${batch}: median forward latency`,
      xLabel: 'sparsity (%)',
      yLabel: 'latency (µs, log)',
      yScale: 'log',
      series,
      xFormat: (v) => `${v}`,
      yFormat: (v) => (v >= 1000 ? `${v / 1000} ms` : `${v}`),
    });
  });
  const rows = r.groups.flatMap((g) =>
    g.engines.map(
      (e) =>
        `<tr><td>${esc(g.source)}</td><td>${(g.sparsity * 100).toFixed(g.source === 'demo' ? 1 : 0)}%</td><td>${g.batch}</td>` +
        `<td>${esc(e.engine)}</td><td>${us(e.median_us)}</td><td>${us(e.min_us)}</td><td>${(e.spread * 100).toFixed(0)}%</td><td>${e.gflops.toFixed(2)}</td>` +
        `<td>${e.gbs.toFixed(1)}</td><td>${e.max_abs_diff.toExponential(1)}</td><td>${e.prunekit_dense_speedup.toFixed(2)}×</td><td>${e.prunekit_csr_speedup.toFixed(2)}×</td></tr>`,
    ),
  );
  const targets = r.targets.map(
    (t) =>
      `<tr><td>${t.met === null ? 'n/a' : t.met ? '✔ met' : '✘ missed'}</td><td>${esc(t.name)}</td><td>${t.ratio === null ? '—' : t.ratio.toFixed(2) + '×'}</td><td>${esc(t.goal)}</td></tr>`,
  );
  const mem = r.memory.map(
    (m) =>
      `<tr><td>${esc(m.engine)}</td><td>${(m.sparsity * 100).toFixed(0)}%</td><td>${(m.weight_bytes / 1024).toFixed(0)} KiB</td>` +
      `<td>${m.wasm_memory_bytes === null ? '—' : (m.wasm_memory_bytes / 1048576).toFixed(2) + ' MiB'}</td><td>${(m.max_rss_bytes / 1048576).toFixed(1)} MiB</td><td>${(m.rss_over_baseline_bytes / 1048576).toFixed(1)} MiB</td><td>${(m.rss_growth_bytes / 1048576).toFixed(1)} MiB</td></tr>`,
  );
  const mach = r.machine
    ? `read bandwidth ${r.machine.read_gbs.toFixed(1)} GB/s (best ${r.machine.read_gbs_best.toFixed(1)})${r.machine.dram_read_gbs === undefined ? '' : `, DRAM read bandwidth ${r.machine.dram_read_gbs.toFixed(1)} GB/s (best ${r.machine.dram_read_gbs_best!.toFixed(1)})`}, f32 multiply-add peak ${r.machine.madd_gflops.toFixed(1)} GFLOP/s (best ${r.machine.madd_gflops_best.toFixed(1)})`
    : 'not measured';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>prunekit vs peers</title>
<style>body{font:14px system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:nth-child(-n+4){text-align:left}svg{max-width:100%}</style>
</head><body>
<h1>prunekit vs the engines users would otherwise pick</h1>
<p>${esc(r.date)} · ${esc(r.cpu)} (${r.cpus} CPUs) · Node ${esc(r.node)} · prunekit kernels: ${esc(r.kernels)} · machine: ${esc(mach)} · load average ${r.loadavg_start.map((v) => v.toFixed(2)).join('/')} → ${r.loadavg_end.map((v) => v.toFixed(2)).join('/')}</p>
<p>Reproduce: <code>${esc(r.command)}</code>. Same weights in every engine (outputs checked against a plain-TS forward before timing); interleaved rounds after warm-up; ratios = peer time / prunekit time, paired per round.</p>
<ul>${r.engines.map((e) => `<li><b>${esc(e.name)}</b>: ${esc(e.describe)}</li>`).join('')}</ul>
${charts.join('\n')}
<h2>Targets (speed-up of prunekit over each peer)</h2><table><tr><th></th><th>target</th><th>measured</th><th>goal</th></tr>${targets.join('')}</table>
<h2>All timings</h2>
<table><tr><th>model</th><th>sparsity</th><th>batch</th><th>engine</th><th>median</th><th>min</th><th>spread</th><th>GFLOP/s</th><th>GB/s</th><th>max |diff|</th><th>pk dense ×</th><th>pk CSR ×</th></tr>
${rows.join('\n')}</table>
<h2>Memory</h2><table><tr><th>engine</th><th>sparsity</th><th>weights resident</th><th>wasm memory</th><th>peak RSS</th><th>peak over baseline</th><th>RSS growth (after GC)</th></tr>${mem.join('')}</table>
${r.notes.length ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}
</body></html>
`;
}
