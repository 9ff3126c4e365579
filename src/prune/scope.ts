/**
 * Scopes: which weights compete for the same threshold.
 *
 * - `layer`: each chosen layer gets its own threshold (its own sparsity target).
 * - `global`: one threshold over the scores of all chosen layers together. With magnitude scores this
 *   is what PyTorch's `global_unstructured(…, L1Unstructured)` does: layers whose weights are small
 *   (typically wide layers with large fan-in, whose initialisation scale is ~1/√fan_in) lose more.
 * - `layers: [i, …]`: only these layers are pruned (the seed prunes only layer 0); the others keep
 *   their masks but still count for the connectivity guard.
 *
 * Guard against layer collapse (Hoefer et al.; Tanaka et al. 2020 "SynFlow" show global pruning can
 * empty a layer): each pruned layer keeps at least max(1, ⌈minDensity·N_layer⌉) weights
 * (default minDensity = 0.005, i.e. 0.5%), and at least one path of kept weights must join an input
 * to an output. The guard only acts when the plain result violates it: then the top-scoring
 * minimum of each chosen layer and the highest-scoring input→output path (max sum of scores, by
 * dynamic programming) are protected and the threshold is recomputed, so count targets stay exact.
 * If the target cannot be met with those protected, a RangeError says so.
 */
import type { MLP } from '../nn/model.js';
import { currentMask } from './mask.js';
import { kthSmallest } from './select.js';
import { maskForAmount, validateAmount, type Amount } from './threshold.js';

export type ScopeKind = 'layer' | 'global';

export interface ScopeOptions {
  scope?: ScopeKind;
  /** Layer indices to prune (default: all). */
  layers?: number[];
  /** Minimum fraction of weights each pruned layer keeps (default 0.005); at least 1 weight always. */
  minDensity?: number;
}

export const DEFAULT_MIN_DENSITY = 0.005;

/** Checks and returns the chosen layer indices (sorted, unique). */
export function resolveLayers(model: MLP, layers?: number[]): number[] {
  const n = model.layers.length;
  if (!layers) return model.layers.map((_, i) => i);
  if (layers.length === 0) throw new RangeError('layers: empty list, expected at least one layer index');
  for (const i of layers) {
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`layer index ${i} does not exist: the model has ${n} layers (0..${n - 1})`);
  }
  return [...new Set(layers)].sort((a, b) => a - b);
}

/**
 * New masks (already composed with the old ones) for every layer; `undefined` for layers out of
 * scope (left untouched). Pure: the model is not modified. `scores[l]` has the shape of layer l's weight.
 */
export function planMasks(model: MLP, scores: ArrayLike<number>[], amount: Amount, opts: ScopeOptions = {}): (Uint8Array | undefined)[] {
  validateAmount(amount);
  const chosen = resolveLayers(model, opts.layers);
  const minDensity = opts.minDensity ?? DEFAULT_MIN_DENSITY;
  if (!(minDensity >= 0 && minDensity <= 1)) throw new RangeError(`minDensity must be in [0, 1], got ${minDensity}`);
  if (scores.length !== model.layers.length) throw new RangeError(`scores: ${scores.length} arrays for ${model.layers.length} layers`);
  const old = model.layers.map(currentMask);

  const run = (protectedMasks?: Uint8Array[]) => {
    const eligible = chosen.map((l) => {
      const e = old[l].slice();
      if (protectedMasks) for (let i = 0; i < e.length; i++) if (protectedMasks[l][i]) e[i] = 0;
      return e;
    });
    const seg = chosen.map((l) => scores[l]);
    const counts = chosen.map((l) => ({ pruned: old[l].length - kept(old[l]), total: old[l].length }));
    const steps: Uint8Array[] = [];
    if ((opts.scope ?? 'layer') === 'global') {
      const sum = counts.reduce((a, c) => ({ pruned: a.pruned + c.pruned, total: a.total + c.total }), { pruned: 0, total: 0 });
      steps.push(...maskForAmount(seg, eligible, amount, sum));
    } else {
      chosen.forEach((_, k) => steps.push(maskForAmount([seg[k]], [eligible[k]], amount, counts[k])[0]));
    }
    const next: (Uint8Array | undefined)[] = model.layers.map(() => undefined);
    chosen.forEach((l, k) => {
      const m = old[l].slice();
      for (let i = 0; i < m.length; i++) m[i] &= steps[k][i];
      next[l] = m;
    });
    return next;
  };

  const minKeep = chosen.map((l) => Math.min(kept(old[l]), Math.max(1, Math.ceil(minDensity * old[l].length))));
  const first = run();
  const collapsed = chosen.some((l, k) => kept(first[l]!) < minKeep[k]);
  if (
    !collapsed &&
    hasPath(
      model,
      model.layers.map((_, l) => first[l] ?? old[l]),
    )
  )
    return first;

  // Guard: protect each chosen layer's top minKeep and the best input→output path, then redo.
  const prot = model.layers.map((L) => new Uint8Array(L.weight.length));
  chosen.forEach((l, k) => protectTop(scores[l], old[l], minKeep[k], prot[l]));
  const path = bestPath(model, old, scores, new Set(chosen));
  if (!path) throw new RangeError('the model has no path of kept weights from input to output already; nothing can be pruned safely');
  path.forEach(([l, idx]) => {
    prot[l][idx] = 1;
  });
  try {
    return run(prot);
  } catch (e) {
    throw new RangeError(
      `${(e as Error).message} — the target would collapse a layer (each pruned layer keeps ≥ max(1, ⌈${minDensity}·N⌉) weights and one input→output path); lower the target or minDensity`,
    );
  }
}

function kept(m: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < m.length; i++) n += m[i];
  return n;
}

/** Marks the `n` highest-scoring kept entries (ties: lower index first) in `prot`, by selection. */
function protectTop(s: ArrayLike<number>, mask: Uint8Array, n: number, prot: Uint8Array): void {
  const pool: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) pool.push(-s[i]);
  n = Math.min(n, pool.length);
  if (n === 0) return;
  const negTheta = kthSmallest(pool, n - 1); // the n-th largest score is −negTheta
  let left = n;
  for (let i = 0; i < mask.length; i++)
    if (mask[i] && -s[i] < negTheta) {
      prot[i] = 1;
      left--;
    }
  for (let i = 0; i < mask.length && left > 0; i++)
    if (mask[i] && -s[i] === negTheta) {
      prot[i] = 1;
      left--;
    }
}

/** True when some output neuron is reachable from the inputs through kept weights. */
export function hasPath(model: MLP, masks: Uint8Array[]): boolean {
  let reach = new Uint8Array(model.layers[0].inFeatures).fill(1);
  model.layers.forEach((L, l) => {
    const next = new Uint8Array(L.outFeatures);
    const m = masks[l];
    for (let j = 0; j < L.outFeatures; j++) {
      for (let i = 0; i < L.inFeatures; i++)
        if (reach[i] && m[j * L.inFeatures + i]) {
          next[j] = 1;
          break;
        }
    }
    reach = next;
  });
  return reach.some((v) => v === 1);
}

/**
 * The input→output path through kept weights with the largest sum of scores (layers out of scope
 * contribute 0), as [layer, flat weight index] pairs; null when there is none. Dynamic programming,
 * O(total weights).
 */
export function bestPath(model: MLP, masks: Uint8Array[], scores: ArrayLike<number>[], scored: Set<number>): [number, number][] | null {
  let val = new Float64Array(model.layers[0].inFeatures);
  const arg: Int32Array[] = [];
  model.layers.forEach((L, l) => {
    const next = new Float64Array(L.outFeatures).fill(-Infinity);
    const a = new Int32Array(L.outFeatures).fill(-1);
    for (let j = 0; j < L.outFeatures; j++) {
      for (let i = 0; i < L.inFeatures; i++) {
        const w = j * L.inFeatures + i;
        if (!masks[l][w] || val[i] === -Infinity) continue;
        const v = val[i] + (scored.has(l) ? Number(scores[l][w]) : 0);
        if (v > next[j]) {
          next[j] = v;
          a[j] = i;
        }
      }
    }
    arg.push(a);
    val = next;
  });
  let j = -1;
  for (let k = 0; k < val.length; k++) if (val[k] > -Infinity && (j < 0 || val[k] > val[j])) j = k;
  if (j < 0) return null;
  const path: [number, number][] = [];
  for (let l = model.layers.length - 1; l >= 0; l--) {
    const i = arg[l][j];
    path.push([l, j * model.layers[l].inFeatures + i]);
    j = i;
  }
  return path.reverse();
}
