/**
 * The plain k-means of src/compact/kmeans.ts, as first written: the distinct values counted by a
 * Set of all of them, and the nearest centroid by an ordinary binary search over the centroids'
 * midpoints. The library's version counts and searches faster; its codebooks and codes must be
 * these, bit for bit.
 */
function nearest(c: Float64Array, x: number): number {
  let lo = 0,
    hi = c.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x > (c[mid] + c[mid + 1]) / 2) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function kmeansReference(values: Float32Array, bits: number, fixedZero: boolean): { codebook: Float32Array; codes: Uint8Array } {
  const off = fixedZero ? 1 : 0;
  const pool = fixedZero ? values.filter((v) => v !== 0) : values;
  const distinct = new Set(pool).size;
  const k = Math.max(1, Math.min((1 << bits) - off, distinct));
  if (distinct === k && k > 0) {
    const sorted = Float32Array.from(new Set(pool)).sort();
    const codebook = new Float32Array(sorted.length + off);
    codebook.set(sorted, off);
    const code = new Map(Array.from(sorted, (v, i) => [v, i + off]));
    return { codebook, codes: Uint8Array.from(values, (v) => (fixedZero && v === 0 ? 0 : code.get(v)!)) };
  }
  let lo = Infinity,
    hi = -Infinity;
  for (const v of pool) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!pool.length) lo = hi = 0;
  const c = new Float64Array(k);
  for (let i = 0; i < k; i++) c[i] = k === 1 ? (lo + hi) / 2 : lo + ((hi - lo) * i) / (k - 1);
  const assign = new Uint8Array(pool.length);
  const sum = new Float64Array(k),
    count = new Float64Array(k);
  for (let it = 0; it < 50; it++) {
    let moved = false;
    sum.fill(0);
    count.fill(0);
    for (let i = 0; i < pool.length; i++) {
      const a = nearest(c, pool[i]);
      if (a !== assign[i]) {
        moved = true;
        assign[i] = a;
      }
      sum[a] += pool[i];
      count[a]++;
    }
    for (let j = 0; j < k; j++) if (count[j]) c[j] = sum[j] / count[j];
    c.sort();
    if (!moved && it > 0) break;
  }
  const codebook = new Float32Array(k + off);
  codebook.set(c, off);
  const codes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = fixedZero && values[i] === 0 ? 0 : nearest(c, values[i]) + off;
  return { codebook, codes };
}
