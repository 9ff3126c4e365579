/**
 * Where a compact model file's bytes go, for the sweep report: the per-layer part sizes that
 * `prunekit info` prints (`describeModel`, src/sparse/info.ts) summed over the layers, the input
 * standardisation tensors (`preprocessing.mean` and `.scale`, F32), and the rest of the file — the
 * safetensors header (tensor table and metadata JSON) and alignment padding — so the parts add up
 * to the file size exactly.
 *
 * And the "smaller file" of a point: the same pruned model stored with 4-bit k-means codes,
 * relative indices where smaller and Huffman coding (format_version 2), compacted in memory, with
 * the test accuracy it keeps — what the smallest storage would cost.
 */
import { compact } from '../compact/compact.js';
import { compactToMLP } from '../compact/expand.js';
import type { Dataset } from '../data/types.js';
import type { MLP } from '../nn/model.js';
import { evaluate } from '../nn/train.js';
import { type CompactModel, decodeModel, encodeModel } from '../sparse/format.js';
import { describeModel } from '../sparse/info.js';
import type { FileParts, SmallFile } from './report-types.js';

/** The parts of a model file of `fileBytes` bytes holding `m`; they sum to `fileBytes`. */
export function fileParts(m: CompactModel, fileBytes: number): FileParts {
  const { mean, scale } = m.preprocessing;
  const preprocessing = 4 * ((mean?.length ?? 0) + (scale?.length ?? 0));
  const parts: FileParts = { weight: 0, indices: 0, indptr: 0, codebook: 0, tables: 0, bias: 0, preprocessing, header: 0 };
  for (const { bytes: b } of describeModel(m, fileBytes).layers) {
    parts.weight += b.weight;
    parts.indices += b.indices;
    parts.indptr += b.indptr;
    parts.codebook += b.codebook;
    parts.tables += b.tables;
    parts.bias += b.bias;
  }
  parts.header = fileBytes - (parts.weight + parts.indices + parts.indptr + parts.codebook + parts.tables + parts.bias + preprocessing);
  return parts;
}

/** The smallest storage prunekit offers, as `compact` flags: 16 shared values (4-bit codes), relative indices where smaller, Huffman. */
export const SMALL_FILE = { values: 'kmeans', bits: 4, index: 'auto', entropy: 'huffman', formatVersion: 2 } as const;

/** `model` (a pruned MLP) stored as SMALL_FILE, its parts, and its accuracy on `test` as the file decodes. */
export function smallFile(model: MLP, test: Dataset, batchSizes: number[]): SmallFile {
  const bytes = encodeModel(compact(model, { ...SMALL_FILE, batchSizes }).compact);
  const decoded = decodeModel(bytes);
  const flags = `--values kmeans:${SMALL_FILE.bits} --index ${SMALL_FILE.index} --entropy ${SMALL_FILE.entropy}`;
  return { flags, bytes: bytes.length, parts: fileParts(decoded, bytes.length), accuracy: evaluate(compactToMLP(decoded), test).accuracy };
}
