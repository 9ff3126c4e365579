import { describe, expect, it } from 'vitest';
import { pickHeadline, summarize } from '../src/report/summary.js';
import { renderReport } from '../src/report/html.js';
import { barChart, escapeXml, lineChart, logTicks, niceTicks } from '../src/report/svg.js';
import type { SweepReport } from '../src/report/report-types.js';
import { sampleReport } from './helpers/report-sample.js';

/** The `<svg data-chart="id">…</svg>` text of every chart, by id. */
function charts(html: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of html.matchAll(/<svg [^>]*data-chart="([^"]+)"[\s\S]*?<\/svg>/g)) out.set(m[1], m[0]);
  return out;
}
const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const attrs = (s: string, name: string) => [...s.matchAll(new RegExp(`<circle [^>]*${name}="([^"]+)"`, 'g'))].map((m) => Number(m[1]));

describe('summarize (numbers checked by hand against the fixture)', () => {
  const r = sampleReport();
  const s = summarize(r);

  it('headline: the best point at ~90%, its size ratio, batch-1 speed-up and accuracy cost', () => {
    // 1,067,000 / 166,700 = 6.40; 31.0 / 10.0 = 3.1; 97.65 − 97.35 = 0.30 points
    expect(s[0]).toBe(
      'At 90% sparsity (magnitude / global / gradual) this model is 6.4× smaller, 3.1× faster at batch 1 ' +
        'and 0.3 points less accurate than the dense model (97.35% vs 97.65% test accuracy).',
    );
  });

  it('accuracy: sparsest point within 1 point of dense (≥ 96.65%) and the sparsest point overall', () => {
    expect(s[1]).toContain('within 1 point up to 95% sparsity (magnitude / global / gradual, 97.02%)');
    expect(s[1]).toContain('98% (magnitude / global / gradual), it is 95.12%');
  });

  it('generalisation: dense gap 99.12 − 97.65 = 1.47, pruned 98.41 − 97.35 = 1.06, narrower by 0.41', () => {
    expect(s[2]).toBe('Generalisation: the train–test accuracy gap is 1.5 points for the dense model and 1.1 points at 90% sparsity (narrower by 0.4 points).');
  });

  it('generalisation: a negative gap (test above train) keeps its sign', () => {
    const neg = sampleReport();
    const h = pickHeadline(neg)!;
    // dense gap 99.12 − 97.65 = 1.47; pruned gap −10.0: test 10 points above train; change −11.47
    h.gap = -0.1;
    h.trainAccuracy = h.accuracy - 0.1;
    expect(summarize(neg)[2]).toBe(
      'Generalisation: the train–test accuracy gap is 1.5 points for the dense model and −10.0 points (test above train) at 90% sparsity (train minus test fell by 11.5 points).',
    );
  });

  it('memory: 167 kB vs 1.07 MB, and 1,067,000 / 36,900 = 28.9× at 98%', () => {
    expect(s[3]).toBe('Memory: the compact model file is 167 kB at 90% sparsity vs 1.07 MB dense (6.4× smaller), and 36.9 kB at 98% (28.9×).');
  });

  it('memory: a compact file larger than the dense one says "larger", not "0.9× smaller"', () => {
    const big = sampleReport();
    const h = pickHeadline(big)!;
    h.bytes = Math.round(big.dense.bytes * 1.25);
    const said = summarize(big);
    expect(said[0]).toContain('this model is 1.3× larger, ');
    expect(said[3]).toContain('dense (1.3× larger)');
    expect(said.join(' ')).not.toMatch(/0\.\d× smaller/);
  });

  it('speed: says where the compact model is slower (batch 1 at 50%: 38 µs vs 31 µs dense)', () => {
    const b1 = s.find((x) => x.startsWith('Inference at batch 1:'))!;
    expect(b1).toContain('10.0 µs per forward pass at 90% sparsity vs 31.0 µs dense (3.1× faster)');
    expect(b1).toContain('faster from 80% sparsity on, and slower at 50%');
    const b64 = s.find((x) => x.startsWith('Inference at batch 64:'))!;
    expect(b64).toContain('(5.6× faster)'); // 700 / 125
    expect(b64).toContain('faster at every sparsity measured');
  });

  it('training time: 8.2 s on top of 24.6 s is +33%', () => {
    expect(s.find((x) => x.startsWith('Training time:'))).toBe(
      'Training time: dense training took 24.6 s (10 epochs); pruning to 90% with 4 fine-tuning epochs took a further 8.2 s (+33%).',
    );
  });

  it('gradients: per-layer ratios 0.0189/0.021, 0.0306/0.034, 0.0624/0.052 and no vanishing', () => {
    const g = s.find((x) => x.startsWith('Gradients:'))!;
    expect(g).toContain('0.90×, 0.90×, 1.2×');
    expect(g).toContain('no sign of vanishing gradients');
  });

  it('depth: layer sparsities and 9 + 4 = 13 dead neurons', () => {
    const d = s[s.length - 1];
    expect(d).toContain('3-layer network (784–300–100–10, relu)');
    expect(d).toContain('91.1%, 81.6%, 80.8% sparse');
    expect(d).toContain('removed 13 dead neurons (layer 1: 9, layer 2: 4)');
  });

  it('never claims a speed-up that is not there: slower everywhere says so', () => {
    const r2 = sampleReport();
    for (const p of r2.points) p.latency['1'].sparse_us = p.latency['1'].dense_us * 1.5;
    const s2 = summarize(r2);
    expect(s2[0]).toContain('1.5× slower at batch 1');
    expect(s2[0]).not.toContain('faster');
    expect(s2.find((x) => x.startsWith('Inference at batch 1:'))).toContain('slower than dense at every sparsity measured (up to 98%)');
  });

  it('reports vanishing gradients when a layer falls below 10%', () => {
    const r2 = sampleReport();
    r2.points[2].gradNormsAfter = [0.0189, 0.0017, 0.0624]; // layer 2: 0.0017 / 0.034 = 5%
    expect(summarize(r2).find((x) => x.startsWith('Gradients:'))).toContain("layer 2's gradient fell to 5% of its pre-pruning size");
  });

  it('headline falls back to the sparsest point within 1 accuracy point when nothing is near 90%', () => {
    const r2 = sampleReport();
    r2.points = r2.points.filter((p) => p.targetSparsity !== 0.9);
    const h = pickHeadline(r2)!;
    expect([h.scope, h.sparsity]).toEqual(['global', 0.95]); // 97.02% ≥ 97.65% − 1; 98% points are 95.12% and 91.05%
    expect(summarize(r2)[0]).toMatch(/^At 95% sparsity \(magnitude \/ global \/ gradual\) this model is 12\.4× smaller/); // 1,067,000 / 86,300
  });

  it('no points: one honest sentence', () => {
    const r2 = sampleReport();
    r2.points = [];
    expect(summarize(r2)).toEqual(["No pruned models were measured; the dense model's test accuracy is 97.65%."]);
  });
});

describe('svg helpers', () => {
  it('nice and log ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(50, 98, 6)).toEqual([50, 60, 70, 80, 90, 100]);
    expect(niceTicks(3, 3)).toEqual([2.6, 2.8, 3, 3.2, 3.4]);
    expect(logTicks(36_900, 1_067_000)).toEqual([2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6]);
  });

  it('line chart maps data to the plot area: (0,0) bottom-left, (1,1) top-right, skips non-finite points', () => {
    // default width 520: plot x from 70 to 500 (520 − 20), y from 36 (top) to 256 (bottom)
    const svg = lineChart({
      id: 'c',
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 's',
          points: [
            [0, 0],
            [1, 1],
            [0.5, NaN],
          ],
        },
      ],
    });
    expect(count(svg, /<circle /g)).toBe(2);
    expect(svg).toContain('cx="70" cy="256"');
    expect(svg).toContain('cx="500" cy="36"');
    expect(svg).toContain('<path d="M70 256 L500 36"');
  });

  it('bar chart: one rect per finite value, heights proportional, mismatched lengths rejected', () => {
    const svg = barChart({
      id: 'b',
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      categories: ['a', 'b'],
      groups: [
        { name: 'g', values: [1, 2] },
        { name: 'h', values: [NaN, 0.5] },
      ],
    });
    expect(count(svg, /<rect [^>]*data-value/g)).toBe(3);
    // y ticks 0..2 over 220 px: value 2 → 220 px high, value 1 → 110 px
    expect(svg).toMatch(/height="220" fill="[^"]+" data-series="g" data-category="b" data-value="2"/);
    expect(svg).toMatch(/height="110" fill="[^"]+" data-series="g" data-category="a" data-value="1"/);
    expect(() => barChart({ id: 'b', title: 't', xLabel: 'x', yLabel: 'y', categories: ['a'], groups: [{ name: 'g', values: [1, 2] }] })).toThrow(
      /group "g" has 2 values for 1 categories/,
    );
  });

  it('empty chart says so instead of drawing axes from nothing', () => {
    expect(lineChart({ id: 'e', title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toContain('No data measured.');
  });

  it('escapes all five XML specials', () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('renderReport', () => {
  const r = sampleReport();
  const html = renderReport(r);
  const c = charts(html);

  // per chart: expected data elements (circles for line charts, rects for bar charts), from the fixture:
  // 2 configurations × 5 sparsities, batches 1 and 64, 3 layers, 10 epochs (test accuracy every 2nd)
  const expected: Record<string, [string, number]> = {
    accuracy: ['circle', 10],
    loss: ['circle', 10],
    generalisation: ['circle', 20],
    gap: ['circle', 10],
    bytes: ['circle', 10],
    compression: ['circle', 10],
    'latency-1': ['circle', 15],
    'latency-64': ['circle', 15],
    speedup: ['circle', 20],
    time: ['rect', 10],
    'grad-norms': ['rect', 18],
    'training-grad-norms': ['circle', 30],
    'layer-sparsity': ['rect', 15],
    'dead-neurons': ['rect', 15],
    'training-loss': ['circle', 10],
    'training-accuracy': ['circle', 15],
  };

  it('has every chart, each with the right number of data points', () => {
    expect([...c.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [id, [el, n]] of Object.entries(expected)) {
      const re = el === 'circle' ? /<circle [^>]*data-x/g : /<rect [^>]*data-value/g;
      expect(count(c.get(id)!, re), id).toBe(n);
    }
  });

  it('plots the fixture values: accuracy (%) per point and the dense reference line', () => {
    const ys = attrs(c.get('accuracy')!, 'data-y').sort((a, b) => a - b);
    const want = r.points.map((p) => p.accuracy * 100).sort((a, b) => a - b);
    ys.forEach((y, i) => expect(y).toBeCloseTo(want[i], 9));
    expect(c.get('accuracy')).toMatch(/data-reference="dense" data-y="97.65/);
    const bytes = attrs(c.get('bytes')!, 'data-y').sort((a, b) => a - b);
    expect(bytes.slice(0, 2)).toEqual([36_900, 38_100]);
  });

  it('the summary is at the top, headline first, and the points table has a row per point plus dense', () => {
    const iSummary = html.indexOf('id="summary"');
    expect(iSummary).toBeGreaterThan(0);
    expect(iSummary).toBeLessThan(html.indexOf('data-chart='));
    expect(html).toContain('<p class="headline">At 90% sparsity (magnitude / global / gradual) this model is 6.4× smaller');
    const table = html.slice(html.indexOf('data-table="points"'));
    expect(count(table.slice(0, table.indexOf('</table>')), /<tr/g)).toBe(1 + 1 + r.points.length);
    expect(html).toContain(r.command);
  });

  it("uses the report's own summary when it has one", () => {
    const own = renderReport({ ...sampleReport(), summary: ['Headline from the sweep.', 'Second.'] });
    expect(own).toContain('<p class="headline">Headline from the sweep.</p>');
    expect(own).toContain('<li>Second.</li>');
  });

  it('escapes text from the report: no script element from a title or a configuration name', () => {
    const evil: SweepReport = sampleReport();
    evil.title = '<script>alert(1)</script>';
    evil.points[0].criterion = 'a"<b>&';
    evil.command = 'prunekit sweep --report "</pre><script>x</script>"';
    const out = renderReport(evil);
    expect(out).not.toMatch(/<script/i);
    expect(out).toContain('<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>');
    expect(out).toContain('data-series="a&quot;&lt;b&gt;&amp; / global / gradual"');
  });

  it('is self-contained: no scripts, no external resources', () => {
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    const urls = html.match(/https?:\/\/[^\s"')]+/g) ?? [];
    expect(urls.every((u) => u === 'http://www.w3.org/2000/svg')).toBe(true);
  });

  it('a report without pruned points still renders the training charts', () => {
    const empty = renderReport({ ...sampleReport(), points: [] });
    expect([...charts(empty).keys()].sort()).toEqual(['training-accuracy', 'training-loss']);
    expect(empty).toContain('No pruned models were measured');
  });
});
