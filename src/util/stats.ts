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
