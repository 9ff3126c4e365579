/**
 * The layers of a format_version 2 file (FORMAT.md, "Version 2"), written from and read into the
 * same CompactModel as version 1: the reader decodes packed codes, relative indices and Huffman
 * streams once, into the u8 codes and CSR arrays the runtime uploads to the kernels.
 */
import type { CompactLayer, CompactModel } from '../format.js';
import type { Tensor } from '../../util/safetensors.js';
import { decodeLayerV2, encodeLayerV2, type LayerMetaV2, type Take } from './layers.js';
import type { FileStorage, PartBytes } from './storage.js';

/** The layers' tensors and their version 2 metadata (the model is validated by the caller). */
export function encodeLayersV2(m: CompactModel, storage: FileStorage): { tensors: [string, Tensor][]; meta: LayerMetaV2[]; bytes: PartBytes[] } {
  if (storage.layers.length !== m.layers.length) throw new RangeError(`encode: ${storage.layers.length} layer storages for ${m.layers.length} layers`);
  const tensors: [string, Tensor][] = [],
    meta: LayerMetaV2[] = [],
    bytes: PartBytes[] = [];
  m.layers.forEach((L, i) => {
    const s = storage.layers[i];
    if (L.layout === 'csr' && s.index === 'delta' && !(Number.isInteger(s.gapBits) && s.gapBits >= 2 && s.gapBits <= 8))
      throw new RangeError(`encode: layer ${i}: relative indices need 2…8 bits, got ${s.gapBits}`);
    const r = encodeLayerV2(i, L, s);
    tensors.push(...r.tensors);
    meta.push(r.meta);
    bytes.push(r.bytes);
  });
  return { tensors, meta, bytes };
}

type LayerMetaIn = Parameters<typeof decodeLayerV2>[1];

/** The layers, their storage, and the arrays the decoder built valid by construction (see decodeLayerV2). */
export function decodeLayersV2(layers: LayerMetaIn[], take: Take): { layers: CompactLayer[]; storage: FileStorage; checked: Set<object> } {
  const storage: FileStorage = { version: 2, layers: [], bytes: [] };
  const checked = new Set<object>();
  const decoded = layers.map((lm, i) => {
    const r = decodeLayerV2(i, lm, take);
    storage.layers.push(r.storage);
    storage.bytes!.push(r.bytes);
    for (const a of r.checked) checked.add(a);
    return r.layer;
  });
  return { layers: decoded, storage, checked };
}
