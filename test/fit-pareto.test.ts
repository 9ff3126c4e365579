/**
 * fit on a noisy machine and its Pareto report: the isotonic latency model against a brute-force
 * reference, the knapsack allocation against exhaustive search, the noise-band budget rule, and
 * `fit --report` writing report.json + report.html on iris (tiny). No speed is asserted.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isotonic, meetsLatency, monotoneCsr, poolBands, summarizeTiming } from '../src/report/fit-latency.js';
import { allocate, latencyCost, type CostFn, type LatencyTable } from '../src/report/fit.js';
import { buildBaselines, renderFitReport, type FitReport } from '../src/report/fit-pareto.js';
import { UsageError } from '../src/cli/args.js';
import fitCommand from '../src/cli/commands/fit.js';
import { Rng } from '../src/util/rng.js';
import { timeInterleaved } from '../src/report/latency.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/** Isotonic regression by its min-max formula: ŷᵢ = max_{j≤i} min_{k≥i} mean(y_j…y_k) (Barlow et al. 1972). */
function isotonicReference(y: number[]): number[] {
  const mean = (j: number, k: number) => y.slice(j, k + 1).reduce((a, v) => a + v, 0) / (k - j + 1);
  return y.map((_, i) => {
    let best = -Infinity;
    for (let j = 0; j <= i; j++) {
      let m = Infinity;
      for (let k = i; k < y.length; k++) m = Math.min(m, mean(j, k));
      best = Math.max(best, m);
    }
    return best;
  });
}

describe('monotone latency model', () => {
  it('isotonic regression equals the min-max formula on random sequences', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 50; t++) {
      const y = Array.from({ length: 1 + Math.floor(rng.next() * 9) }, () => Math.round(rng.next() * 20));
      const fit = isotonic(y);
      const ref = isotonicReference(y);
      fit.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 10));
      for (let i = 1; i < fit.length; i++) expect(fit[i]).toBeGreaterThanOrEqual(fit[i - 1]);
    }
    expect(isotonic([1, 3, 2, 4])).toEqual([1, 2.5, 2.5, 4]);
    expect(() => isotonic([1, Number.NaN])).toThrow(/finite/);
  });

  it('a table whose CSR time falls as density rises is read as monotone, and dense wins where CSR is slower', () => {
    const csr = [
      { density: 0.7, us: 6 }, // a busy moment: faster than 0.5
      { density: 0.5, us: 10 },
      { density: 0.1, us: 2 },
    ];
    expect(monotoneCsr(csr)).toEqual([
      { density: 0.1, us: 2 },
      { density: 0.5, us: 8 },
      { density: 0.7, us: 8 },
    ]);
    const t: LatencyTable = { batch: 1, layers: [{ inFeatures: 4, outFeatures: 2, dense_us: 9, csr }] };
    const c = latencyCost(t);
    expect(c(0, 0.5)).toEqual({ cost: 8, layout: 'csr' });
    expect(c(0, 0.6).cost).toBeLessThanOrEqual(c(0, 0.7).cost);
    expect(c(0, 1)).toEqual({ cost: 9, layout: 'dense' });
    // without the monotone fit, 0.6 would interpolate to 8 between 10 and 6; with it both are 8 and never cross
    for (let d = 0.1; d < 0.7; d += 0.05) expect(c(0, d).cost).toBeLessThanOrEqual(c(0, d + 0.05).cost + 1e-12);
  });
});

describe('knapsack allocation', () => {
  it('meets the budget with the least loss an exhaustive search finds (random tables)', () => {
    const grid = [1, 0.6, 0.35, 0.2, 0.1, 0.05];
    const rng = new Rng(3);
    for (let t = 0; t < 30; t++) {
      const L = 3;
      const dense = Array.from({ length: L }, () => 1 + rng.next() * 20);
      const cost: CostFn = (l, d) => ({ cost: d === 1 ? dense[l] : dense[l] * (0.2 + 1.1 * d), layout: d === 1 ? 'dense' : 'csr' });
      const loss = dense.map(() => {
        let s = 1;
        return grid.map((d) => (d === 1 ? 1 : (s += rng.next() * 0.5)));
      });
      const overhead = 0.5;
      const budget = overhead + dense.reduce((a, b) => a + b, 0) * (0.3 + rng.next() * 0.6);
      // exhaustive search over every combination (slightly tighter budget: the knapsack rounds costs up)
      let best = Infinity;
      for (let a = 0; a < grid.length; a++)
        for (let b = 0; b < grid.length; b++)
          for (let c = 0; c < grid.length; c++) {
            const k = [a, b, c];
            const total = overhead + k.reduce((s, ki, l) => s + cost(l, grid[ki]).cost, 0);
            if (total <= overhead + (budget - overhead) * (1 - L / 2000)) best = Math.min(best, 1 + k.reduce((s, ki, l) => s + loss[l][ki] - loss[l][0], 0));
          }
      let r;
      try {
        r = allocate(L, cost, loss, budget, overhead, grid);
      } catch {
        expect(best).toBe(Infinity);
        continue;
      }
      expect(r.cost).toBeLessThanOrEqual(budget);
      expect(r.loss).toBeLessThanOrEqual(best + 1e-12);
    }
  });

  it('meets a budget on a synthetic latency table, dense where CSR is slower', () => {
    const row = (i: number, o: number, dense: number) => ({
      inFeatures: i,
      outFeatures: o,
      dense_us: dense,
      csr: [0.5, 0.25, 0.1, 0.05].map((d) => ({ density: d, us: dense * 1.6 * d + 0.3 })),
    });
    const t: LatencyTable = { batch: 1, layers: [row(784, 300, 30), row(300, 100, 4), row(100, 10, 0.3)] };
    const grid = [1, 0.5, 0.25, 0.1, 0.05];
    const loss = [grid.map((d) => 1 + (1 - d) * 0.2), grid.map((d) => 1 + (1 - d) * 0.5), grid.map((d) => 1 + (1 - d) * 5)];
    for (const budget of [5, 8, 15, 30]) {
      const r = allocate(3, latencyCost(t), loss, budget, 0.4, grid);
      expect(r.cost).toBeLessThanOrEqual(budget);
      expect(r.densities[2]).toBe(1); // the last layer: CSR never faster, and the most sensitive
      expect(latencyCost(t)(2, r.densities[2]).layout).toBe('dense');
    }
    expect(latencyCost(t)(0, 0.1).layout).toBe('csr');
    expect(() => allocate(3, latencyCost(t), loss, 2, 0.4, grid)).toThrow(/no allocation .* meets the budget: the sparsest one still costs/);
  });
});

describe('noise band and the budget rule', () => {
  it('the band is half the trimmed range of the repeats’ medians, pooled over models; met is median ≤ budget + band', () => {
    const t = summarizeTiming([
      [10, 11, 12],
      [14, 15, 16],
      [12, 13, 40],
    ]);
    expect(t.medianUs).toBe(13);
    expect(t.minUs).toBe(10);
    expect(t.bandUs).toBe((15 - 11) / 2); // three repeats: not trimmed
    expect(meetsLatency(t, 11)).toBe(true); // 13 ≤ 11 + 2
    expect(meetsLatency(t, 10.9)).toBe(false);
    // five repeats, one hit by a burst of load (median 90): trimmed away
    const burst = summarizeTiming([
      [10, 10],
      [11, 11],
      [12, 12],
      [90, 90],
      [10.5, 10.5],
    ]);
    expect(burst.bandUs).toBe((12 - 10.5) / 2);
    expect(summarizeTiming([[5, 6, 7]]).bandUs).toBe(0);
    expect(() => summarizeTiming([[1], []])).toThrow(/without samples/);
    // pooled: the median relative band (here 10%) for every model, one unlucky model does not set it
    const at = (m: number, b: number) => ({ medianUs: m, minUs: m, bandUs: b, samplesUs: [m] });
    expect(poolBands([at(10, 1), at(20, 2), at(5, 50)]).map((x) => x.bandUs)).toEqual([1, 2, 0.5]);
  });
});

describe('interleaved order', () => {
  it('rotation always times variant k right after k − 1; a shuffled order does not', async () => {
    const n = 6,
      runs = 8;
    const rounds = async (shuffleSeed?: number) => {
      const log: number[] = [];
      const variants = Array.from({ length: n }, (_, i) => ({ name: String(i), fn: () => log.push(i) }));
      const t = await timeInterleaved(variants, { runs, minRunMs: 0, warmupMs: 0, settleMs: 0, shuffleSeed });
      expect(t.every((x) => x.reps === 1 && x.samples_us.length === runs)).toBe(true);
      return log.slice(-runs * n); // the timed rounds: one call per variant per round
    };
    const follows = (log: number[]) => log.slice(1).every((v, i) => i % n === n - 1 || v === (log[i] + 1) % n);
    expect(follows(await rounds())).toBe(true);
    const shuffled = await rounds(3);
    expect(follows(shuffled)).toBe(false);
    for (let r = 0; r < runs; r++) expect([...shuffled.slice(r * n, r * n + n)].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('prunekit fit --report', () => {
  const tmp = tempDir('fit-report');
  const p = (name: string) => join(tmp.dir, name);

  it('writes report.json and report.html with fit, dense and both baselines at every sparsity', async () => {
    const t = await runCli(['train', '--data', 'iris', '--hidden', '64', '--epochs', '20', '--seed', '1', '--out', p('m.safetensors')]);
    expect(t.code, t.err).toBe(0);
    const r = await runCli([
      'fit',
      '--model',
      p('m.safetensors'),
      '--data',
      'iris',
      '--max-bytes',
      '3000',
      '--finetune-epochs',
      '1',
      '--runs',
      '5',
      '--report',
      p('rep'),
      '--baseline-sparsities',
      '0.3,0.6',
      '--out',
      p('fit.safetensors'),
      '--json',
    ]);
    expect(r.out, r.err).not.toBe('');
    const out = JSON.parse(r.out);
    expect(out.report).toBe(join(p('rep'), 'report.html'));
    expect(typeof out.latencyBandUs).toBe('number');
    const rep = JSON.parse(readFileSync(join(p('rep'), 'report.json'), 'utf8')) as FitReport;
    expect(rep.baselines.map((b) => [b.allocation, b.layers.length])).toEqual([
      ['uniform', 2],
      ['uniform', 2],
      ['global', 2],
      ['global', 2],
    ]);
    expect(rep.fit.bytes).toBe(readFileSync(p('fit.safetensors')).length);
    expect(rep.fit.met).toBe(rep.fit.bytes <= 3000);
    expect(rep.fit.sparsity).toBeGreaterThan(0);
    for (const b of rep.baselines) expect(b.met).toBe(b.bytes <= 3000);
    expect(rep.baselines[0].layers.every((l) => Math.abs(1 - l.density - 0.3) < 0.05)).toBe(true); // uniform: every layer at 30%
    expect(rep.timing.loadAverageBefore).toHaveLength(3);
    const html = readFileSync(join(p('rep'), 'report.html'), 'utf8');
    expect(html).toContain('data-chart="pareto-latency"');
    expect(html).toContain('data-chart="pareto-bytes"');
    expect(html).toContain('data-series="global magnitude"');
    expect(html).toContain('data-series="budget"');
    expect(html).toContain(rep.summary[0].replace(/&/g, '&amp;').slice(0, 20));
    expect(r.code).toBe(rep.fit.met ? 0 : 1);
  }, 60_000);

  it('malformed report options are usage errors before any work; a bad sparsity list in the library is a RangeError', async () => {
    writeFileSync(p('file'), 'x');
    const base = ['--model', 'package.json', '--data', 'iris', '--max-bytes', '900', '--out', p('o.safetensors')];
    await expect(fitCommand.run([...base, '--report', p('file')])).rejects.toThrow(/--report: .* is a file, expected a folder/);
    await expect(fitCommand.run([...base, '--report', p('no/such/dir')])).rejects.toThrow(UsageError);
    await expect(fitCommand.run([...base, '--baseline-sparsities', '0.5'])).rejects.toThrow(/needs --report/);
    await expect(fitCommand.run([...base, '--report', p('r2'), '--baseline-sparsities', '0.5,1'])).rejects.toThrow(/--baseline-sparsities: must be < 1/);
    await expect(fitCommand.run([...base, '--runs', '0'])).rejects.toThrow(/--runs/);
    expect(existsSync(p('r2'))).toBe(false);
    await expect(
      // the check comes before any model is touched
      buildBaselines(null as never, null as never, {} as never, { batch: 1, finetuneEpochs: 0, sparsities: [0] }),
    ).rejects.toThrow(/baseline sparsities must be in \(0, 1\), got 0/);
  });

  it('the page escapes text and draws a budget line only for the budget given', () => {
    const point = (allocation: FitReport['fit']['allocation'], acc: number) => ({
      allocation,
      sparsity: 0.5,
      accuracy: acc,
      bytes: 1000,
      latencyUs: 5,
      latencyMinUs: 4,
      latencyBandUs: 1,
      met: true,
      layers: [{ name: '1: 4→3', density: 0.5, layout: 'csr' as const }],
    });
    const r: FitReport = {
      title: 'fit <b>',
      createdAt: 'now',
      budget: { maxLatencyUs: 6, batch: 1 },
      values: 'f32',
      criterion: 'magnitude',
      finetuneEpochs: 0,
      timing: { runs: 5, cpus: 2, loadAverageBefore: [1, 1, 1], loadAverageAfter: [1, 1, 1] },
      dense: point('dense', 0.9),
      fit: point('fit', 0.8),
      baselines: [point('uniform', 0.7)],
      best: { uniform: point('uniform', 0.7), global: null },
      fitBeats: { uniform: true, global: null },
      summary: ['a < b'],
    };
    const html = renderFitReport(r);
    expect(html).toContain('fit &lt;b&gt;');
    expect(html).toContain('a &lt; b');
    expect(html).not.toContain('<b>');
    expect(html.match(/data-series="budget"/g)).toHaveLength(2); // the latency chart and its zoom: no byte budget given
    // the zoom keeps models within 5 points of fit's accuracy (80%): uniform at 70% is left out
    const zoom = /<svg[^>]*data-chart="pareto-latency-zoom"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(zoom).toContain('data-series="fit"');
    expect(zoom).not.toContain('data-series="uniform magnitude"');
    expect(html).toContain('data-series="uniform magnitude"');
  });
});
