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
 *   drift hits them alike, in a random order per round (so no model always follows the same one,
 *   e.g. a megabyte model that leaves the caches cold), in several repeats spaced apart in time (a burst of load then hits one
 *   repeat, not all); per model the median over all rounds and the fastest round. The noise band
 *   is estimated from the repeats: half the range of the repeats' medians, trimmed (with ≥ 4
 *   repeats the highest and lowest are dropped, so one burst in one repeat does not widen it),
 *   taken relative to the model's median and pooled over all the models timed together (the
 *   median of those fractions, times each model's median): it is the run's noise, not one
 *   model's luck.
 * - The budget rule (`meetsLatency`): met when median ≤ T + band, i.e. the budget is inside the
 *   run's noise band or above it. Every allocation compared with fit is judged by the same rule,
 *   in the same interleaved timing.
 */
import type { Model } from '../runtime/model.js';
import { median } from '../util/stats.js';
import { Rng } from '../util/rng.js';
import { timeInterleaved } from './latency.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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

/** Median and min over all samples, and this model's own noise band: half the trimmed range of the repeats' medians. */
export function summarizeTiming(repeats: readonly (readonly number[])[]): ModelTiming {
  const all = repeats.flat();
  if (all.length === 0 || repeats.some((r) => r.length === 0)) throw new RangeError('summarizeTiming: a repeat without samples');
  const meds = repeats.map((r) => median(r)).sort((a, b) => a - b);
  const trim = meds.length >= 4 ? 1 : 0;
  return { medianUs: median(all), minUs: Math.min(...all), bandUs: (meds[meds.length - 1 - trim] - meds[trim]) / 2, samplesUs: all };
}

/** The run's band: every model's band as a fraction of its median, pooled by their median, times each model's median. */
export function poolBands(timings: readonly ModelTiming[]): ModelTiming[] {
  if (timings.length === 0) return [];
  const rel = median(timings.map((t) => t.bandUs / t.medianUs));
  return timings.map((t) => ({ ...t, bandUs: rel * t.medianUs }));
}

/** Met: median ≤ T + band. */
export function meetsLatency(t: ModelTiming, maxUs: number): boolean {
  return t.medianUs <= maxUs + t.bandUs;
}

export interface TimeModelsOptions {
  /** Interleaved rounds in all (default 60), split evenly over the repeats. */
  runs?: number;
  /** Repeats, each with its own warm-up, `pauseMs` apart (default 5). */
  repeats?: number;
  pauseMs?: number;
  seed?: number;
  /** Shortest timed run, ms (default 0.25: a short run is less often cut by the scheduler on a loaded machine). */
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
  const repeats = Math.max(1, o.repeats ?? 5);
  const perRepeat = Math.max(1, Math.ceil((o.runs ?? 60) / repeats));
  const samples: number[][][] = models.map(() => []);
  for (let r = 0; r < repeats; r++) {
    if (r > 0) await sleep(o.pauseMs ?? 100);
    const t = await timeInterleaved(variants, { runs: perRepeat, minRunMs: o.minRunMs ?? 0.25, shuffleSeed: (o.seed ?? 1) + r });
    t.forEach((x, i) => samples[i].push(x.samples_us));
  }
  return poolBands(samples.map((s) => summarizeTiming(s)));
}
