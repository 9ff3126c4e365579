/** Tiny models for the prune tests (from a seeded test RNG), and a plain-TS forward pass. */
import type { Layer, MLP } from '../../src/nn/model.js';
import { rng } from './rng.js';

export function tinyModel(sizes: number[], seed = 1, activation: Layer['activation'] = 'relu'): MLP {
  const r = rng(seed);
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push({
      inFeatures: sizes[i],
      outFeatures: sizes[i + 1],
      weight: r.f32(sizes[i] * sizes[i + 1]),
      bias: r.f32(sizes[i + 1], -0.1, 0.1),
      activation: i + 2 === sizes.length ? 'identity' : activation,
    });
  }
  return { layers, preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] }, provenance: {} };
}

/** One layer from explicit rows. */
export function modelFromRows(rows: number[][]): MLP {
  return {
    layers: [
      {
        inFeatures: rows[0].length,
        outFeatures: rows.length,
        weight: Float32Array.from(rows.flat()),
        bias: new Float32Array(rows.length),
        activation: 'identity',
      },
    ],
    preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] },
    provenance: {},
  };
}

/** Plain forward pass in float64, independent of the kernels: y = act(W x + b) layer by layer. */
export function forward(m: MLP, x: number[]): number[] {
  let a = x;
  for (const L of m.layers) {
    const y: number[] = [];
    for (let j = 0; j < L.outFeatures; j++) {
      let z = L.bias[j];
      for (let i = 0; i < L.inFeatures; i++) z += L.weight[j * L.inFeatures + i] * a[i];
      y.push(L.activation === 'relu' ? Math.max(0, z) : L.activation === 'tanh' ? Math.tanh(z) : L.activation === 'logistic' ? 1 / (1 + Math.exp(-z)) : z);
    }
    a = y;
  }
  return a;
}

export function zeros(w: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < w.length; i++) if (w[i] === 0) n++;
  return n;
}
