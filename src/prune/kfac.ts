/**
 * The output factor of a Kronecker-factored curvature, to carry each layer's OBS saliency to the loss.
 *
 * Layer-wise OBS (obs.ts) scores weight (r, c) by w²/(2·[H⁻¹]_cc) with H = 2·X·Xᵀ/n: the increase of
 * that layer's own output error ‖W X − Ŵ X‖². Its scale depends on the layer (pixels in, ReLU
 * features in, ten logits out), so one global threshold over it mis-allocates across layers.
 * K-FAC (Martens & Grosse 2015) approximates the Fisher of layer ℓ's weights by a Kronecker product
 *
 *   F ≈ A ⊗ G,   A = E[x xᵀ] (the layer's inputs, with the bias's 1),   G = E[g gᵀ], g = ∂ℓ/∂z
 *
 * (z = W x + b the layer's pre-activations), and the OBS saliency under it is in units of the loss,
 * comparable across layers (EigenDamage, Wang et al. 2019; The LLM Surgeon, van der Ouderaa et al. 2023):
 *
 *   full G:      ε_rc = w_rc² / (2·[G⁻¹]_rr·[A⁻¹]_cc)   (every other weight of the layer may be corrected)
 *   diagonal G:  ε_rc = G_rr · w_rc² / (2·[A⁻¹]_cc)      (only the weights of row r are corrected)
 *
 * obs.ts corrects within each row (SparseGPT), where the Hessian of row r under A ⊗ G is G_rr·A: so
 * the diagonal-G saliency is the exact OBS saliency of the correction actually made, and the layer-wise
 * one is the same with every G_rr = 1. Both differ from layer-wise OBS only by a factor per row.
 *
 * G is the true Fisher's, not the empirical one: the label is drawn from the model, y ~ p(y|x), and
 * the expectation over y is taken exactly. For softmax cross-entropy ∂ℓ/∂logits = p − e_y, so
 *
 *   E_y[(p − e_y)(p − e_y)ᵀ] = diag(p) − p pᵀ = S Sᵀ,   S's column k: s_k = √p_k·(e_k − p)
 *
 * (Σ_k p_k = 1 gives S Sᵀ = diag(p) − p pᵀ). Each column is backpropagated like a gradient,
 * g_ℓ = act'(z_ℓ) ⊙ W_{ℓ+1}ᵀ g_{ℓ+1}, and G_ℓ = mean over samples of Σ_k g_ℓ,k g_ℓ,kᵀ: no labels needed,
 * no sampling noise. This is the Gauss–Newton matrix of the loss at each layer's outputs.
 */
import type { MLP } from '../nn/model.js';
import { type CalibrationSet, cholesky, inverseFromCholesky, layerInputs, layerForward, DEFAULT_DAMPENING } from './obs.js';

/** How obs makes its saliency comparable across layers (see the module comment). */
export type ObsCurvature = 'layer' | 'kfac' | 'kfac-diag' | 'fisher' | 'fisher-true';
export const OBS_CURVATURES: readonly ObsCurvature[] = ['layer', 'kfac', 'kfac-diag', 'fisher', 'fisher-true'];

/** act'(z) from the activation's output y = act(z). */
export function derivativeFromOutput(y: number, activation: string): number {
  switch (activation) {
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'tanh':
      return 1 - y * y;
    case 'logistic':
      return y * (1 - y);
    default:
      return 1;
  }
}

/**
 * G_ℓ = E_x E_{y~p(y|x)}[g gᵀ], g = ∂ℓ/∂z_ℓ, for every layer ℓ (out_ℓ × out_ℓ, row-major), on the
 * calibration inputs through the model as it is now; softmax cross-entropy on the last layer's outputs.
 */
export function outputFisherFactors(model: MLP, calib: CalibrationSet): Float64Array[] {
  const n = calib.nSamples,
    layers = model.layers,
    nl = layers.length;
  const X = layerInputs(model, calib);
  const logits = layerForward(layers[nl - 1], X[nl - 1], n);
  const G = layers.map((L) => new Float64Array(L.outFeatures * L.outFeatures));
  const k = layers[nl - 1].outFeatures;
  for (let s = 0; s < n; s++) {
    const p = softmax(logits.subarray(s * k, s * k + k));
    trueFisherColumns(p, (g) => backprop(model, X, s, g, (l, delta) => addOuter(G[l], delta, layers[l].outFeatures)));
  }
  G.forEach((M, l) => {
    const r = layers[l].outFeatures;
    for (let a = 0; a < r; a++) for (let b = a; b < r; b++) M[b * r + a] = M[a * r + b] /= n;
  });
  return G;
}

/** Softmax of the logits, shifted by their maximum. */
export function softmax(z: Float64Array): Float64Array {
  const max = Math.max(...z),
    p = z.map((v) => Math.exp(v - max));
  const sum = p.reduce((a, b) => a + b, 0);
  return p.map((v) => v / sum);
}

/** The columns s_c = √p_c·(e_c − p) (p_c > 0) of S, S Sᵀ = diag(p) − p pᵀ: the true Fisher at the logits (module comment). */
export function trueFisherColumns(p: Float64Array, visit: (g: Float64Array) => void): void {
  for (let c = 0; c < p.length; c++) if (p[c] > 0) visit(p.map((pj, j) => Math.sqrt(p[c]) * ((j === c ? 1 : 0) - pj)));
}

/**
 * Backpropagates g (∂/∂logits of calibration sample s) down the layers: visit(ℓ, δ_ℓ) from the last
 * layer to the first, δ_ℓ = act'(z_ℓ) ⊙ W_{ℓ+1}ᵀ δ_{ℓ+1}. X: every layer's inputs (layerInputs).
 */
export function backprop(model: MLP, X: Float64Array[], s: number, g: Float64Array, visit: (l: number, delta: Float64Array) => void): void {
  const layers = model.layers;
  for (let l = layers.length - 1; ; l--) {
    visit(l, g);
    if (l === 0) return;
    const W = layers[l].weight,
      d = layers[l].inFeatures,
      y = X[l].subarray(s * d, s * d + d),
      below = new Float64Array(d);
    for (let j = 0; j < g.length; j++) if (g[j] !== 0) for (let i = 0; i < d; i++) below[i] += W[j * d + i] * g[j];
    for (let i = 0; i < d; i++) below[i] *= derivativeFromOutput(y[i], layers[l - 1].activation);
    g = below;
  }
}

/** M += g gᵀ on the upper triangle (r × r; outputFisherFactors mirrors it at the end). */
function addOuter(M: Float64Array, g: Float64Array, r: number): void {
  for (let a = 0; a < r; a++) {
    const ga = g[a];
    if (ga === 0) continue; // ReLU's inactive units
    const row = a * r;
    for (let b = a; b < r; b++) M[row + b] += ga * g[b];
  }
}

/**
 * The factor per output row that carries a layer's OBS saliency to the loss: 1/[G_damped⁻¹]_rr
 * ('kfac') or G_rr ('kfac-diag'), G damped as H is (G + λ·mean(diag G)·I), so a row no gradient
 * reaches (a dead neuron) gets a small positive factor, not 0 or ∞.
 */
export function rowFactors(G: Float64Array, r: number, curvature: 'kfac' | 'kfac-diag', dampening = DEFAULT_DAMPENING): Float64Array {
  let trace = 0;
  for (let a = 0; a < r; a++) trace += G[a * r + a];
  const damp = dampening * (trace > 0 ? trace / r : 1);
  const out = new Float64Array(r);
  if (curvature === 'kfac-diag') {
    for (let a = 0; a < r; a++) out[a] = G[a * r + a] + damp;
    return out;
  }
  const Gd = G.slice();
  for (let a = 0; a < r; a++) Gd[a * r + a] += damp;
  const inv = inverseFromCholesky(cholesky(Gd, r), r);
  for (let a = 0; a < r; a++) out[a] = 1 / inv[a * r + a];
  return out;
}

/** Every layer's row factors (see rowFactors) for the model as it is now; undefined for 'layer' (all 1) and the block Fishers (fisher.ts). */
export function modelRowFactors(model: MLP, calib: CalibrationSet, curvature: ObsCurvature, dampening?: number): Float64Array[] | undefined {
  if (curvature === 'layer' || curvature === 'fisher' || curvature === 'fisher-true') return undefined;
  return outputFisherFactors(model, calib).map((G, l) => rowFactors(G, model.layers[l].outFeatures, curvature, dampening));
}
