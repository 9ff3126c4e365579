/**
 * The block Fisher of src/prune/fisher.ts against plain references: per-sample gradients
 * from central differences of each sample's cross-entropy, the Fisher block formed from them by hand
 * and inverted explicitly (Gauss–Jordan), the saliencies, and the multi-weight OBS step checked by
 * its optimality condition F_KK·δw_K + F_KQ·δw_Q = 0.
 */
import { describe, expect, it } from 'vitest';
import type { MLP } from '../src/nn/model.js';
import { fisherPrune, fisherScores, sampleWeights } from '../src/prune/fisher.js';
import { outputFisherFactors } from '../src/prune/kfac.js';
import { CRITERIA, scoreModel } from '../src/prune/criteria.js';
import type { CalibrationSet } from '../src/prune/obs.js';
import { rng } from './helpers/rng.js';
import { tinyModel } from './helpers/models.js';
import { invert } from './helpers/linalg.js';

function calib(n: number, d: number, k: number, seed: number): CalibrationSet {
  const r = rng(seed);
  return {
    features: Float32Array.from({ length: n * d }, () => r.uniform() * 2 - 1),
    nSamples: n,
    nFeatures: d,
    labels: Int32Array.from({ length: n }, () => r.int(k)),
  };
}

/** Cross-entropy of sample s in float64, with weight (l, i) moved by h. */
function sampleLoss(m: MLP, c: CalibrationSet, s: number, l: number, i: number, h: number): number {
  const act = (v: number, a: string) => (a === 'relu' ? Math.max(0, v) : a === 'tanh' ? Math.tanh(v) : v);
  let a = Array.from(c.features.subarray(s * c.nFeatures, (s + 1) * c.nFeatures));
  m.layers.forEach((L, k) => {
    a = Array.from({ length: L.outFeatures }, (_, j) => {
      let t = L.bias[j];
      for (let q = 0; q < L.inFeatures; q++) t += (L.weight[j * L.inFeatures + q] + (k === l && j * L.inFeatures + q === i ? h : 0)) * a[q];
      return act(t, L.activation);
    });
  });
  const mx = Math.max(...a);
  return mx + Math.log(a.reduce((t, v) => t + Math.exp(v - mx), 0)) - a[c.labels![s]];
}

/** Per-sample gradients of layer l's weights by central differences: g[s][i]. */
function fdGradients(m: MLP, c: CalibrationSet, l: number): number[][] {
  const h = 1e-6;
  return Array.from({ length: c.nSamples }, (_, s) =>
    Array.from(m.layers[l].weight, (_, i) => (sampleLoss(m, c, s, l, i, h) - sampleLoss(m, c, s, l, i, -h)) / (2 * h)),
  );
}

/** The hand-made Fisher of layer l on weights `idx` (flat indices), damped as fisher.ts damps: λ·mean diag over the whole layer. */
function referenceF(g: number[][], idx: number[], dampening: number): number[][] {
  const n = g.length,
    all = g[0].length;
  let trace = 0;
  for (const gs of g) for (const v of gs) trace += (v * v) / n;
  const damp = dampening * (trace / all);
  return idx.map((a) => idx.map((b) => g.reduce((t, gs) => t + (gs[a] * gs[b]) / n, 0) + (a === b ? damp : 0)));
}

const close = (a: number, b: number, rel = 1e-4) => expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.max(Math.abs(b), 1e-12));

describe('sampleWeights (empirical): δ_{n,r}²·x_{n,c}² is the square of each sample’s gradient of W[r, c]', () => {
  for (const act of ['tanh', 'relu'] as const) {
    it(`matches central differences of the per-sample cross-entropy (${act})`, () => {
      const m = tinyModel([5, 4, 3, 3], 3, act);
      const c = calib(6, 5, 3, 7);
      const { X, S } = sampleWeights(m, c, 'empirical');
      m.layers.forEach((L, l) => {
        const g = fdGradients(m, c, l);
        for (let s = 0; s < c.nSamples; s++)
          for (let r = 0; r < L.outFeatures; r++)
            for (let q = 0; q < L.inFeatures; q++)
              expect(S[l][s * L.outFeatures + r] * X[l][s * L.inFeatures + q] ** 2).toBeCloseTo(g[s][r * L.inFeatures + q] ** 2, 6);
      });
    });
  }
  it('refuses calibration samples without labels', () => {
    const c = calib(3, 5, 3, 1);
    expect(() => sampleWeights(tinyModel([5, 3], 1), { ...c, labels: undefined }, 'empirical')).toThrow(/labels/);
  });
});

describe('sampleWeights (true): each sample’s weight in a row’s Fisher', () => {
  it('averages to the diagonal of K-FAC’s output factor G (its expectation over y ~ p(y|x))', () => {
    const m = tinyModel([5, 4, 3, 3], 3, 'tanh');
    const c = calib(6, 5, 3, 7);
    const { S } = sampleWeights(m, c, 'true');
    const G = outputFisherFactors(m, c);
    m.layers.forEach((L, l) => {
      const r = L.outFeatures;
      for (let j = 0; j < r; j++) {
        let mean = 0;
        for (let s = 0; s < c.nSamples; s++) mean += S[l][s * r + j] / c.nSamples;
        expect(mean).toBeCloseTo(G[l][j * r + j], 10);
      }
    });
  });
});

describe('fisherScores: w_q² / (2·[F_blk⁻¹]_qq) under the block-diagonal empirical Fisher', () => {
  const m = tinyModel([5, 4, 3], 5, 'tanh');
  const c = calib(9, 5, 3, 2);
  for (const block of [1, 2, 5]) {
    it(`matches the explicit inverse of the hand-made block (B = ${block})`, () => {
      const scores = fisherScores(m, { calibration: c, block, dampening: 0.05 });
      m.layers.forEach((L, l) => {
        const g = fdGradients(m, c, l),
          d = L.inFeatures;
        for (let r = 0; r < L.outFeatures; r++) {
          for (let c0 = 0; c0 < d; c0 += block) {
            const idx = Array.from({ length: Math.min(block, d - c0) }, (_, k) => r * d + c0 + k);
            const inv = invert(referenceF(g, idx, 0.05));
            idx.forEach((i, a) => close(scores[l][i], L.weight[i] ** 2 / (2 * inv[a][a]), 1e-3));
          }
        }
      });
    });
  }
  it('B = 1 is the damped diagonal Fisher: ½·(F_qq + λ)·w² (OBD)', () => {
    const s1 = fisherScores(m, { calibration: c, block: 1, dampening: 0.05 });
    const g = fdGradients(m, c, 0);
    m.layers[0].weight.forEach((w, i) => close(s1[0][i], 0.5 * referenceF(g, [i], 0.05)[0][0] * w * w, 1e-3));
  });
  it('leaves already-pruned weights out of the block: the others score as if they were absent', () => {
    const p = tinyModel([5, 4, 3], 5, 'tanh');
    p.layers[0].mask = new Uint8Array(20).fill(1);
    p.layers[0].mask[1] = 0;
    p.layers[0].weight[1] = 0;
    const s = fisherScores(p, { calibration: c, block: 5, dampening: 0.05 });
    const g = fdGradients(p, c, 0);
    const inv = invert(referenceF(g, [0, 2, 3, 4], 0.05));
    [0, 2, 3, 4].forEach((i, a) => close(s[0][i], p.layers[0].weight[i] ** 2 / (2 * inv[a][a]), 1e-3));
  });
  it('rejects a block size that is not a whole number ≥ 1', () => {
    expect(() => fisherScores(m, { calibration: c, block: 0 })).toThrow(/block size/);
  });
});

describe('fisherPrune: the multi-weight OBS step inside each block', () => {
  const c = calib(9, 6, 3, 4);
  it('zeroes the planned weights and moves the kept ones of their block to the optimum of ½δwᵀFδw', () => {
    const m = tinyModel([6, 4, 3], 8, 'tanh');
    const before = Float64Array.from(m.layers[0].weight);
    m.layers[0].mask = new Uint8Array(24).fill(1);
    m.layers[0].mask[5] = 0; // pruned before: held at 0, out of the problem
    m.layers[0].weight[5] = before[5] = 0;
    const g = fdGradients(m, c, 0);
    const plan = new Uint8Array(24).fill(1);
    plan[0] = plan[2] = 0; // row 0, block [0, 3): Q = {0, 2}, K = {1}
    plan[4] = 0; // row 0, block [3, 6): Q = {4}, K = {3}; 5 was pruned before
    fisherPrune(m, [plan, undefined], { calibration: c, block: 3, dampening: 0.05 });
    const W = m.layers[0].weight;
    for (const q of [0, 2, 4, 5]) expect(W[q]).toBe(0);
    expect(Array.from(m.layers[0].mask!.subarray(0, 6))).toEqual([0, 1, 0, 1, 0, 0]);
    for (let i = 6; i < 24; i++) expect(W[i]).toBe(Math.fround(before[i])); // blocks with nothing to prune are untouched
    expect(m.layers[1].mask).toBeUndefined();
    for (const [blockIdx, K] of [
      [[0, 1, 2], [1]],
      [[3, 4], [3]],
    ] as const) {
      const F = referenceF(g, [...blockIdx], 0.05);
      const dw = blockIdx.map((i) => W[i] - before[i]);
      // Optimality on the kept weights: (F·δw)_K = 0, δw_Q = −w_Q.
      blockIdx.forEach((i, a) => {
        if (!(K as readonly number[]).includes(i)) return;
        const t = F[a].reduce((s, f, b) => s + f * dw[b], 0);
        expect(Math.abs(t)).toBeLessThan(1e-4 * F[a][a] * Math.abs(dw.reduce((s, v) => s + Math.abs(v), 0)) + 1e-9);
      });
      expect(dw.some((v, a) => (K as readonly number[]).includes(blockIdx[a]) && v !== 0)).toBe(true); // a correction was made
    }
  });
});

describe('obs with obsCurvature fisher', () => {
  const m = tinyModel([6, 4, 3], 8, 'tanh');
  const c = calib(9, 6, 3, 4);
  it('scores with fisherScores and refuses N:M', () => {
    const inputs = { calibration: c, obsCurvature: 'fisher' as const, obsBlock: 2, dampening: 0.05 };
    const s = scoreModel(m, 'obs', inputs);
    const ref = fisherScores(m, { calibration: c, block: 2, dampening: 0.05 });
    s.forEach((L, l) => expect(Array.from(L)).toEqual(Array.from(ref[l])));
    expect(() => CRITERIA.obs.prune!(m, { kind: 'nm', n: 2, m: 4, layers: [0] }, inputs)).toThrow(/N:M/);
  });
});
