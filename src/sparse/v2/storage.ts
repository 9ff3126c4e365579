/**
 * How a format_version 2 file stores each layer (FORMAT.md, "Version 2"): k-means codes bit-packed
 * at their width, CSR column indices plain (as in version 1) or relative at 2…8 bits, and each
 * code or gap stream optionally Huffman-coded where that is smaller.
 */

/** One layer's storage choices. */
export interface LayerStorage {
  /** CSR column indices: 'plain' (U8/U16/U32 indices plus a U32 indptr, as in version 1) or 'delta' (relative, `gapBits` bits). Ignored for dense layers. */
  index: 'plain' | 'delta';
  /** Bits per relative index (2…8), 0 for plain indices. */
  gapBits: number;
  /** 'huffman': each k-means code or gap stream is Huffman-coded when that makes it smaller. */
  entropy: 'none' | 'huffman';
}

/** A model's version 2 storage, one entry per layer. */
export interface FileStorage {
  version: 2;
  layers: LayerStorage[];
  /** Each layer's stored part sizes, for `describeModel`: set by the reader and by `compact` (stale if `layers` is edited). */
  bytes?: PartBytes[];
}

/** Bytes of each stored part of a layer (tensor data; headers excluded). */
export interface PartBytes {
  /** Weight values: f32/f16 values or the k-means code stream. */
  weight: number;
  /** Column indices: plain indices or the relative-index stream. */
  indices: number;
  indptr: number;
  codebook: number;
  /** Huffman code-length tables. */
  tables: number;
  bias: number;
}

export const GAP_WIDTHS = [4, 5, 8] as const;
export const MIN_GAP_BITS = 2;
export const MAX_GAP_BITS = 8;

/** Bits per k-means code for a codebook of k entries: ⌈log2 k⌉, at least 1. */
export const codeBits = (k: number) => Math.max(1, Math.ceil(Math.log2(k)));
