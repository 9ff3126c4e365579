import type { Dataset } from '../../src/data/types.js';
import { rng } from './rng.js';

/** Gaussian blobs: `classes` centres in `features` dimensions, n samples each. */
export function blobs(n: number, features: number, classes: number, seed: number, spread = 0.5): Dataset {
  const r = rng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: features }, () => r.uniform(-2, 2)));
  const N = n * classes;
  const x = new Float32Array(N * features),
    y = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    const c = i % classes;
    y[i] = c;
    for (let f = 0; f < features; f++) x[i * features + f] = centres[c][f] + spread * (r.next() + r.next() + r.next() - 1.5);
  }
  return {
    features: x,
    labels: y,
    nSamples: N,
    nFeatures: features,
    featureNames: [],
    labelNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    source: 'blobs',
  };
}
