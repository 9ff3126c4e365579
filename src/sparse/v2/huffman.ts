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

/** Huffman code lengths for symbol frequencies, at most `maxLength` bits (frequencies flattened until they fit). */
export function huffmanLengths(freqs: ArrayLike<number>, maxLength = MAX_CODE_LENGTH): Uint8Array {
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
    const s = symbols[i], len = lengths[s];
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
  let kraft = 0, used = 0;
  for (let s = 0; s < lengths.length; s++) {
    const len = lengths[s];
    if (len > MAX_CODE_LENGTH) throw new FormatError(`model file: ${name}[${s}] = ${len}, expected a code length ≤ ${MAX_CODE_LENGTH}`);
    if (len) { kraft += 2 ** (MAX_CODE_LENGTH - len); used++; }
  }
  if (used < 2 || kraft !== 2 ** MAX_CODE_LENGTH) {
    throw new FormatError(`model file: ${name} is not a complete prefix code (${used} codes, Kraft sum ${kraft / 2 ** MAX_CODE_LENGTH}, expected ≥ 2 codes and a sum of 1)`);
  }
}

/**
 * Decodes exactly `count` symbols; the stream must end there (zero padding only). `count` must
 * already be bounded by the caller (every symbol costs at least one bit: count ≤ 8 × bytes).
 */
export function huffmanDecode(bytes: Uint8Array, lengths: Uint8Array, count: number, name: string): Uint8Array {
  checkLengths(lengths, `${name}.lengths`);
  if (count > bytes.length * 8) throw new FormatError(`model file: ${name} declares ${count} symbols but has only ${bytes.length * 8} bits`);
  // Symbols sorted by (length, symbol), and how many codes each length has (puff.c's decode tables).
  const perLength = new Uint16Array(MAX_CODE_LENGTH + 1);
  for (const len of lengths) if (len) perLength[len]++;
  const sorted: number[] = [];
  for (let len = 1; len <= MAX_CODE_LENGTH; len++) for (let s = 0; s < lengths.length; s++) if (lengths[s] === len) sorted.push(s);
  const r = new BitReader(bytes, name);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    // Canonical decoding: at each length, codes of that length are first … first + n − 1.
    let code = 0, first = 0, index = 0;
    for (let len = 1; ; len++) {
      code |= r.bit();
      const n = perLength[len];
      if (code - first < n) { out[i] = sorted[index + code - first]; break; }
      index += n;
      first = (first + n) << 1;
      code <<= 1;
    }
  }
  r.expectEnd();
  return out;
}
