/**
 * OBS under the loss's empirical Fisher in blocks of B weights of a row (WoodFisher, Singh & Alistarh
 * 2020; oBERT, Kurtic et al. 2022): the formulas are at forEachBlock.
 */
import type { Layer, MLP } from '../nn/model.js';
import { backprop, softmax, trueFisherColumns } from './kfac.js';
import { type CalibrationSet, cholesky, inverseFromCholesky, layerForward, layerInputs, DEFAULT_DAMPENING } from './obs.js';

/** Block size (weights of a row) when none is given. */
export const DEFAULT_FISHER_BLOCK = 16;

/** Which Fisher: 'empirical' (the labels' gradients, WoodFisher / oBERT) or 'true' (y ~ p(y|x), its expectation taken exactly). */
export type FisherKind = 'empirical' | 'true';

/**
 * Every layer's inputs X_ℓ (n × in) and each sample's weight in row r's Fisher, S_ℓ[n, r] (n × out):
 * δ_{n,r}² with δ = ∂ℓ_n/∂z the cross-entropy's gradient against the label (empirical), or
 * E_{y~p}[δ_{n,r}²], the diagonal of kfac.ts's per-sample G (true).
 */
export function sampleWeights(model: MLP, calib: CalibrationSet, kind: FisherKind): { X: Float64Array[]; S: Float64Array[] } {
  const labels = calib.labels;
  if (kind === 'empirical' && !labels) throw new RangeError('the empirical Fisher needs the calibration samples’ labels');
  const n = calib.nSamples,
    nl = model.layers.length,
    k = model.layers[nl - 1].outFeatures;
  const X = layerInputs(model, calib);
  const logits = layerForward(model.layers[nl - 1], X[nl - 1], n);
  const S = model.layers.map((L) => new Float64Array(n * L.outFeatures));
  const add = (s: number, g: Float64Array) => backprop(model, X, s, g, (l, delta) => delta.forEach((v, r) => (S[l][s * delta.length + r] += v * v)));
  for (let s = 0; s < n; s++) {
    const p = softmax(logits.subarray(s * k, s * k + k));
    if (kind === 'empirical') {
      p[labels![s]] -= 1; // δ at the logits: softmax − e_y
      add(s, p);
    } else trueFisherColumns(p, (g) => add(s, g));
  }
  return { X, S };
}

/**
 * The per-sample gradient of W[r, c] is δ_{n,r}·x_{n,c} (δ = ∂ℓ_n/∂z), so a block of row r has
 *   F_blk = (1/m) Σ_n δ_{n,r}² x_{n,blk} x_{n,blk}ᵀ + λ·I   (λ = dampening × the layer's mean diag F)
 * on its weights not yet pruned (a pruned weight is held at 0: it leaves the problem). Saliency, in
 * units of the loss: ρ_q = w_q²/(2[F_blk⁻¹]_qq). Pruning the set Q of a block, keeping K, is the
 * multi-weight OBS step δw = −F⁻¹E_Qᵀ(E_Q F⁻¹E_Qᵀ)⁻¹E_Q w (oBERT), i.e. w_Q ← 0, w_K ← w_K + F_KK⁻¹F_KQ w_Q
 * (the minimiser of ½δwᵀFδw with δw_Q = −w_Q). B = 1: OBD's ½(F_qq + λ)w², no correction.
 * Visits every block: `visit(r, cols, F)` with the kept columns (`kept` 1, all without a mask) and
 * F_blk on them (row-major). x: the inputs (n × in); S: the samples' weights per row (sampleWeights).
 */
function forEachBlock(L: Layer, x: Float64Array, S: Float64Array, o: FisherOptions, kept: Uint8Array | undefined, visit: Visit): void {
  const d = L.inFeatures,
    rows = L.outFeatures,
    n = S.length / rows,
    block = o.block ?? DEFAULT_FISHER_BLOCK;
  if (!Number.isInteger(block) || block < 1) throw new RangeError(`the Fisher block size must be a whole number ≥ 1, got ${block}`);
  // λ relative to the layer's mean Fisher diagonal: Σ_n (Σ_r S_nr)(Σ_c x_nc²) / (m·rows·d).
  let trace = 0;
  for (let s = 0; s < n; s++)
    trace += S.subarray(s * rows, s * rows + rows).reduce((t, v) => t + v, 0) * x.subarray(s * d, s * d + d).reduce((t, v) => t + v ** 2, 0);
  const damp = (o.dampening ?? DEFAULT_DAMPENING) * (trace > 0 ? trace / (n * rows * d) : 1);
  for (let r = 0; r < rows; r++) {
    const samples: number[] = [];
    for (let s = 0; s < n; s++) if (S[s * rows + r] !== 0) samples.push(s); // ReLU's inactive units: no gradient
    for (let c0 = 0; c0 < d; c0 += block) {
      const cols: number[] = [];
      for (let c = c0; c < Math.min(d, c0 + block); c++) if (!kept || kept[r * d + c]) cols.push(c);
      const b = cols.length,
        F = new Float64Array(b * b);
      if (b === 0) continue;
      for (const s of samples) {
        const w = S[s * rows + r] / n,
          o = s * d;
        for (let a = 0; a < b; a++) {
          const xa = x[o + cols[a]];
          if (xa !== 0) for (let e = a; e < b; e++) F[a * b + e] += w * xa * x[o + cols[e]]; // skips blank pixels, inactive units
        }
      }
      for (let a = 0; a < b; a++) {
        F[a * b + a] += damp;
        for (let e = a + 1; e < b; e++) F[e * b + a] = F[a * b + e];
      }
      visit(r, cols, F);
    }
  }
}

type Visit = (r: number, cols: number[], F: Float64Array) => void;

/** Options of fisherScores / fisherPrune. */
export interface FisherOptions {
  calibration: CalibrationSet;
  /** Weights per block of a row (default DEFAULT_FISHER_BLOCK). */
  block?: number;
  dampening?: number;
  kind?: FisherKind;
}

/** ρ_q = w_q² / (2·[F_blk⁻¹]_qq) for every weight (already-pruned ones score 0). */
export function fisherScores(model: MLP, o: FisherOptions): Float32Array[] {
  const { X, S } = sampleWeights(model, o.calibration, o.kind ?? 'empirical');
  return model.layers.map((L, l) => {
    const out = new Float32Array(L.weight.length),
      d = L.inFeatures;
    forEachBlock(L, X[l], S[l], o, L.mask, (r, cols, F) => {
      const inv = inverseFromCholesky(cholesky(F, cols.length), cols.length);
      cols.forEach((c, a) => (out[r * d + c] = L.weight[r * d + c] ** 2 / (2 * inv[a * (cols.length + 1)])));
    });
    return out;
  });
}

/**
 * Prunes in place where `masks[l]` is 0 (composed with each layer's old mask; undefined: layer left
 * alone), each block with the multi-weight OBS step above: w_Q ← 0, w_K ← w_K + F_KK⁻¹ F_KQ w_Q.
 */
export function fisherPrune(model: MLP, masks: (Uint8Array | undefined)[], o: FisherOptions): void {
  const { X, S } = sampleWeights(model, o.calibration, o.kind ?? 'empirical');
  model.layers.forEach((L, l) => {
    const plan = masks[l],
      d = L.inFeatures,
      W = L.weight;
    if (!plan) return;
    forEachBlock(L, X[l], S[l], o, L.mask, (r, cols, F) => {
      const b = cols.length,
        K = [...cols.keys()].filter((a) => plan[r * d + cols[a]] === 1),
        k = K.length;
      if (k === b || k === 0) return;
      // δw_K = F_KK⁻¹ (F_KQ w_Q).
      const FKK = Float64Array.from({ length: k * k }, (_, i) => F[K[Math.floor(i / k)] * b + K[i % k]]);
      const rhs = K.map((a) => cols.reduce((t, c, q) => t + (plan[r * d + c] ? 0 : F[a * b + q] * W[r * d + c]), 0));
      const y = solveCholesky(cholesky(FKK, k), Float64Array.from(rhs), k);
      K.forEach((a, i) => (W[r * d + cols[a]] += y[i]));
    });
    const mask = Uint8Array.from(W, (_, i) => (plan[i] && (!L.mask || L.mask[i]) ? 1 : 0));
    mask.forEach((m, i) => m || (W[i] = 0));
    L.mask = mask;
  });
}

/** Solves L·Lᵀ·y = v in place (L lower, k × k): forward, then back substitution. */
function solveCholesky(L: Float64Array, y: Float64Array, k: number): Float64Array {
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < i; j++) y[i] -= L[i * k + j] * y[j];
    y[i] /= L[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    for (let j = i + 1; j < k; j++) y[i] -= L[j * k + i] * y[j];
    y[i] /= L[i * k + i];
  }
  return y;
}
