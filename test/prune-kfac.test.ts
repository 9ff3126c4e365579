/**
 * K-FAC's output factor (src/prune/kfac.ts) against plain references: G from finite-difference loss
 * gradients with the label enumerated (the true Fisher's expectation over y ~ p(y|x), written out),
 * the row factors against an explicit inverse, the carried saliency against the OBS saliency of the
 * explicit Kronecker product F = A ⊗ G, and the row weights inside the adaptive selection.
 */
import { describe, expect, it } from 'vitest';
import type { MLP } from '../src/nn/model.js';
import { modelRowFactors, outputFisherFactors, rowFactors } from '../src/prune/kfac.js';
import { inverseCholeskyUpper, layerHessian, layerInputs, obsScores, sparseGptLayer, withOnes, type CalibrationSet } from '../src/prune/obs.js';
import { rng } from './helpers/rng.js';
import { tinyModel } from './helpers/models.js';
import { invert } from './helpers/linalg.js';

function calib(n: number, d: number, seed: number): CalibrationSet {
  const r = rng(seed);
  return { features: Float32Array.from({ length: n * d }, () => r.uniform() * 2 - 1), nSamples: n, nFeatures: d };
}

/** Logits from layer l's pre-activations z (float64, plain): act(z), then the layers above. */
function logitsFrom(m: MLP, l: number, z: number[]): number[] {
  const act = (v: number, a: string) => (a === 'relu' ? Math.max(0, v) : a === 'tanh' ? Math.tanh(v) : a === 'logistic' ? 1 / (1 + Math.exp(-v)) : v);
  let a = z.map((v) => act(v, m.layers[l].activation));
  for (let k = l + 1; k < m.layers.length; k++) {
    const L = m.layers[k];
    a = Array.from({ length: L.outFeatures }, (_, j) => {
      let t = L.bias[j];
      for (let i = 0; i < L.inFeatures; i++) t += L.weight[j * L.inFeatures + i] * a[i];
      return act(t, L.activation);
    });
  }
  return a;
}

const logSoftmax = (v: number[]) => {
  const mx = Math.max(...v);
  const lse = mx + Math.log(v.reduce((s, x) => s + Math.exp(x - mx), 0));
  return v.map((x) => x - lse);
};

/** G_l = mean_s Σ_y p_y ∇_z ℓ_y ∇_z ℓ_yᵀ, ℓ_y = −log softmax_y, ∇ by central differences at z_l. */
function referenceG(m: MLP, c: CalibrationSet, l: number): number[][] {
  const X = layerInputs(m, c);
  const L = m.layers[l],
    r = L.outFeatures,
    d = L.inFeatures,
    h = 1e-6;
  const G = Array.from({ length: r }, () => new Array<number>(r).fill(0));
  for (let s = 0; s < c.nSamples; s++) {
    const z = Array.from({ length: r }, (_, j) => {
      let t = L.bias[j];
      for (let i = 0; i < d; i++) t += L.weight[j * d + i] * X[l][s * d + i];
      return t;
    });
    const p = logSoftmax(logitsFrom(m, l, z)).map(Math.exp);
    for (let y = 0; y < p.length; y++) {
      const g = z.map((_, j) => {
        const up = z.slice(),
          dn = z.slice();
        up[j] += h;
        dn[j] -= h;
        return (-logSoftmax(logitsFrom(m, l, up))[y] + logSoftmax(logitsFrom(m, l, dn))[y]) / (2 * h);
      });
      for (let a = 0; a < r; a++) for (let b = 0; b < r; b++) G[a][b] += (p[y] * g[a] * g[b]) / c.nSamples;
    }
  }
  return G;
}

describe('outputFisherFactors: the true Fisher of each layer’s pre-activations', () => {
  for (const act of ['tanh', 'relu', 'logistic'] as const) {
    it(`matches finite-difference loss gradients with the label enumerated (${act})`, () => {
      const m = tinyModel([5, 4, 3, 3], 3, act);
      const c = calib(7, 5, 11);
      const G = outputFisherFactors(m, c);
      m.layers.forEach((L, l) => {
        const ref = referenceG(m, c, l);
        for (let a = 0; a < L.outFeatures; a++) {
          for (let b = 0; b < L.outFeatures; b++) expect(G[l][a * L.outFeatures + b]).toBeCloseTo(ref[a][b], 6);
        }
      });
    });
  }

  it('is diag(p) − ppᵀ averaged over the samples at the logits (closed form)', () => {
    const m = tinyModel([4, 3], 5);
    const c = calib(6, 4, 2);
    const G = outputFisherFactors(m, c)[0];
    const X = layerInputs(m, c)[0];
    const ref = new Array<number>(9).fill(0);
    for (let s = 0; s < 6; s++) {
      const z = [0, 1, 2].map((j) => m.layers[0].bias[j] + [0, 1, 2, 3].reduce((t, i) => t + m.layers[0].weight[j * 4 + i] * X[s * 4 + i], 0));
      const p = logSoftmax(z).map(Math.exp);
      for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) ref[a * 3 + b] += ((a === b ? p[a] : 0) - p[a] * p[b]) / 6;
    }
    ref.forEach((v, i) => expect(G[i]).toBeCloseTo(v, 12));
  });
});

describe('rowFactors', () => {
  const G = Float64Array.from([4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2]);
  it("'kfac' is 1/[G⁻¹]_rr of the damped G, 'kfac-diag' its diagonal", () => {
    const damp = 0.01 * (9 / 3);
    // Explicit inverse of the damped 3 × 3 by cofactors.
    const a = Array.from(G);
    for (const i of [0, 4, 8]) a[i] += damp;
    const det = a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);
    const invDiag = [(a[4] * a[8] - a[5] * a[7]) / det, (a[0] * a[8] - a[2] * a[6]) / det, (a[0] * a[4] - a[1] * a[3]) / det];
    const k = rowFactors(G, 3, 'kfac', 0.01);
    invDiag.forEach((v, r) => expect(k[r]).toBeCloseTo(1 / v, 12));
    expect(Array.from(rowFactors(G, 3, 'kfac-diag', 0.01))).toEqual([4 + damp, 3 + damp, 2 + damp]);
    // 1/[G⁻¹]_rr is a Schur complement of G_rr: never above it, equal only without coupling.
    for (let r = 0; r < 3; r++) expect(k[r]).toBeLessThan(G[r * 4] + damp);
  });

  it('a diagonal G gives the same factors both ways', () => {
    const D = Float64Array.from([2, 0, 0, 0, 5, 0, 0, 0, 1]);
    const k = rowFactors(D, 3, 'kfac'),
      g = rowFactors(D, 3, 'kfac-diag');
    for (let r = 0; r < 3; r++) expect(k[r]).toBeCloseTo(g[r], 12);
  });

  it("'layer' gives no factors (every row weighs 1)", () => {
    expect(modelRowFactors(tinyModel([3, 2]), calib(4, 3, 1), 'layer')).toBeUndefined();
  });
});

describe('the carried saliency', () => {
  it('is, up to one constant for every layer, w²/(2[F⁻¹]_qq) of the explicit F = A ⊗ G', () => {
    const m = tinyModel([3, 4, 3], 7, 'tanh');
    const c = calib(40, 3, 9);
    const tiny = 1e-9; // dampening: as good as none, but still positive definite
    const rho = modelRowFactors(m, c, 'kfac', tiny)!;
    const scores = obsScores(m, { calibration: c, dampening: tiny, rowFactors: rho });
    const X = layerInputs(m, c);
    const G = outputFisherFactors(m, c);
    const ratios: number[] = [];
    m.layers.forEach((L, l) => {
      const d = L.inFeatures,
        e = d + 1,
        r = L.outFeatures;
      const A = layerHessian(withOnes(X[l], c.nSamples, d), c.nSamples, e, tiny).map((v) => v / 2); // E[x xᵀ] with the bias's 1
      const Gd = G[l].slice();
      let tr = 0;
      for (let a = 0; a < r; a++) tr += G[l][a * r + a];
      for (let a = 0; a < r; a++) Gd[a * r + a] += (tiny * tr) / r;
      // F = A ⊗ G over the weights ordered (column c, row r) → index c·r + row; invert it explicitly.
      const n = e * r;
      const F = Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => A[Math.floor(i / r) * e + Math.floor(j / r)] * Gd[(i % r) * r + (j % r)]),
      );
      const Finv = invert(F);
      for (let row = 0; row < r; row++) {
        for (let col = 0; col < d; col++) {
          const w = L.weight[row * d + col];
          const q = col * r + row;
          ratios.push(scores[l][row * d + col] / ((w * w) / (2 * Finv[q][q])));
        }
      }
    });
    // score = ρ_r·w²/[H⁻¹]_cc with H = 2A, ρ_r = 1/[G⁻¹]_rr: 4 × the loss increase w²/(2[A⁻¹]_cc[G⁻¹]_rr).
    for (const v of ratios) expect(v).toBeCloseTo(4, 4);
  });
});

describe('sparseGptLayer with row weights', () => {
  it('moves the pruning of a block to the rows that weigh less', () => {
    const rows = 3,
      d = 4,
      r = rng(4);
    const X = Float64Array.from({ length: 30 * d }, () => r.uniform());
    const U = inverseCholeskyUpper(layerHessian(X, 30, d), d);
    const W0 = Float64Array.from({ length: rows * d }, () => 0.5 + r.uniform());
    const plan = new Uint8Array(rows * d).fill(1);
    plan.fill(0, 0, d); // 4 weights to prune, planned in row 0
    const unweighted = sparseGptLayer(W0.slice(), rows, d, U, new Uint8Array(rows * d).fill(1), { kind: 'count', plan });
    const weighted = sparseGptLayer(
      W0.slice(),
      rows,
      d,
      U,
      new Uint8Array(rows * d).fill(1),
      { kind: 'count', plan },
      128,
      d,
      Float64Array.from([1e6, 1e6, 1]),
    );
    const prunedIn = (m: Uint8Array, row: number) => d - m.subarray(row * d, row * d + d).reduce((a, b) => a + b, 0);
    expect([0, 1, 2].map((row) => prunedIn(weighted, row))).toEqual([0, 0, 4]);
    expect([0, 1, 2].map((row) => prunedIn(unweighted, row)).reduce((a, b) => a + b)).toBe(4);
    expect(prunedIn(unweighted, 2)).toBeLessThan(4); // without the weights the choice is not that
  });
});
