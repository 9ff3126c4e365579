/**
 * A compact model as a plain MLP (dense f32 weights: f16 and k-means values decoded, CSR layers
 * densified), so `evaluate` measures a compact file's accuracy exactly as a training file's.
 */
import type { MLP } from '../nn/model.js';
import { type CompactModel, denseWeight } from '../sparse/format.js';

export function compactToMLP(c: CompactModel): MLP {
  return {
    layers: c.layers.map((L) => ({
      inFeatures: L.inFeatures,
      outFeatures: L.outFeatures,
      activation: L.activation,
      weight: denseWeight(L),
      bias: Float32Array.from(L.bias),
    })),
    preprocessing: { ...c.preprocessing, featureNames: [...c.preprocessing.featureNames], labelNames: [...c.preprocessing.labelNames] },
    provenance: c.provenance,
  };
}
