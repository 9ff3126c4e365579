/**
 * One layer's tensors in a format_version 2 file, both ways. Writing chooses, per stream, packed
 * or Huffman (when asked for and smaller); reading checks every stream — lengths, code-length
 * tables, symbol counts, positions — before anything is allocated from the counts the file declares.
 */
import { type CsrIndices, INDEX_BYTES, indexTypeOf } from '../csr.js';
import type { CompactLayer, StoredValues } from '../format.js';
import { FormatError, type Tensor } from '../../util/safetensors.js';
import { packBits, unpackBits } from './bits.js';
import { decodeGaps, encodeGaps } from './gaps.js';
import { huffmanBits, huffmanDecode, huffmanEncode, huffmanLengths } from './huffman.js';
import { codeBits, type LayerStorage, MAX_GAP_BITS, MIN_GAP_BITS, type PartBytes } from './storage.js';

type StreamKind = 'packed' | 'huffman';
interface Stream {
  kind: StreamKind;
  bytes: Uint8Array;
  lengths: Uint8Array | null;
}

/** How often each of the 2^width symbols occurs. */
function symbolCounts(symbols: Uint8Array, width: number): Float64Array {
  const freqs = new Float64Array(2 ** width);
  for (let i = 0; i < symbols.length; i++) freqs[symbols[i]]++;
  return freqs;
}

/**
 * Symbols of `width` bits as a packed stream, or Huffman-coded when `entropy` asks and it is smaller
 * (its table counted). The loops live in the helpers: a loop here made V8 compile this function
 * on the stack (OSR) with every helper inlined, and throw that away again at nearly every call.
 */
export function encodeStream(symbols: Uint8Array, width: number, entropy: LayerStorage['entropy']): Stream {
  const packed: Stream = { kind: 'packed', bytes: packBits(symbols, width), lengths: null };
  if (entropy !== 'huffman') return packed;
  const freqs = symbolCounts(symbols, width);
  const lengths = huffmanLengths(freqs);
  if (Math.ceil(huffmanBits(freqs, lengths) / 8) + lengths.length >= packed.bytes.length) return packed;
  return { kind: 'huffman', bytes: huffmanEncode(symbols, lengths), lengths };
}

/** The version 2 metadata of one layer, beside version 1's activation, layout, shape and values. */
export interface LayerMetaV2 {
  /** CSR: the number of nonzeros. */
  nnz?: number;
  /** k-means: bits per code, and how the code stream is stored. */
  bits?: number;
  codes?: StreamKind;
  /** CSR: 'plain' or 'delta'; delta: bits per field, the number of fields (nonzeros + fillers), their stream. */
  index?: 'plain' | 'delta';
  gapBits?: number;
  gapFields?: number;
  gaps?: StreamKind;
}

const indexDtype = (ix: CsrIndices): Tensor['dtype'] => (ix instanceof Uint8Array ? 'U8' : ix instanceof Uint16Array ? 'U16' : 'U32');

/** The tensors, metadata and part sizes of layer `i`. */
export function encodeLayerV2(i: number, L: CompactLayer, s: LayerStorage): { tensors: [string, Tensor][]; meta: LayerMetaV2; bytes: PartBytes } {
  const w = `layers.${i}.weight`;
  const tensors: [string, Tensor][] = [];
  const meta: LayerMetaV2 = {};
  const bytes: PartBytes = { weight: 0, indices: 0, indptr: 0, codebook: 0, tables: 0, bias: L.bias.length * 4 };
  const addStream = (name: string, st: Stream) => {
    tensors.push([name, { dtype: 'U8', shape: [st.bytes.length], data: st.bytes }]);
    if (st.lengths) tensors.push([`${name}.lengths`, { dtype: 'U8', shape: [st.lengths.length], data: st.lengths }]);
    bytes.tables += st.lengths?.length ?? 0;
    return st.bytes.length;
  };
  const v = L.values;
  const valueName = L.layout === 'dense' ? w : `${w}.data`;
  const shape = L.layout === 'dense' ? [L.outFeatures, L.inFeatures] : [L.indices.length];
  if (v.encoding === 'f32') {
    tensors.push([valueName, { dtype: 'F32', shape, data: v.values }]);
    bytes.weight = v.values.length * 4;
  } else if (v.encoding === 'f16') {
    tensors.push([valueName, { dtype: 'F16', shape, data: v.bits }]);
    bytes.weight = v.bits.length * 2;
  } else {
    meta.bits = codeBits(v.codebook.length);
    const st = encodeStream(v.codes, meta.bits, s.entropy);
    meta.codes = st.kind;
    bytes.weight = addStream(`${w}.codes`, st);
    tensors.push([`${w}.codebook`, { dtype: 'F32', shape: [v.codebook.length], data: v.codebook }]);
    bytes.codebook = v.codebook.length * 4;
  }
  if (L.layout === 'csr') {
    meta.nnz = L.indices.length;
    meta.index = s.index;
    if (s.index === 'plain') {
      tensors.push([`${w}.indices`, { dtype: indexDtype(L.indices), shape: [L.indices.length], data: L.indices }]);
      tensors.push([`${w}.indptr`, { dtype: 'U32', shape: [L.indptr.length], data: L.indptr }]);
      bytes.indices = L.indices.length * INDEX_BYTES[indexTypeOf(L.indices)];
      bytes.indptr = L.indptr.length * 4;
    } else {
      const fields = encodeGaps(L.indices, L.indptr, L.inFeatures, s.gapBits);
      const st = encodeStream(fields, s.gapBits, s.entropy);
      Object.assign(meta, { gapBits: s.gapBits, gapFields: fields.length, gaps: st.kind });
      bytes.indices = addStream(`${w}.gaps`, st);
    }
  }
  tensors.push([`layers.${i}.bias`, { dtype: 'F32', shape: [L.outFeatures], data: L.bias }]);
  return { tensors, meta, bytes };
}

/** Reads a tensor, checking dtype and shape (−1: any length); marks it used. */
export type Take = (name: string, dtypes: Tensor['dtype'][], shape: number[]) => Tensor['data'];

const fail = (msg: string): never => {
  throw new FormatError(msg);
};
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function checkLayerMeta(m: Record<string, unknown>, layout: string, values: string, where: string): LayerMetaV2 {
  const kind = (k: string) => {
    if (m[k] !== 'packed' && m[k] !== 'huffman') fail(`${where}: ${k} must be "packed" or "huffman", got ${JSON.stringify(m[k])}`);
  };
  if (values === 'kmeans') {
    if (!Number.isInteger(m.bits) || (m.bits as number) < 1 || (m.bits as number) > 8)
      fail(`${where}: bits must be an integer 1…8, got ${JSON.stringify(m.bits)}`);
    kind('codes');
  }
  if (layout === 'csr') {
    if (!isCount(m.nnz)) fail(`${where}: nnz must be a whole number, got ${JSON.stringify(m.nnz)}`);
    if (m.index !== 'plain' && m.index !== 'delta') fail(`${where}: index must be "plain" or "delta", got ${JSON.stringify(m.index)}`);
    if (m.index === 'delta') {
      if (!Number.isInteger(m.gapBits) || (m.gapBits as number) < MIN_GAP_BITS || (m.gapBits as number) > MAX_GAP_BITS)
        fail(`${where}: gapBits must be an integer ${MIN_GAP_BITS}…${MAX_GAP_BITS}, got ${JSON.stringify(m.gapBits)}`);
      if (!isCount(m.gapFields)) fail(`${where}: gapFields must be a whole number, got ${JSON.stringify(m.gapFields)}`);
      kind('gaps');
    }
  }
  return m as LayerMetaV2;
}

/**
 * A stream of `count` symbols of `width` bits, checked (a count the stream cannot hold is refused
 * before allocating), and `alphabet`: every symbol is below it — 2^width for a packed stream, one
 * past the highest symbol with a code for a Huffman stream.
 */
function readStream(take: Take, name: string, kind: StreamKind, width: number, count: number): { symbols: Uint8Array; alphabet: number } {
  const bytes = take(name, ['U8'], [-1]) as Uint8Array;
  if (kind === 'packed') return { symbols: unpackBits(bytes, width, count, name), alphabet: 2 ** width };
  const lengths = take(`${name}.lengths`, ['U8'], [2 ** width]) as Uint8Array;
  const symbols = huffmanDecode(bytes, lengths, count, name);
  let alphabet = lengths.length;
  while (alphabet > 0 && lengths[alphabet - 1] === 0) alphabet--;
  return { symbols, alphabet };
}

/**
 * Layer `i` of a version 2 file as the kernels' arrays (CSR indices and indptr, u8 codes), with the
 * stored size of each part. The caller validates the returned layer as for version 1 (codes < k,
 * finite values, CSR structure) — except for the arrays in `checked`, valid by construction:
 * indices (with their indptr) that decodeGaps built from relative indices, checking every position
 * (inside the matrix, exactly nnz nonzeros), and codes whose stream cannot hold a code ≥ the
 * codebook length (its alphabet is no larger than the codebook).
 */
export function decodeLayerV2(
  i: number,
  lm: { activation: CompactLayer['activation']; layout: 'dense' | 'csr'; shape: [number, number]; values: StoredValues['encoding'] },
  take: Take,
): { layer: CompactLayer; storage: LayerStorage; bytes: PartBytes; checked: object[] } {
  const where = `model file: layer ${i}`;
  const m = checkLayerMeta(lm as unknown as Record<string, unknown>, lm.layout, lm.values, where);
  const [out, inn] = lm.shape;
  const w = `layers.${i}.weight`;
  const bias = take(`layers.${i}.bias`, ['F32'], [out]) as Float32Array;
  const bytes: PartBytes = { weight: 0, indices: 0, indptr: 0, codebook: 0, tables: 0, bias: bias.length * 4 };
  const storage: LayerStorage = { index: 'plain', gapBits: 0, entropy: 'none' };
  const checked: object[] = [];
  const huffman = (kind: StreamKind | undefined, name: string) => {
    if (kind === 'huffman') {
      storage.entropy = 'huffman';
      bytes.tables += 2 ** (name === 'codes' ? m.bits! : m.gapBits!);
    }
  };
  const readValues = (count: number, shape: number[]): StoredValues => {
    const name = lm.layout === 'dense' ? w : `${w}.data`;
    if (lm.values === 'f32') {
      const values = take(name, ['F32'], shape) as Float32Array;
      bytes.weight = values.length * 4;
      return { encoding: 'f32', values };
    }
    if (lm.values === 'f16') {
      const b = take(name, ['F16'], shape) as Uint16Array;
      bytes.weight = b.length * 2;
      return { encoding: 'f16', bits: b };
    }
    const codebook = take(`${w}.codebook`, ['F32'], [-1]) as Float32Array;
    if (codebook.length > 2 ** m.bits!) fail(`${where}: a codebook of ${codebook.length} entries does not fit ${m.bits}-bit codes`);
    const { symbols: codes, alphabet } = readStream(take, `${w}.codes`, m.codes!, m.bits!, count);
    if (alphabet <= codebook.length) checked.push(codes);
    bytes.weight = (take(`${w}.codes`, ['U8'], [-1]) as Uint8Array).length;
    bytes.codebook = codebook.length * 4;
    huffman(m.codes, 'codes');
    return { encoding: 'kmeans', codes, codebook };
  };
  const common = { inFeatures: inn, outFeatures: out, activation: lm.activation, bias };
  if (lm.layout === 'dense') {
    const values = readValues(out * inn, [out, inn]);
    return { layer: { ...common, layout: 'dense', values }, storage, bytes, checked };
  }
  const nnz = m.nnz!;
  let indices: CsrIndices, indptr: Uint32Array;
  if (m.index === 'plain') {
    indptr = take(`${w}.indptr`, ['U32'], [out + 1]) as Uint32Array;
    indices = take(`${w}.indices`, ['U8', 'U16', 'U32'], [nnz]) as CsrIndices;
    bytes.indices = indices.byteLength;
    bytes.indptr = indptr.byteLength;
  } else {
    storage.index = 'delta';
    storage.gapBits = m.gapBits!;
    if (nnz > m.gapFields!) fail(`${where}: ${nnz} nonzeros need at least as many gap fields, got ${m.gapFields}`);
    const fields = readStream(take, `${w}.gaps`, m.gaps!, m.gapBits!, m.gapFields!).symbols;
    bytes.indices = (take(`${w}.gaps`, ['U8'], [-1]) as Uint8Array).length;
    huffman(m.gaps, 'gaps');
    ({ indices, indptr } = decodeGaps(fields, m.gapBits!, out, inn, nnz, `${w}.gaps`));
    checked.push(indices);
  }
  const values = readValues(nnz, [nnz]);
  return { layer: { ...common, layout: 'csr', indices, indptr, values }, storage, bytes, checked };
}
