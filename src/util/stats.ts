/** Small statistics shared by every layer. */

/** The median of a non-empty list: the middle value, or the mean of the two middle values for even lengths. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** How many entries are not 0 (kept mask entries, nonzero weights). */
export function countNonzero(xs: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < xs.length; i++) if (xs[i] !== 0) n++;
  return n;
}

/**
 * Largest and smallest value of a typed array of numbers (NaN-free; -Infinity / +Infinity when
 * empty), found by Math.max / Math.min over chunks of the array: native scans. A model is checked
 * once, cold, and a plain loop over 27k values then runs in V8's interpreter, 10–20× slower.
 */
export function maxOf(a: TypedNumbers): number {
  let m = -Infinity;
  for (let i = 0; i < a.length; i += SCAN_CHUNK) m = Math.max(m, Math.max.apply(null, a.subarray(i, i + SCAN_CHUNK) as unknown as number[]));
  return m;
}
export function minOf(a: TypedNumbers): number {
  let m = Infinity;
  for (let i = 0; i < a.length; i += SCAN_CHUNK) m = Math.min(m, Math.min.apply(null, a.subarray(i, i + SCAN_CHUNK) as unknown as number[]));
  return m;
}
type TypedNumbers = Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;
/** Arguments per Math.max call: far below any engine's limit on an argument list. */
const SCAN_CHUNK = 8192;
