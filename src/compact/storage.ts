/**
 * Per-layer storage of a format_version 2 file (FORMAT.md, "Version 2"): for each CSR layer, the
 * column indices plain or relative at 4, 5 or 8 bits — `auto` takes whichever makes the layer's
 * stored bytes smallest (Deep Compression chose 5 bits for LeNet's fully connected layers, 4 for
 * its convolutions; Han et al. 2016, §2) — and, with `entropy: 'huffman'`, each stream Huffman-coded
 * where that is smaller.
 */
import type { CompactLayer } from '../sparse/format.js';
import { encodeLayerV2 } from '../sparse/v2/layers.js';
import { type FileStorage, GAP_WIDTHS, type LayerStorage } from '../sparse/v2/storage.js';

export type IndexOption = 'auto' | 'u16' | 'u32' | 'delta:4' | 'delta:5' | 'delta:8';
export const INDEX_OPTIONS: readonly IndexOption[] = ['auto', 'u16', 'u32', 'delta:4', 'delta:5', 'delta:8'];
export type EntropyOption = 'none' | 'huffman';

/** Approximate header bytes of one more tensor entry (name, dtype, shape, offsets). */
const TENSOR_HEADER_BYTES = 80;

function storedBytes(i: number, L: CompactLayer, s: LayerStorage): number {
  const { tensors, bytes } = encodeLayerV2(i, L, s);
  return bytes.weight + bytes.indices + bytes.indptr + bytes.tables + tensors.length * TENSOR_HEADER_BYTES;
}

/** The storage of each layer for `index` and `entropy` (plain indices keep the type the layer was built with). */
export function chooseStorage(layers: CompactLayer[], index: IndexOption, entropy: EntropyOption): FileStorage {
  const chosen = layers.map((L, i): LayerStorage => {
    const plain: LayerStorage = { index: 'plain', gapBits: 0, entropy };
    if (L.layout !== 'csr' || index === 'u16' || index === 'u32') return plain;
    if (index !== 'auto') return { index: 'delta', gapBits: Number(index.slice('delta:'.length)), entropy };
    let best = plain,
      bestBytes = storedBytes(i, L, plain);
    for (const gapBits of GAP_WIDTHS) {
      const s: LayerStorage = { index: 'delta', gapBits, entropy };
      const b = storedBytes(i, L, s);
      if (b < bestBytes) {
        best = s;
        bestBytes = b;
      }
    }
    return best;
  });
  return { version: 2, layers: chosen, bytes: layers.map((L, i) => encodeLayerV2(i, L, chosen[i]).bytes) };
}
