/**
 * What a model file holds, per layer and per part: the report behind `prunekit info`,
 * `prunekit compact --json` and the runtime's `model.info()`.
 */
import { INDEX_BYTES } from './csr.js';
import { type CompactModel, denseF32ByteLength, indexTypeOfLayer, nonzerosOf, storedLength, type ValueEncoding } from './format.js';
import type { PartBytes } from './v2/storage.js';

export interface LayerInfo {
  format: 'dense' | 'csr';
  values: ValueEncoding;
  /** CSR column indices: the plain index type, or `delta:B` (relative indices of B bits, format_version 2); null for dense layers. */
  index: 'u8' | 'u16' | 'u32' | `delta:${number}` | null;
  /** 'huffman' when a code or index stream of the layer is Huffman-coded (format_version 2). */
  entropy: 'none' | 'huffman';
  inFeatures: number;
  outFeatures: number;
  activation: string;
  nonzeros: number;
  /** nonzeros / (out × in). */
  density: number;
  /** Bytes of each stored part (the tensors' data, headers excluded); `tables`: Huffman code lengths. */
  bytes: { weight: number; indices: number; indptr: number; codebook: number; tables: number; bias: number; total: number };
}

export interface ModelInfo {
  /** Size of the file. */
  bytes: number;
  /** Size of the same model stored dense with f32 values. */
  dense_bytes: number;
  /** 1, or 2 for packed codes, relative indices and Huffman streams. */
  format_version: 1 | 2;
  layers: LayerInfo[];
  features: number;
  labels: string[];
}

/** Bytes per stored weight value, by encoding (k-means: one code byte in format_version 1; its codebook is counted apart). */
export const VALUE_BYTES: Readonly<Record<ValueEncoding, number>> = { f32: 4, f16: 2, kmeans: 1 };

function partsV1(L: CompactModel['layers'][number]): PartBytes {
  const index = indexTypeOfLayer(L);
  return {
    weight: storedLength(L.values) * VALUE_BYTES[L.values.encoding],
    indices: index ? storedLength(L.values) * INDEX_BYTES[index] : 0,
    indptr: L.layout === 'csr' ? L.indptr.length * 4 : 0,
    codebook: L.values.encoding === 'kmeans' ? L.values.codebook.length * 4 : 0,
    tables: 0,
    bias: L.bias.length * 4,
  };
}

/**
 * `fileBytes`: the size of the file (`encodeModel(m).length`). A version 2 model carries its part
 * sizes in `storage.bytes` (set by the reader and by `compact`), so the runtime that calls this
 * at load needs none of the writer's code.
 */
export function describeModel(m: CompactModel, fileBytes: number): ModelInfo {
  const storage = m.storage;
  const layers = m.layers.map((L, i): LayerInfo => {
    const s = storage?.layers[i];
    const p = !storage ? partsV1(L) : storage.bytes?.[i];
    if (!p) throw new RangeError(`describeModel: layer ${i} of a version 2 model has no stored part sizes (storage.bytes)`);
    const plain = indexTypeOfLayer(L);
    const index = plain && s?.index === 'delta' ? (`delta:${s.gapBits}` as const) : plain;
    const nonzeros = nonzerosOf(L);
    const size = L.outFeatures * L.inFeatures;
    return {
      format: L.layout,
      values: L.values.encoding,
      index,
      entropy: p.tables > 0 ? 'huffman' : 'none',
      inFeatures: L.inFeatures,
      outFeatures: L.outFeatures,
      activation: L.activation,
      nonzeros,
      density: size ? nonzeros / size : 0,
      bytes: { ...p, total: p.weight + p.indices + p.indptr + p.codebook + p.tables + p.bias },
    };
  });
  return {
    bytes: fileBytes,
    dense_bytes: denseF32ByteLength(m),
    format_version: storage ? 2 : 1,
    layers,
    features: m.layers[0].inFeatures,
    labels: m.preprocessing.labelNames,
  };
}
