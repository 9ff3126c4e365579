/**
 * What a model file holds, per layer and per part: the report behind `prunekit info`,
 * `prunekit compact --json` and the runtime's `model.info()`.
 */
import { INDEX_BYTES } from './csr.js';
import { type CompactModel, denseF32ByteLength, encodeModel, indexTypeOfLayer, nonzerosOf, storedLength, type ValueEncoding } from './format.js';

export interface LayerInfo {
  format: 'dense' | 'csr';
  values: ValueEncoding;
  /** CSR column-index type, null for dense layers. */
  index: 'u8' | 'u16' | 'u32' | null;
  inFeatures: number;
  outFeatures: number;
  activation: string;
  nonzeros: number;
  /** nonzeros / (out × in). */
  density: number;
  /** Bytes of each stored part (the tensors' data, headers excluded). */
  bytes: { weight: number; indices: number; indptr: number; codebook: number; bias: number; total: number };
}

export interface ModelInfo {
  /** Size of the file. */
  bytes: number;
  /** Size of the same model stored dense with f32 values. */
  dense_bytes: number;
  layers: LayerInfo[];
  features: number;
  labels: string[];
}

/** Bytes per stored weight value, by encoding (k-means: one code byte; its codebook is counted apart). */
export const VALUE_BYTES: Readonly<Record<ValueEncoding, number>> = { f32: 4, f16: 2, kmeans: 1 };

export function describeModel(m: CompactModel, fileBytes = encodeModel(m).length): ModelInfo {
  const layers = m.layers.map((L): LayerInfo => {
    const index = indexTypeOfLayer(L);
    const weight = storedLength(L.values) * VALUE_BYTES[L.values.encoding];
    const indices = index ? storedLength(L.values) * INDEX_BYTES[index] : 0;
    const indptr = L.layout === 'csr' ? L.indptr.length * 4 : 0;
    const codebook = L.values.encoding === 'kmeans' ? L.values.codebook.length * 4 : 0;
    const bias = L.bias.length * 4;
    const nonzeros = nonzerosOf(L);
    const size = L.outFeatures * L.inFeatures;
    return {
      format: L.layout,
      values: L.values.encoding,
      index,
      inFeatures: L.inFeatures,
      outFeatures: L.outFeatures,
      activation: L.activation,
      nonzeros,
      density: size ? nonzeros / size : 0,
      bytes: { weight, indices, indptr, codebook, bias, total: weight + indices + indptr + codebook + bias },
    };
  });
  return { bytes: fileBytes, dense_bytes: denseF32ByteLength(m), layers, features: m.layers[0].inFeatures, labels: m.preprocessing.labelNames };
}
