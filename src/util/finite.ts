/**
 * Finite-number guards shared by both model readers (the training file, src/nn/io.ts, and the
 * compact file, src/sparse/format.ts) and by both forward passes (training-side `evaluate` and the
 * runtime): a stored standardisation must be usable in f32, and a forward pass whose outputs are
 * not finite is an error — never a label or a probability.
 */

import { minOf } from './stats.js';

/** Largest finite f32, (2 − 2⁻²³)·2¹²⁷ ≈ 3.4028235e38. */
export const F32_MAX = 3.4028234663852886e38;

/**
 * Why a stored standardisation x' = (x − mean)·(1/scale) is unusable, or null when it is fine.
 * Each mean must be finite; each scale finite, non-zero, and with a reciprocal that is finite in f32
 * (readers multiply by 1/scale; a subnormal scale such as 1e-45 has 1/scale = +∞ in f32, so every
 * input would standardise to ±∞ or NaN). |scale| ≥ 1/F32_MAX ≈ 2.94e-39 is exactly that condition.
 * Lengths are the caller's to check (they know the input width).
 */
export function standardizationProblem(mean: ArrayLike<number> | null, scale: ArrayLike<number> | null): string | null {
  // native scans first (hasNonFinite, minOf); the loops below only run to name a problem
  if (isF32(mean) && !hasNonFinite(mean)) mean = null;
  if (isF32(scale) && !hasNonFinite(scale) && minOf(scale) >= 1 / F32_MAX) scale = null; // all positive and ≥ 1/F32_MAX
  if (mean) {
    for (let i = 0; i < mean.length; i++) if (!Number.isFinite(mean[i])) return `preprocessing.mean[${i}] is ${mean[i]}, expected a finite number`;
  }
  if (scale) {
    for (let i = 0; i < scale.length; i++) {
      const s = scale[i];
      if (!Number.isFinite(s) || s === 0) return `preprocessing.scale[${i}] is ${s}, expected a finite non-zero number`;
      if (!Number.isFinite(Math.fround(1 / s))) {
        return `preprocessing.scale[${i}] is ${s}: its reciprocal is not a finite f32, so every input would standardise to ±Infinity (|scale| must be at least ${(1 / F32_MAX).toPrecision(3)})`;
      }
    }
  }
  return null;
}

const isF32 = (a: ArrayLike<number> | null): a is Float32Array => a instanceof Float32Array;

/**
 * True when `a` holds a NaN or ±Infinity: three native scans (a typed array's `includes` finds
 * NaN, as it compares by SameValueZero). A model file is checked once, cold, where a plain loop
 * over its 27k weights runs in V8's interpreter some 50× slower.
 */
export function hasNonFinite(a: Float32Array | Float64Array): boolean {
  return a.includes(Number.NaN) || a.includes(Number.POSITIVE_INFINITY) || a.includes(Number.NEGATIVE_INFINITY);
}

/**
 * A forward pass produced a NaN or ±Infinity logit: the model's weights (or the inputs after
 * standardisation) overflow f32 for this sample, so no label or probability is meaningful.
 * `sample` is the 0-based index of the sample in the caller's inputs.
 */
export class NonFiniteOutputError extends Error {
  override name = 'NonFiniteOutputError';
  constructor(
    readonly sample: number,
    readonly output: number,
    readonly value: number,
  ) {
    super(
      `sample ${sample}: output ${output} of the model is ${value}, not a finite number — the weights or the standardised inputs overflow f32, so there is no meaningful label or probability`,
    );
  }
}

/**
 * Throws `NonFiniteOutputError` for the first non-finite logit of a batch. `logits` holds `batch`
 * samples of `outputs` values each, sample-major (`[sample][output]`) or feature-major
 * (`[output][sample]`, the kernels' layout); `firstSample` offsets the reported sample index.
 */
export function checkFiniteLogits(logits: ArrayLike<number>, outputs: number, batch: number, layout: 'sample-major' | 'feature-major', firstSample = 0): void {
  for (let s = 0; s < batch; s++) {
    for (let o = 0; o < outputs; o++) {
      const v = logits[layout === 'sample-major' ? s * outputs + o : o * batch + s];
      if (!Number.isFinite(v)) throw new NonFiniteOutputError(firstSample + s, o, v);
    }
  }
}
