/**
 * Timing one model file through the runtime (`prunekit bench --model FILE`): the forward pass a
 * user's `model.predictLogits(x, batch)` runs — standardisation, every layer on the kernels, the
 * finiteness check — at each batch size, with the timing harness of latency.ts (warm-up,
 * calibrated runs, interleaved rounds; median and min per call). Inputs are seeded uniform [0, 1)
 * values: the kernels' cost does not depend on them (no data-dependent branches or early exits).
 */
import type { Model } from '../runtime/model.js';
import { Rng } from '../util/rng.js';
import { timeInterleaved, type TimingOptions } from './latency.js';

export interface ModelBenchOptions extends Pick<TimingOptions, 'runs' | 'minRunMs' | 'onRound'> {
  /** Batch sizes to time, each ≥ 1. */
  batches: number[];
  /** Seed of the random inputs (default 1). */
  seed?: number;
}

export interface ModelBenchResult {
  batch: number;
  /** Median and fastest time of one forward pass of `batch` samples, µs. */
  median_us: number;
  min_us: number;
}

export interface ModelBenchReport {
  flavor: string;
  inFeatures: number;
  outFeatures: number;
  runs: number;
  results: ModelBenchResult[];
}

/** Times `model.predictLogits` at every batch size, interleaved. */
export async function benchModel(model: Model, o: ModelBenchOptions): Promise<ModelBenchReport> {
  if (o.batches.length === 0) throw new RangeError('benchModel: no batch sizes');
  for (const b of o.batches) if (!Number.isInteger(b) || b < 1) throw new RangeError(`benchModel: batch sizes must be whole numbers ≥ 1, got ${b}`);
  const rng = new Rng(o.seed ?? 1);
  const variants = o.batches.map((batch) => {
    const x = Float32Array.from({ length: batch * model.inFeatures }, () => rng.next());
    return { name: `batch ${batch}`, fn: () => model.predictLogits(x, batch) };
  });
  const runs = o.runs ?? 30;
  const timings = await timeInterleaved(variants, { runs, minRunMs: o.minRunMs, onRound: o.onRound });
  return {
    flavor: model.flavor,
    inFeatures: model.inFeatures,
    outFeatures: model.outFeatures,
    runs,
    results: o.batches.map((batch, i) => ({ batch, median_us: timings[i].median_us, min_us: timings[i].min_us })),
  };
}

/** The human table: one line per batch size. */
export function formatModelBench(file: string, r: ModelBenchReport): string {
  const lines = [`${file}: ${r.inFeatures} → ${r.outFeatures}, kernels ${r.flavor}, ${r.runs} runs`, 'batch   median µs      min µs   median µs/sample'];
  for (const x of r.results) {
    lines.push(
      `${String(x.batch).padStart(5)}  ${x.median_us.toFixed(2).padStart(10)}  ${x.min_us.toFixed(2).padStart(10)}  ${(x.median_us / x.batch).toFixed(3).padStart(17)}`,
    );
  }
  return lines.join('\n') + '\n';
}
