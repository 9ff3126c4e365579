/** Selecting samples of a Dataset by index (a copy; the source is unchanged). */
import type { Dataset } from './types.js';

export function subset(ds: Dataset, indices: ArrayLike<number>): Dataset {
  const k = ds.nFeatures;
  const n = indices.length;
  const features = new Float32Array(n * k);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = indices[i];
    if (!(s >= 0 && s < ds.nSamples)) throw new RangeError(`subset: sample index ${s} out of range [0, ${ds.nSamples})`);
    features.set(ds.features.subarray(s * k, (s + 1) * k), i * k);
    labels[i] = ds.labels[s];
  }
  return { ...ds, features, labels, nSamples: n, featureNames: ds.featureNames.slice(), labelNames: ds.labelNames.slice() };
}
