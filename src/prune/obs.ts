/**
 * Layer-wise Optimal Brain Surgeon with weight correction: the OBC / SparseGPT algorithm.
 *
 * Each layer ℓ is pruned to minimise its reconstruction error on calibration inputs X (d × n):
 *
 *   min ‖W X − Ŵ X‖²  subject to Ŵ's mask,   Hessian of that error  H = 2·X·Xᵀ / n  (d × d),
 *
 * the same H for every row of W (Frantar & Alistarh 2022, "Optimal Brain Compression", OBC). The
 * OBS step (Hassibi & Stork 1993) removing weight q of a row and correcting the others is
 *
 *   δw = −(w_q / [H⁻¹]_qq) · H⁻¹_{:,q},   error increase ε_q = w_q² / (2·[H⁻¹]_qq).
 *
 * Which variant, and why: exact per-row OBC removes one weight at a time and updates its own copy of
 * H⁻¹ (O(d²) per removal), O(rows·d³) per layer — 300 rows × 784³ ≈ 1.4·10¹¹ flops for LeNet's first
 * layer, minutes in JavaScript per pruning round. SparseGPT (Frantar & Alistarh 2023) visits the
 * columns left to right and, when it removes weight q, corrects only the columns not yet visited
 * F = {q, q+1, …, d−1}; the inverse Hessians of those shrinking column sets, [H_F]⁻¹, are all read off
 * one upper Cholesky factor U of H⁻¹ (H⁻¹ = UᵀU): row q of U is [H_F]⁻¹'s row q divided by √[H_F⁻¹]_qq.
 * So removing w_q in any row is  err = w_q / U_qq,  w_F ← w_F − err · U_{q,F}  — one factorisation per
 * layer, O(d³ + rows·d²) in all (≈ 0.7·10⁹ flops for 784 inputs). Implemented here: SparseGPT.
 *
 * Masks, exactly counted: the caller plans a mask per layer (thresholds over the OBS saliencies
 * w²/[H⁻¹]_qq, layer by layer or globally — the allocation across layers), and this module keeps each
 * layer's planned count of pruned weights in each block of `BLOCK` columns but re-chooses *which* ones
 * when it reaches the block, from the weights corrected so far (SparseGPT's adaptive mask selection,
 * scores w² / U_qq²). N:M masks are re-chosen per group of M columns of each row in the same way.
 * Weights pruned earlier stay pruned (they are zeroed, with their correction, when their column comes).
 *
 * Layers are pruned first to last, each with H from the inputs the already-pruned layers before it
 * produce (SparseGPT's sequential setting). Two additions for small MLPs, each exact for the
 * quadratic objective: the bias is a weight on a constant input 1 that is corrected but never
 * pruned (withOnes), and a layer whose inputs changed is first refitted to the outputs it gave
 * before the step (refit), so it compensates for its predecessors' errors as far as its inputs allow.
 * On LeNet-300-100 these two lift one-shot 95% from 90.9% to 94.5% (BENCHMARKS.md).
 */
import type { Layer, MLP } from '../nn/model.js';
import { Act } from '../kernels/types.js';
import { activate } from '../kernels/activation.js';

/** Calibration samples: a few hundred training inputs, row-major (samples × features, as a Dataset). */
export interface CalibrationSet {
  features: Float32Array;
  nSamples: number;
  nFeatures: number;
  /** Their class labels (the empirical Fisher of fisher.ts needs them). */
  labels?: Int32Array;
}

/** λ in the dampening H + λ·mean(diag H)·I (SparseGPT's default, 1%). */
export const DEFAULT_DAMPENING = 0.01;

/** Columns per block of the adaptive mask selection (SparseGPT uses 128). */
export const BLOCK = 128;

/** Every layer's input on the calibration samples through the current model, in float64: inputs[l] is n × in_l, row-major. */
export function layerInputs(model: MLP, calib: CalibrationSet, upTo = model.layers.length): Float64Array[] {
  const n = calib.nSamples;
  if (calib.nFeatures !== model.layers[0].inFeatures)
    throw new RangeError(`calibration samples have ${calib.nFeatures} features, the model expects ${model.layers[0].inFeatures}`);
  if (n < 1) throw new RangeError('calibration: need at least one sample');
  const out: Float64Array[] = [Float64Array.from(calib.features.subarray(0, n * calib.nFeatures))];
  for (let l = 0; l + 1 < upTo; l++) out.push(layerForward(model.layers[l], out[l], n));
  return out;
}

/** act(W x + b) for each of the n rows of X (n × in) → n × out. */
export function layerForward(L: Layer, X: Float64Array, n: number): Float64Array {
  const d = L.inFeatures,
    r = L.outFeatures,
    act = Act[L.activation];
  const Y = new Float64Array(n * r);
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < r; j++) {
      let z = L.bias[j];
      const wo = j * d,
        xo = s * d;
      for (let i = 0; i < d; i++) z += L.weight[wo + i] * X[xo + i];
      Y[s * r + j] = activate(z, act);
    }
  }
  return Y;
}

/** H = 2·X·Xᵀ/n + λ·mean(diag)·I, d × d (X given as n × d rows). The dampening makes H positive definite. */
export function layerHessian(X: Float64Array, n: number, d: number, dampening = DEFAULT_DAMPENING): Float64Array {
  if (!(dampening > 0)) throw new RangeError(`dampening must be > 0, got ${dampening}`);
  const H = new Float64Array(d * d);
  for (let s = 0; s < n; s++) {
    const o = s * d;
    for (let a = 0; a < d; a++) {
      const xa = X[o + a];
      if (xa === 0) continue; // ReLU outputs and blank pixels: many zeros
      const row = a * d;
      for (let b = a; b < d; b++) H[row + b] += xa * X[o + b];
    }
  }
  let trace = 0;
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) H[b * d + a] = H[a * d + b] = (2 * H[a * d + b]) / n;
    trace += H[a * d + a];
  }
  // All-zero inputs (mean diag 0) still need a positive definite H: damp by λ itself.
  const damp = dampening * (trace > 0 ? trace / d : 1);
  for (let a = 0; a < d; a++) H[a * d + a] += damp;
  return H;
}

/** Lower Cholesky factor L (A = L·Lᵀ) of a symmetric positive definite d × d matrix; A is not modified. */
export function cholesky(A: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let s = A[j * d + j];
    for (let k = 0; k < j; k++) s -= L[j * d + k] * L[j * d + k];
    if (!(s > 0))
      throw new RangeError(`the curvature matrix (layer Hessian or Fisher block) is not positive definite (pivot ${j} is ${s}): raise the dampening`);
    const ljj = Math.sqrt(s);
    L[j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = A[i * d + j];
      for (let k = 0; k < j; k++) t -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = t / ljj;
    }
  }
  return L;
}

/** H⁻¹ from H's lower Cholesky factor: H⁻¹ = L⁻ᵀ·L⁻¹. */
export function inverseFromCholesky(L: Float64Array, d: number): Float64Array {
  // M = L⁻¹ (lower triangular), by forward substitution column by column.
  const M = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    M[j * d + j] = 1 / L[j * d + j];
    for (let i = j + 1; i < d; i++) {
      let t = 0;
      for (let k = j; k < i; k++) t -= L[i * d + k] * M[k * d + j];
      M[i * d + j] = t / L[i * d + i];
    }
  }
  const inv = new Float64Array(d * d);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      let t = 0;
      for (let k = b; k < d; k++) t += M[k * d + a] * M[k * d + b];
      inv[a * d + b] = inv[b * d + a] = t;
    }
  }
  return inv;
}

/** Upper Cholesky factor U of H⁻¹ (H⁻¹ = Uᵀ·U): U = Lᵀ of H⁻¹'s lower factor. */
export function inverseCholeskyUpper(H: Float64Array, d: number): Float64Array {
  const Lh = cholesky(inverseFromCholesky(cholesky(H, d), d), d);
  const U = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) U[i * d + j] = Lh[j * d + i];
  return U;
}

/** How a layer's pruned entries are chosen as the columns are visited. */
export type Selection = { kind: 'count'; plan: Uint8Array } | { kind: 'nm'; n: number; m: number } | { kind: 'fixed'; mask: Uint8Array };

/**
 * SparseGPT on one layer, in place: weights (rows × d, row-major float64), U (upper Cholesky of H⁻¹),
 * `old` (1 kept, 0 already pruned). Returns the new mask (composed with `old`).
 * - `count`: per block of BLOCK columns, prunes as many kept entries as `plan` prunes there, choosing
 *   the lowest w²/U_qq² of the weights corrected so far.
 * - `nm`: in each group of M columns of each row, keeps the N still-kept entries with the highest w²/U_qq².
 * - `fixed`: prunes exactly where `mask` (composed with `old`) says: corrections only.
 * Columns from `prunable` on are corrected but never pruned (obsPrune puts the bias there).
 */
export function sparseGptLayer(
  W: Float64Array,
  rows: number,
  d: number,
  U: Float64Array,
  old: Uint8Array,
  sel: Selection,
  block = BLOCK,
  prunable = d,
  rowWeight?: Float64Array,
): Uint8Array {
  const mask = old.slice();
  if (sel.kind === 'fixed') for (let i = 0; i < mask.length; i++) mask[i] &= sel.mask[i];
  const step = sel.kind === 'nm' ? sel.m : block;
  for (let c0 = 0; c0 < d; c0 += step) {
    const c1 = Math.min(d, c0 + step);
    // Columns from `prunable` on (the bias) are never candidates, only corrected.
    if (sel.kind === 'count') selectByCount(W, d, U, mask, sel.plan, c0, Math.min(c1, prunable), rows, rowWeight);
    else if (sel.kind === 'nm') selectNM(W, d, U, mask, sel.n, c0, Math.min(c1, prunable), rows);
    for (let q = c0; q < c1; q++) {
      const uqq = U[q * d + q];
      for (let r = 0; r < rows; r++) {
        const o = r * d;
        if (mask[o + q]) continue;
        // OBS removal of w_q restricted to the unvisited columns F = {q, …}: err = w_q/U_qq, w_F −= err·U_{q,F}.
        const err = W[o + q] / uqq;
        if (err === 0) continue;
        for (let j = q + 1; j < d; j++) W[o + j] -= err * U[q * d + j];
        W[o + q] = 0;
      }
    }
  }
  return mask;
}

/** Prunes, among the still-kept entries of columns [c0, c1), as many as `plan` prunes there: the lowest ρ_r·w²/U_qq² (ρ: rowWeight, default 1). */
function selectByCount(
  W: Float64Array,
  d: number,
  U: Float64Array,
  mask: Uint8Array,
  plan: Uint8Array,
  c0: number,
  c1: number,
  rows: number,
  rowWeight?: Float64Array,
): void {
  const cand: number[] = [];
  let want = 0;
  for (let r = 0; r < rows; r++) {
    for (let q = c0; q < c1; q++) {
      const i = r * d + q;
      if (!mask[i]) continue;
      cand.push(i);
      if (!plan[i]) want++;
    }
  }
  if (want === 0) return;
  const score = (i: number) => ((rowWeight ? rowWeight[Math.floor(i / d)] : 1) * W[i] * W[i]) / U[(i % d) * (d + 1)] ** 2;
  const s = new Float64Array(W.length);
  for (const i of cand) s[i] = score(i);
  cand.sort((a, b) => s[a] - s[b] || a - b);
  for (let k = 0; k < want; k++) mask[cand[k]] = 0;
}

/** N:M: in columns [c0, c1) of each row, keeps the N still-kept entries with the highest w²/U_qq² (ties: lower index kept). */
function selectNM(W: Float64Array, d: number, U: Float64Array, mask: Uint8Array, n: number, c0: number, c1: number, rows: number): void {
  const idx: number[] = [];
  const score = (i: number) => (W[i] * W[i]) / U[(i % d) * (d + 1)] ** 2;
  for (let r = 0; r < rows; r++) {
    idx.length = 0;
    for (let q = c0; q < c1; q++) if (mask[r * d + q]) idx.push(r * d + q);
    idx.sort((a, b) => score(b) - score(a) || a - b);
    for (let k = n; k < idx.length; k++) mask[idx[k]] = 0;
  }
}

/** ‖W X − Ŵ X‖² over the n calibration rows of X (n × d): the layer's reconstruction error (biases cancel). */
export function reconstructionError(before: ArrayLike<number>, after: ArrayLike<number>, rows: number, X: Float64Array, n: number, d: number): number {
  let e = 0;
  for (let s = 0; s < n; s++) {
    for (let r = 0; r < rows; r++) {
      let t = 0;
      for (let i = 0; i < d; i++) t += (before[r * d + i] - after[r * d + i]) * X[s * d + i];
      e += t * t;
    }
  }
  return e;
}

/** Options of `obsPrune`. */
export interface ObsOptions {
  calibration: CalibrationSet;
  dampening?: number;
  /**
   * A factor per output row of each layer that carries the layer-wise saliency to the loss (kfac.ts):
   * scores become ρ_r·w²/[H⁻¹]_cc, and the adaptive selection inside a layer weighs rows the same way.
   * Absent: every ρ_r = 1 (plain layer-wise OBS).
   */
  rowFactors?: Float64Array[];
}

/**
 * The layer's inputs with a constant 1 appended to every sample: the bias is then one more weight
 * (the last column), never pruned, so every OBS step may correct it too — the mean shift pruning
 * causes is absorbed instead of passed on.
 */
export function withOnes(X: Float64Array, n: number, d: number): Float64Array {
  const out = new Float64Array(n * (d + 1));
  for (let s = 0; s < n; s++) {
    out.set(X.subarray(s * d, s * d + d), s * (d + 1));
    out[s * (d + 1) + d] = 1;
  }
  return out;
}

/** OBS saliencies ρ_r·w²/[H⁻¹]_qq of every layer, H from the current model's layer inputs (and the bias's 1) on the calibration set; ρ: o.rowFactors or 1. */
export function obsScores(model: MLP, o: ObsOptions): Float32Array[] {
  const n = o.calibration.nSamples;
  const X = layerInputs(model, o.calibration);
  return model.layers.map((L, l) => {
    const d = L.inFeatures;
    const inv = inverseFromCholesky(cholesky(layerHessian(withOnes(X[l], n, d), n, d + 1, o.dampening), d + 1), d + 1);
    const rho = o.rowFactors?.[l];
    return L.weight.map((w, i) => ((rho ? rho[Math.floor(i / d)] : 1) * w * w) / inv[(i % d) * (d + 2)]);
  });
}

/**
 * The dense refit V = argmin_V ‖W·X − V·X'‖² of a layer whose inputs changed (X: the inputs before
 * this pruning step, X': those the pruned layers before it now produce; both with the bias's 1):
 * v_r = H'⁻¹·G·w_r, G = 2·X'·Xᵀ/n. Since ‖WX − ŴX'‖² = ‖WX − VX'‖² + ‖(V − Ŵ)X'‖² (the least-squares
 * residual is orthogonal to X'), pruning V with H' = 2·X'·X'ᵀ/n minimises the error against the
 * layer's outputs before the step, not against its own degraded inputs.
 */
function refit(W: Float64Array, rows: number, e: number, Xd: Float64Array, Xp: Float64Array, n: number, Hinv: Float64Array): void {
  const G = new Float64Array(e * e);
  for (let s = 0; s < n; s++) {
    for (let a = 0; a < e; a++) {
      const xa = Xp[s * e + a];
      if (xa === 0) continue;
      for (let b = 0; b < e; b++) G[a * e + b] += (2 * xa * Xd[s * e + b]) / n;
    }
  }
  const Gw = new Float64Array(e);
  for (let r = 0; r < rows; r++) {
    const w = W.subarray(r * e, r * e + e);
    for (let a = 0; a < e; a++) {
      let t = 0;
      for (let b = 0; b < e; b++) t += G[a * e + b] * w[b];
      Gw[a] = t;
    }
    for (let a = 0; a < e; a++) {
      let t = 0;
      for (let b = 0; b < e; b++) t += Hinv[a * e + b] * Gw[b];
      w[a] = t;
    }
  }
}

/**
 * Prunes `model` in place, layer by layer from the first: layers with a `selection` are pruned by
 * SparseGPT with H from the inputs the already-pruned layers produce (first refitted to the outputs
 * they gave before this step, see refit); the others are left alone.
 * Each row is [w | b] against inputs [x | 1] (see withOnes): the bias is corrected, never pruned.
 */
export function obsPrune(model: MLP, selections: (Selection | undefined)[], o: ObsOptions): void {
  const n = o.calibration.nSamples;
  let X = layerInputs(model, o.calibration, 1)[0];
  let Xd = X; // the same layer's inputs through the model as it was before this step
  let changed = false;
  model.layers.forEach((L, l) => {
    const last = l + 1 === model.layers.length;
    const XdNext = last ? Xd : layerForward(L, Xd, n);
    const sel = selections[l];
    if (sel) {
      const d = L.inFeatures,
        rows = L.outFeatures,
        e = d + 1;
      const Xe = withOnes(X, n, d);
      const H = layerHessian(Xe, n, e, o.dampening);
      const W = new Float64Array(rows * e);
      const old = new Uint8Array(rows * e).fill(1);
      const widen = (m: Uint8Array) => {
        const out = new Uint8Array(rows * e).fill(1);
        for (let r = 0; r < rows; r++) out.set(m.subarray(r * d, r * d + d), r * e);
        return out;
      };
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < d; i++) W[r * e + i] = L.weight[r * d + i];
        W[r * e + d] = L.bias[r];
        if (L.mask) old.set(L.mask.subarray(r * d, r * d + d), r * e);
      }
      if (changed) refit(W, rows, e, withOnes(Xd, n, d), Xe, n, inverseFromCholesky(cholesky(H, e), e));
      const U = inverseCholeskyUpper(H, e);
      const wide: Selection =
        sel.kind === 'count' ? { kind: 'count', plan: widen(sel.plan) } : sel.kind === 'fixed' ? { kind: 'fixed', mask: widen(sel.mask) } : sel;
      const mask = sparseGptLayer(W, rows, e, U, old, wide, BLOCK, d, o.rowFactors?.[l]);
      const kept = new Uint8Array(rows * d);
      for (let r = 0; r < rows; r++) {
        for (let i = 0; i < d; i++) {
          kept[r * d + i] = mask[r * e + i];
          L.weight[r * d + i] = mask[r * e + i] ? W[r * e + i] : 0;
        }
        L.bias[r] = W[r * e + d];
      }
      L.mask = kept;
      changed = true;
    }
    if (!last) X = layerForward(L, X, n);
    Xd = XdNext;
  });
}
