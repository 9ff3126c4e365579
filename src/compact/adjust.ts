/**
 * "Adjust the network" after unstructured pruning (the step most tools skip).
 * For a hidden neuron j of layer l (y = act(W x + b)):
 * - all incoming weights zero: it outputs the constant c = act(b_j) whatever the input, so its
 *   contribution to layer l+1 is the constant vector c · W_{l+1}[:, j]; fold that into b_{l+1}
 *   and delete the neuron (row j of W_l, column j of W_{l+1});
 * - all outgoing weights zero: nothing downstream reads it; delete it.
 * Deleting neurons can kill others (a row or a column becomes empty), so repeat to a fixed point.
 * Inputs and output classes are never removed. The result computes the same function
 * (up to f32 rounding of the folded biases).
 */
import { activate } from '../kernels/activation.js';
import { Act } from '../kernels/types.js';
import type { Layer, MLP } from '../nn/model.js';
import { cloneMLP } from '../nn/model.js';

/** The effective weight: masked entries count as zero even if a stale value remains. */
function effective(l: Layer): Float32Array {
  const w = l.weight.slice();
  if (l.mask) for (let i = 0; i < w.length; i++) if (!l.mask[i]) w[i] = 0;
  return w;
}

/** Keeps rows `keep` of a row-major matrix (rows × cols). */
function pickRows(w: Float32Array, cols: number, keep: number[]): Float32Array {
  const out = new Float32Array(keep.length * cols);
  keep.forEach((r, i) => out.set(w.subarray(r * cols, (r + 1) * cols), i * cols));
  return out;
}
/** Keeps columns `keep` of a row-major matrix (rows × cols). */
function pickCols(w: Float32Array, rows: number, cols: number, keep: number[]): Float32Array {
  const out = new Float32Array(rows * keep.length);
  for (let r = 0, o = 0; r < rows; r++) for (const c of keep) out[o++] = w[r * cols + c];
  return out;
}

/**
 * Whether any of `count` entries of `w`, from `start` and `stride` apart, is nonzero. The hot scan
 * as a small function of its own: compiled once per thread, where inside `removeDeadNeurons` it made
 * V8 recompile that whole function on every call.
 */
function anyNonzero(w: Float32Array, start: number, count: number, stride: number): boolean {
  for (let i = 0, p = start; i < count; i++, p += stride) if (w[p] !== 0) return true;
  return false;
}

export interface AdjustResult {
  model: MLP;
  /** Neurons removed per hidden layer boundary: removed[l] = count removed from layer l's outputs (last entry always 0). */
  removed: number[];
}

export function removeDeadNeurons(input: MLP): AdjustResult {
  const model = cloneMLP(input);
  // the layers without their masks, as new objects (`delete` would give each layer a map of its own)
  const L = (model.layers = model.layers.map((l) => {
    const { mask: _mask, ...rest } = l;
    return { ...rest, weight: effective(l) };
  }));
  const removed = L.map(() => 0);
  let changed = true;
  while (changed) {
    changed = false;
    for (let l = 0; l + 1 < L.length; l++) {
      const cur = L[l],
        next = L[l + 1];
      const n = cur.outFeatures,
        inn = cur.inFeatures,
        nOut = next.outFeatures;
      const keep: number[] = [];
      for (let j = 0; j < n; j++) {
        if (!anyNonzero(next.weight, j, nOut, n)) continue; // no reader: drop
        if (!anyNonzero(cur.weight, j * inn, inn, 1)) {
          // constant output act(b_j): fold act(b_j)·W_next[:, j] into b_next (accumulated in f64)
          const c = activate(cur.bias[j], Act[cur.activation]);
          if (c !== 0) for (let r = 0; r < nOut; r++) next.bias[r] = next.bias[r] + c * next.weight[r * n + j];
          continue;
        }
        keep.push(j);
      }
      if (keep.length === n) continue;
      changed = true;
      removed[l] += n - keep.length;
      cur.weight = pickRows(cur.weight, inn, keep);
      cur.bias = Float32Array.from(keep, (j) => cur.bias[j]);
      cur.outFeatures = keep.length;
      next.weight = pickCols(next.weight, nOut, n, keep);
      next.inFeatures = keep.length;
    }
  }
  if (removed.some((n) => n > 0)) delete model.history; // recorded for the old shapes
  return { model, removed };
}
