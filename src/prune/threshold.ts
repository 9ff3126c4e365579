/**
 * Thresholds: from importance scores to a mask, over one or several score arrays ("segments",
 * one per layer; several segments = one global threshold over all of them).
 *
 * Three ways to say how much to prune (`Amount`):
 * - `{ sparsity: s }`, s in [0, 1): after the step, round(s·N) of the N weights in scope are pruned
 *   (weights pruned earlier count towards it and stay pruned);
 * - `{ count: c }`: after the step, exactly c weights in scope are pruned (same convention);
 * - `{ percentile: p }`, p in [0, 100]: θ = the p-th percentile (NumPy 'linear') of the scores of the
 *   still-kept weights, then keep score ≥ θ (the seed prunes the first layer at p = 95);
 * - `{ threshold: θ }`: keep weights whose score ≥ θ.
 *
 * Count targets are hit exactly: θ = the n-th smallest eligible score (found by selection, not a
 * sort), everything below θ is pruned, and ties at θ are pruned in index order (segment by
 * segment, lowest flat index first) until the count is reached.
 */
import { kthSmallest, percentile } from './select.js';

export type Amount = { sparsity: number } | { count: number } | { percentile: number } | { threshold: number };

/** Throws a RangeError for an impossible request (sparsity outside [0,1), percentile outside [0,100], …). */
export function validateAmount(a: Amount): void {
  if ('sparsity' in a) {
    if (!(a.sparsity >= 0 && a.sparsity < 1)) throw new RangeError(`sparsity must be in [0, 1), got ${a.sparsity}`);
  } else if ('count' in a) {
    if (!Number.isInteger(a.count) || a.count < 0) throw new RangeError(`count must be a whole number ≥ 0, got ${a.count}`);
  } else if ('percentile' in a) {
    if (!(a.percentile >= 0 && a.percentile <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${a.percentile}`);
  } else if ('threshold' in a) {
    if (!Number.isFinite(a.threshold)) throw new RangeError(`threshold must be a finite number, got ${a.threshold}`);
  } else {
    throw new RangeError('amount: expected one of sparsity, count, percentile, threshold');
  }
}

/** Rejects NaN scores and shape mismatches, naming the segment and index. */
export function checkScores(scores: ArrayLike<number>[], eligible: Uint8Array[]): void {
  if (scores.length !== eligible.length) throw new RangeError(`scores: ${scores.length} segments but ${eligible.length} masks`);
  scores.forEach((s, l) => {
    if (s.length !== eligible[l].length) throw new RangeError(`scores for layer segment ${l}: ${s.length} values, expected ${eligible[l].length}`);
    for (let i = 0; i < s.length; i++) if (Number.isNaN(s[i])) throw new RangeError(`scores for layer segment ${l}: NaN at index ${i}`);
  });
}

function gatherEligible(scores: ArrayLike<number>[], eligible: Uint8Array[]): Float64Array {
  let n = 0;
  for (const e of eligible) for (let i = 0; i < e.length; i++) n += e[i];
  const out = new Float64Array(n);
  let k = 0;
  scores.forEach((s, l) => {
    const e = eligible[l];
    for (let i = 0; i < s.length; i++) if (e[i]) out[k++] = s[i];
  });
  return out;
}

/**
 * Step masks (1 keep, 0 prune) that prune exactly `nPrune` of the eligible entries — those with the
 * lowest scores, ties broken by (segment, index). Ineligible entries (already pruned or protected)
 * get 1: the step leaves them as they are.
 */
export function maskByCount(scores: ArrayLike<number>[], eligible: Uint8Array[], nPrune: number): Uint8Array[] {
  checkScores(scores, eligible);
  const out = eligible.map((e) => new Uint8Array(e.length).fill(1));
  if (nPrune === 0) return out;
  const pool = gatherEligible(scores, eligible);
  if (!Number.isInteger(nPrune) || nPrune < 0 || nPrune > pool.length) {
    throw new RangeError(`cannot prune ${nPrune} weights: only ${pool.length} are eligible`);
  }
  const theta = kthSmallest(pool, nPrune - 1);
  let left = nPrune;
  scores.forEach((s, l) => {
    const e = eligible[l],
      m = out[l];
    for (let i = 0; i < s.length; i++)
      if (e[i] && s[i] < theta) {
        m[i] = 0;
        left--;
      }
  });
  scores.forEach((s, l) => {
    const e = eligible[l],
      m = out[l];
    for (let i = 0; i < s.length && left > 0; i++)
      if (e[i] && s[i] === theta) {
        m[i] = 0;
        left--;
      }
  });
  return out;
}

/** Step masks keeping eligible entries with score ≥ θ (M = 1 where score ≥ θ). */
export function maskByThreshold(scores: ArrayLike<number>[], eligible: Uint8Array[], theta: number): Uint8Array[] {
  checkScores(scores, eligible);
  return scores.map((s, l) => {
    const e = eligible[l];
    const m = new Uint8Array(s.length).fill(1);
    for (let i = 0; i < s.length; i++) if (e[i] && s[i] < theta) m[i] = 0;
    return m;
  });
}

/**
 * Step masks for an `Amount` over the given segments (one threshold over all of them).
 * `pruned` = weights in scope already pruned; `total` = all weights in scope (for sparsity/count).
 */
export function maskForAmount(scores: ArrayLike<number>[], eligible: Uint8Array[], amount: Amount, already: { pruned: number; total: number }): Uint8Array[] {
  validateAmount(amount);
  if ('threshold' in amount) return maskByThreshold(scores, eligible, amount.threshold);
  if ('percentile' in amount) {
    checkScores(scores, eligible);
    const pool = gatherEligible(scores, eligible);
    if (pool.length === 0) return eligible.map((e) => new Uint8Array(e.length).fill(1));
    return maskByThreshold(scores, eligible, percentile(pool, amount.percentile));
  }
  const target = 'sparsity' in amount ? Math.round(amount.sparsity * already.total) : amount.count;
  if (target > already.total) throw new RangeError(`cannot prune ${target} weights: the scope holds only ${already.total}`);
  return maskByCount(scores, eligible, Math.max(0, target - already.pruned));
}

/** How many entries a step prunes among the eligible ones (for feasibility checks and tests). */
export function prunedBy(step: Uint8Array[], eligible: Uint8Array[]): number {
  let n = 0;
  step.forEach((m, l) => {
    for (let i = 0; i < m.length; i++) if (eligible[l][i] && !m[i]) n++;
  });
  return n;
}
