/**
 * Preprocessing fitted on the training split only (fitting on all data would leak the test set):
 * standardisation z = (x − mean) / scale with the population standard deviation
 * scale = sqrt(mean((x − mean)²)), as sklearn's StandardScaler; a constant feature gets scale 1.
 */
import type { Dataset } from './types.js';

export interface Standardizer {
  mean: Float32Array;
  scale: Float32Array;
}

/** Per-feature mean and population std of `train` (accumulated in float64, two passes). */
export function fitStandardizer(train: Dataset): Standardizer {
  const { nSamples: n, nFeatures: k, features: x } = train;
  if (n === 0) throw new RangeError('fitStandardizer: empty training set');
  const sum = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) sum[j] += x[i * k + j];
  const mean = sum.map((s) => s / n);
  const sq = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const d = x[i * k + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const scale = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    const std = Math.sqrt(sq[j] / n);
    // A (numerically) constant feature: dividing by ~0 would blow up rounding noise.
    scale[j] = std > 1e-12 * Math.max(1, Math.abs(mean[j])) ? std : 1;
  }
  return { mean: Float32Array.from(mean), scale };
}

/** (x − mean) / scale for every row of a row-major samples × nFeatures array; returns a new array. */
export function applyStandardizer(features: Float32Array, nFeatures: number, mean: Float32Array, scale: Float32Array): Float32Array {
  if (mean.length !== nFeatures || scale.length !== nFeatures) {
    throw new RangeError(`applyStandardizer: ${nFeatures} features but mean/scale have ${mean.length}/${scale.length}`);
  }
  if (features.length % nFeatures !== 0) throw new RangeError(`applyStandardizer: ${features.length} values is not a multiple of ${nFeatures} features`);
  const out = new Float32Array(features.length);
  for (let i = 0; i < features.length; i += nFeatures) {
    for (let j = 0; j < nFeatures; j++) out[i + j] = (features[i + j] - mean[j]) / scale[j];
  }
  return out;
}

/** Row-major samples × nClasses one-hot targets. */
export function oneHot(labels: Int32Array, nClasses: number): Float32Array {
  const out = new Float32Array(labels.length * nClasses);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!(c >= 0 && c < nClasses)) throw new RangeError(`oneHot: label ${c} of sample ${i} is not in [0, ${nClasses})`);
    out[i * nClasses + c] = 1;
  }
  return out;
}
