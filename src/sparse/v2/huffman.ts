/**
 * Canonical Huffman codes (Huffman 1952; canonical form as in DEFLATE, RFC 1951 §3.2.2), the
 * entropy coding step of Deep Compression (Han et al. 2016, §4). A code is given by its table of
 * code lengths, one per symbol (0 = unused): codes are assigned in order of (length, symbol).
 * A code's bits are written most significant first into the LSB-first bit stream of bits.ts.
 *
 * A table is accepted only when it is complete (Kraft: Σ 2^−length = 1 over the used symbols,
 * at least two of them) and no length exceeds MAX_CODE_LENGTH: every bit string then decodes.
 */
import { FormatError } from '../../util/safetensors.js';
import { BitReader, BitWriter } from './bits.js';

export const MAX_CODE_LENGTH = 15;
/** The writer's limit: a reader's decode table has 2^length entries, so shorter codes load faster (and cost < 1% in size). */
export const WRITE_CODE_LENGTH = 11;

/** Huffman code lengths for symbol frequencies, at most `maxLength` bits (frequencies flattened until they fit). */
export function huffmanLengths(freqs: ArrayLike<number>, maxLength = WRITE_CODE_LENGTH): Uint8Array {
  const n = freqs.length;
  if (n < 2) throw new RangeError(`huffman: an alphabet needs at least 2 symbols, got ${n}`);
  let f = Array.from(freqs, (x) => x);
  for (;;) {
    const lengths = treeLengths(f);
    if (Math.max(...lengths) <= maxLength) return lengths;
    f = f.map((x) => (x ? Math.max(1, x >>> 1) : 0)); // flatter frequencies give a shallower tree
  }
}

/** Lengths of an optimal prefix code by the classic merge of the two lightest trees (ties by lowest symbol). */
function treeLengths(freqs: number[]): Uint8Array {
  const lengths = new Uint8Array(freqs.length);
  const used = freqs.map((f, s) => (f > 0 ? s : -1)).filter((s) => s >= 0);
  // One used symbol (or none) still needs a complete code: give it, and the next symbol, 1 bit.
  if (used.length < 2) {
    const a = used[0] ?? 0;
    lengths[a] = 1;
    lengths[a === 0 ? 1 : 0] = 1;
    return lengths;
  }
  let trees = used.map((s) => ({ weight: freqs[s], symbols: [s], order: s }));
  while (trees.length > 1) {
    trees.sort((x, y) => x.weight - y.weight || x.order - y.order);
    const [a, b] = trees;
    for (const s of [...a.symbols, ...b.symbols]) lengths[s]++;
    trees = [{ weight: a.weight + b.weight, symbols: [...a.symbols, ...b.symbols], order: Math.min(a.order, b.order) }, ...trees.slice(2)];
  }
  return lengths;
}

/** Canonical codes from lengths (RFC 1951 §3.2.2): shorter codes first, then by symbol. */
export function canonicalCodes(lengths: ArrayLike<number>): Uint32Array {
  const count = new Uint32Array(MAX_CODE_LENGTH + 2);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) count[lengths[s]]++;
  const next = new Uint32Array(MAX_CODE_LENGTH + 2);
  let code = 0;
  for (let len = 1; len <= MAX_CODE_LENGTH + 1; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  const codes = new Uint32Array(lengths.length);
  for (let s = 0; s < lengths.length; s++) if (lengths[s]) codes[s] = next[lengths[s]]++;
  return codes;
}

export function huffmanEncode(symbols: ArrayLike<number>, lengths: Uint8Array): Uint8Array {
  const codes = canonicalCodes(lengths);
  const w = new BitWriter();
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i],
      len = lengths[s];
    if (!len) throw new RangeError(`huffman: symbol ${s} has no code`);
    for (let b = len - 1; b >= 0; b--) w.bit((codes[s] >>> b) & 1);
  }
  return w.finish();
}

/** Bits the symbols take with these code lengths. */
export function huffmanBits(freqs: ArrayLike<number>, lengths: ArrayLike<number>): number {
  let bits = 0;
  for (let s = 0; s < freqs.length; s++) bits += freqs[s] * lengths[s];
  return bits;
}

/** Checks a code-length table: lengths ≤ MAX_CODE_LENGTH, at least two codes, Kraft sum exactly 1. */
export function checkLengths(lengths: Uint8Array, name: string): void {
  let kraft = 0,
    used = 0;
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (len > MAX_CODE_LENGTH) throw new FormatError(`model file: ${name}[${s}] = ${len}, expected a code length ≤ ${MAX_CODE_LENGTH}`);
    if (len) {
      kraft += 2 ** (MAX_CODE_LENGTH - len);
      used++;
    }
  }
  if (used < 2 || kraft !== 2 ** MAX_CODE_LENGTH) {
    throw new FormatError(
      `model file: ${name} is not a complete prefix code (${used} codes, Kraft sum ${kraft / 2 ** MAX_CODE_LENGTH}, expected ≥ 2 codes and a sum of 1)`,
    );
  }
}

let decodeTable = new Uint32Array(1 << WRITE_CODE_LENGTH);

/**
 * Decodes exactly `count` symbols; the stream must end there (zero padding only). `count` must not
 * exceed the stream's bits (every symbol costs at least one bit), checked before allocating.
 *
 * Table-driven (as zlib's inflate): with L the longest code, the next L bits of the stream, read
 * least significant first, index a table of 2^L entries — a complete code fills every entry. A
 * code is written most significant bit first, so a code c of length l owns the entries whose low
 * l bits are c reversed. Each entry also holds the next symbol when its code fits in the L − l
 * bits left (two symbols per lookup for short codes, which halves the work at load).
 */
export function huffmanDecode(bytes: Uint8Array, lengths: Uint8Array, count: number, name: string): Uint8Array {
  checkLengths(lengths, `${name}.lengths`);
  const total = bytes.length * 8;
  if (count > total) throw new FormatError(`model file: ${name} declares ${count} symbols but has only ${total} bits`);
  const codes = canonicalCodes(lengths);
  let L = 0;
  for (const len of lengths) L = Math.max(L, len);
  const size = 1 << L,
    mask = size - 1;
  // entry: first symbol | second symbol << 8 | first length << 16 | second length << 20 (0: none).
  // A complete code writes every entry, so one scratch table serves every stream.
  const table = decodeTable.length >= size ? decodeTable : (decodeTable = new Uint32Array(size));
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (!len) continue;
    let rev = 0;
    for (let b = 0; b < len; b++) rev |= ((codes[s] >>> b) & 1) << (len - 1 - b);
    for (let j = rev; j < size; j += 1 << len) table[j] = s | (len << 16);
  }
  // Pairs pay for their pass over the table only when the stream has more symbols than the table entries.
  if (count >= size) {
    for (let j = 0; j < size; j++) {
      const l1 = (table[j] >>> 16) & 15,
        b = table[j >>> l1],
        l2 = (b >>> 16) & 15;
      if (l1 + l2 <= L) table[j] |= ((b & 255) << 8) | (l2 << 20);
    }
  }
  const out = new Uint8Array(count);
  // Zeros past the end: the last codes may need fewer than L bits.
  const padded = new Uint8Array(bytes.length + 6);
  padded.set(bytes);
  let acc = 0,
    have = 0,
    next = 0,
    used = 0,
    i = 0;
  while (i < count) {
    if (have < 16) {
      acc |= (padded[next] | (padded[next + 1] << 8)) << have;
      next += 2;
      have += 16;
    } // ≥ L ≤ 15 bits available
    const e = table[acc & mask];
    let len = (e >>> 16) & 15;
    out[i++] = e & 255;
    const len2 = e >>> 20;
    if (len2 && i < count) {
      out[i++] = (e >>> 8) & 255;
      len += len2;
    }
    acc >>>= len;
    have -= len;
    used += len;
  }
  // (a stream that ends early read zeros past its end — reads past `padded` give 0 too — and is refused here)
  if (used > total) throw new FormatError(`model file: ${name} ends early (after ${bytes.length} bytes)`);
  const r = new BitReader(bytes, name);
  r.pos = used;
  r.expectEnd();
  return out;
}
