/**
 * Latency as `fit` uses it on a shared, noisy machine.
 *
 * - A per-layer latency model that is monotone in density. A CSR product does work proportional
 *   to the kept weights, so its time cannot fall as the density rises; a measured table that says
 *   otherwise (70% slower than 50%) says the machine was busy. The CSR times are replaced by their
 *   isotonic regression on density — the non-decreasing sequence nearest in least squares,
 *   computed by pool-adjacent-violators (Barlow et al. 1972): scan left to right, and whenever a
 *   value is below the block before it, merge the two into one block at their weighted mean.
 * - Timing several models the same way (`timeModels`): the interleaved rounds of latency.ts, so
 *   drift hits them alike; per model the median over all rounds, the fastest round, and a noise
 *   band estimated from repeats: the rounds are cut into consecutive blocks, each block has a
 *   median, and the band is half the range of those medians (how far the median moves between
 *   repeats within this one run).
 * - The budget rule (`meetsLatency`): met when median ≤ T + band, i.e. the budget is inside the
 *   run's noise band or above it. Every allocation compared with fit is judged by the same rule,
 *   in the same interleaved timing.
 */
import type { Model } from '../runtime/model.js';
import { median } from '../util/stats.js';
import { Rng } from '../util/rng.js';
import { timeInterleaved } from './latency.js';

/** The non-decreasing least-squares fit of `ys` (in their order), by pool-adjacent-violators. */
export function isotonic(ys: readonly number[]): number[] {
  const blocks: { mean: number; n: number }[] = [];
  for (const y of ys) {
    if (!Number.isFinite(y)) throw new RangeError(`isotonic: values must be finite, got ${y}`);
    blocks.push({ mean: y, n: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2].mean > blocks[blocks.length - 1].mean) {
      const b = blocks.pop()!,
        a = blocks[blocks.length - 1];
      a.mean = (a.mean * a.n + b.mean * b.n) / (a.n + b.n);
      a.n += b.n;
    }
  }
  return blocks.flatMap((b) => new Array<number>(b.n).fill(b.mean));
}

/** A layer's CSR points sorted by density, times made non-decreasing in density (isotonic). */
export function monotoneCsr(points: readonly { density: number; us: number }[]): { density: number; us: number }[] {
  const sorted = [...points].sort((a, b) => a.density - b.density);
  const us = isotonic(sorted.map((p) => p.us));
  return sorted.map((p, i) => ({ density: p.density, us: us[i] }));
}

/** One model's timing: median and fastest per-call time over the rounds, the noise band, all samples. */
export interface ModelTiming {
  medianUs: number;
  minUs: number;
  /** Half the range of the block medians, µs (0 with one block). */
  bandUs: number;
  samplesUs: number[];
}

/** Median, min and noise band of per-round samples cut into `blocks` consecutive blocks. */
export function summarizeTiming(samplesUs: readonly number[], blocks = 5): ModelTiming {
  if (samplesUs.length === 0) throw new RangeError('summarizeTiming: no samples');
  const k = Math.max(1, Math.min(blocks, samplesUs.length));
  const size = Math.floor(samplesUs.length / k);
  const meds = Array.from({ length: k }, (_, i) => median(samplesUs.slice(i * size, i === k - 1 ? samplesUs.length : (i + 1) * size)));
  return { medianUs: median(samplesUs), minUs: Math.min(...samplesUs), bandUs: (Math.max(...meds) - Math.min(...meds)) / 2, samplesUs: [...samplesUs] };
}

/** Met: median ≤ T + band. */
export function meetsLatency(t: ModelTiming, maxUs: number): boolean {
  return t.medianUs <= maxUs + t.bandUs;
}

export interface TimeModelsOptions {
  /** Interleaved rounds (default 30). */
  runs?: number;
  /** Blocks the rounds are cut into for the noise band (default 5). */
  blocks?: number;
  seed?: number;
  minRunMs?: number;
}

/** Times `predictLogits` of every model at `batch` in the same interleaved rounds (seeded inputs). */
export async function timeModels(models: readonly Model[], batch: number, o: TimeModelsOptions = {}): Promise<ModelTiming[]> {
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`timeModels: batch must be a whole number ≥ 1, got ${batch}`);
  const rng = new Rng(o.seed ?? 1);
  const variants = models.map((m, i) => {
    const x = Float32Array.from({ length: batch * m.inFeatures }, () => rng.next());
    return { name: `model ${i}`, fn: () => m.predictLogits(x, batch) };
  });
  const t = await timeInterleaved(variants, { runs: o.runs ?? 30, minRunMs: o.minRunMs ?? 0.5 });
  return t.map((x) => summarizeTiming(x.samples_us, o.blocks));
}
