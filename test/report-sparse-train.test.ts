/** The report's fine-tuning cost per epoch (sparse kernels) against a dense training epoch. */
import { describe, expect, it } from 'vitest';
import { renderReport } from '../src/report/html.js';
import { summarize } from '../src/report/summary.js';
import { sampleReport } from './helpers/report-sample.js';

describe('fine-tuning epoch time in the report', () => {
  const r = sampleReport();
  r.points.forEach((p) => {
    p.fineTuneEpochSeconds = 2.46 * (1 - p.targetSparsity);
  });

  it('the time sentence gives one fine-tuning epoch against the dense epoch (2.46 s): 0.246 / 2.46 = 0.10× at 90%', () => {
    expect(summarize(r).find((x) => x.startsWith('Training time:'))).toBe(
      'Training time: dense training took 24.6 s (10 epochs); pruning to 90% with 4 fine-tuning epochs took a further 8.2 s (+33%); ' +
        'one fine-tuning epoch cost 0.10× a dense training epoch (pruned layers train on the sparse kernels).',
    );
  });

  it('draws one bar per point and the dense epoch as the reference line; no chart without the figures', () => {
    const chart = renderReport(r).match(/<svg [^>]*data-chart="epoch-time"[\s\S]*?<\/svg>/)?.[0] ?? '';
    expect((chart.match(/<rect [^>]*data-value/g) ?? []).length).toBe(r.points.length);
    expect(chart).toMatch(/dense epoch/);
    expect(renderReport(sampleReport())).not.toMatch(/data-chart="epoch-time"/);
  });
});
