/**
 * Selection without sorting: the k-th smallest of n values in expected O(n) time.
 *
 * Floyd & Rivest (1975), "Algorithm 489: SELECT" (CACM 18(3)): partition around a pivot chosen
 * from a recursively selected sample, so the k-th element lands in a small window after one pass.
 * This is the variant used by the `quickselect` npm package (V. Agafonkin). It reorders `a` in
 * place; callers pass a copy.
 */

/** Reorders `a` so that a[k] is the k-th smallest (0-based), a[i] ≤ a[k] for i < k, a[i] ≥ a[k] for i > k. */
export function floydRivestSelect(a: Float64Array, k: number, left = 0, right = a.length - 1): void {
  while (right > left) {
    if (right - left > 600) {
      // Recurse on a sample window that contains the k-th element with high probability.
      const n = right - left + 1;
      const m = k - left + 1;
      const z = Math.log(n);
      const s = 0.5 * Math.exp((2 * z) / 3);
      const sd = 0.5 * Math.sqrt((z * s * (n - s)) / n) * (m - n / 2 < 0 ? -1 : 1);
      const newLeft = Math.max(left, Math.floor(k - (m * s) / n + sd));
      const newRight = Math.min(right, Math.floor(k + ((n - m) * s) / n + sd));
      floydRivestSelect(a, k, newLeft, newRight);
    }
    const t = a[k];
    let i = left;
    let j = right;
    swap(a, left, k);
    if (a[right] > t) swap(a, left, right);
    while (i < j) {
      swap(a, i, j);
      i++;
      j--;
      while (a[i] < t) i++;
      while (a[j] > t) j--;
    }
    if (a[left] === t) swap(a, left, j);
    else {
      j++;
      swap(a, j, right);
    }
    if (j <= k) left = j + 1;
    if (k <= j) right = j - 1;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/** The k-th smallest value (0-based) of `values`; `values` is not modified. Values must not be NaN. */
export function kthSmallest(values: ArrayLike<number>, k: number): number {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k >= n) throw new RangeError(`kthSmallest: k=${k} outside [0, ${n - 1}]`);
  const a = Float64Array.from(values);
  floydRivestSelect(a, k);
  return a[k];
}

/** Minimum of a[from..] (used after a selection, where everything past k is ≥ a[k]). */
function minFrom(a: Float64Array, from: number): number {
  let m = Infinity;
  for (let i = from; i < a.length; i++) if (a[i] < m) m = a[i];
  return m;
}

/**
 * The p-th percentile (p in [0, 100]) with NumPy's default method ('linear', Hyndman & Fan type 7):
 * sort the n values v₀ ≤ … ≤ v_{n−1}, h = (n − 1)·p/100, lo = ⌊h⌋, and
 *   percentile = v_lo + (h − lo)·(v_{lo+1} − v_lo).
 * Computed with one selection (v_lo) plus a linear scan for v_{lo+1}, not a sort.
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) throw new RangeError('percentile: no values');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be in [0, 100], got ${p}`);
  const h = ((n - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = Float64Array.from(values);
  floydRivestSelect(a, lo);
  const vLo = a[lo];
  if (lo + 1 >= n || h === lo) return vLo;
  const vHi = minFrom(a, lo + 1);
  return vLo + (h - lo) * (vHi - vLo);
}
