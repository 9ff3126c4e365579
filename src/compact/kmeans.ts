/**
 * Weight sharing by 1-D k-means (Deep Compression, Han, Mao & Dally, ICLR 2016, §3): the values
 * of one layer are replaced by the nearest of ≤ k = 2^bits shared centroids and stored as u8 codes
 * plus a codebook. Centroids start linearly spaced over [min, max] (the paper's best init: it
 * keeps the rare large weights), then Lloyd iterations. In 1-D the nearest centroid is found by
 * binary search over the sorted centroids' midpoints.
 * Values that already take ≤ k distinct values (a model fine-tuned by finetune.ts) get exactly
 * those values as their codebook: no further loss. The centroid fine-tuning itself is finetune.ts.
 */
export interface Codebook {
  codebook: Float32Array;
  codes: Uint8Array;
}

/**
 * The midpoints (c[j] + c[j+1]) / 2 between neighbouring centroids of `c` (sorted ascending) into
 * `m`, whose length is a power of two ≥ c.length (not c.length − 1: the search below must be able
 * to end at index c.length − 1): the entries past the last midpoint stay +∞, below no x.
 */
function midpoints(c: Float64Array, m: Float64Array): Float64Array {
  for (let j = 0; j + 1 < c.length; j++) m[j] = (c[j] + c[j + 1]) / 2;
  return m;
}

/**
 * Index of the nearest centroid: how many midpoints lie below x (ties go to the lower centroid;
 * NaN to 0). A binary search over `m` (midpoints(), a power of two long) with the step taken by
 * arithmetic, not a branch: which way each step goes is a coin toss for the CPU's predictor, and
 * the mispredictions cost more than the search (1.3–1.8× faster, BENCHMARKS.md).
 */
function nearest(m: Float64Array, x: number): number {
  let a = 0;
  // -(true) is -1, all bits set, so h & -1 = h; -(false) is -0, and h & -0 = 0
  for (let h = m.length >> 1; h > 0; h >>= 1) a += h & -(x > m[a + h - 1]);
  return a;
}

/**
 * How many distinct values `a` holds (as a Set counts them), counted only up to `limit` + 1 (one
 * more than the codebook can hold): past that the exact count does not matter.
 */
function distinctUpTo(a: Float32Array, limit: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < a.length && seen.size <= limit; i++) seen.add(a[i]);
  return seen.size;
}

/** The sorted distinct values of `pool` as the codebook (code 0 = exactly 0 when `fixedZero`). */
function exactCodebook(values: Float32Array, pool: Float32Array, fixedZero: boolean): Codebook {
  const off = fixedZero ? 1 : 0;
  const distinct = Float32Array.from(new Set(pool)).sort();
  const codebook = new Float32Array(distinct.length + off);
  codebook.set(distinct, off);
  const code = new Map(Array.from(distinct, (v, i) => [v, i + off]));
  const codes = Uint8Array.from(values, (v) => (fixedZero && v === 0 ? 0 : code.get(v)!));
  return { codebook, codes };
}

/**
 * Clusters `values` into ≤ 2^bits centroids (fewer when there are fewer distinct values).
 * `fixedZero`: reserve code 0 for exactly 0 and cluster only the nonzeros (dense layers with
 * pruned weights, so that pruned stays pruned).
 */
export function kmeansQuantize(values: Float32Array, bits: number, opts: { fixedZero?: boolean; iterations?: number } = {}): Codebook {
  if (!Number.isInteger(bits) || bits < 1 || bits > 8) throw new RangeError(`kmeans: bits must be 1…8 (u8 codes), got ${bits}`);
  const fixedZero = opts.fixedZero ?? false;
  const pool = fixedZero ? values.filter((v) => v !== 0) : values;
  const most = (1 << bits) - (fixedZero ? 1 : 0);
  const distinct = distinctUpTo(pool, most);
  const k = Math.max(1, Math.min(most, distinct));
  if (distinct === k && k > 0) return exactCodebook(values, pool, fixedZero);
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
    count = new Float64Array(k),
    m = new Float64Array(2 ** Math.ceil(Math.log2(k))).fill(Infinity);
  for (let it = 0; it < (opts.iterations ?? 50); it++) {
    let moved = false;
    sum.fill(0);
    count.fill(0);
    midpoints(c, m);
    for (let i = 0; i < pool.length; i++) {
      const a = nearest(m, pool[i]);
      if (a !== assign[i]) {
        moved = true;
        assign[i] = a;
      }
      sum[a] += pool[i];
      count[a]++;
    }
    for (let j = 0; j < k; j++) if (count[j]) c[j] = sum[j] / count[j]; // empty cluster: keep its centroid
    c.sort(); // means of ordered 1-D clusters stay ordered; sort guards against ties
    if (!moved && it > 0) break;
  }
  const off = fixedZero ? 1 : 0;
  const codebook = new Float32Array(k + off);
  codebook.set(c, off);
  const codes = new Uint8Array(values.length);
  midpoints(c, m);
  for (let i = 0; i < values.length; i++) {
    codes[i] = fixedZero && values[i] === 0 ? 0 : nearest(m, values[i]) + off;
  }
  return { codebook, codes };
}
