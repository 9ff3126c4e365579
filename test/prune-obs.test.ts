/**
 * Layer-wise OBS (src/prune/obs.ts) against explicit float64 computations: Hessians, inverses, the
 * SparseGPT column sweep redone with an explicitly inverted H_F for every column, the classic
 * one-weight OBS step against brute-force least squares, and pruneModel's counts and mask composition.
 */
import { describe, expect, it } from 'vitest';
import {
  cholesky,
  inverseCholeskyUpper,
  inverseFromCholesky,
  layerHessian,
  layerInputs,
  obsPrune,
  obsScores,
  reconstructionError,
  sparseGptLayer,
  type CalibrationSet,
} from '../src/prune/obs.js';
import { pruneModel, type PruneContext } from '../src/prune/prune.js';
import { PRUNING_SCHEDULE_NAMES } from '../src/prune/schedules.js';
import { maskForAmount } from '../src/prune/threshold.js';
import { calibrationSamples } from '../src/prune/trainer.js';
import { rng } from './helpers/rng.js';
import { tinyModel } from './helpers/models.js';
import { invert } from './helpers/linalg.js';

/** n samples of d correlated features (a random mixing of d/2 sources plus noise), row-major. */
function correlated(n: number, d: number, seed: number): Float64Array {
  const r = rng(seed);
  const k = Math.max(1, Math.floor(d / 2));
  const mix = Array.from({ length: k * d }, () => r.uniform());
  const X = new Float64Array(n * d);
  for (let s = 0; s < n; s++) {
    const src = Array.from({ length: k }, () => r.uniform());
    for (let i = 0; i < d; i++) {
      let v = 0.1 * r.uniform();
      for (let j = 0; j < k; j++) v += src[j] * mix[j * d + i];
      X[s * d + i] = v;
    }
  }
  return X;
}

const at = (H: Float64Array, d: number) => (i: number, j: number) => H[i * d + j];
const sub = (H: Float64Array, d: number, F: number[]) => F.map((i) => F.map((j) => at(H, d)(i, j)));

/**
 * The SparseGPT sweep written the slow, obvious way: at column q, F = {q, …, d−1}, invert H_FF
 * explicitly; blocks of `block` columns choose their pruned entries by the lowest w_q²/[H_F⁻¹]_qq
 * (same count per block as the plan); each pruned w_q is removed by the OBS step restricted to F,
 * δw_F = −(w_q/[H_F⁻¹]_qq)·[H_F⁻¹]_{:,q}.
 */
function bruteSparseGpt(W0: Float64Array, rows: number, d: number, H: Float64Array, plan: Uint8Array, old: Uint8Array, block: number) {
  const W = W0.slice();
  const mask = old.slice();
  const inv: number[][][] = [];
  for (let q = 0; q < d; q++)
    inv.push(
      invert(
        sub(
          H,
          d,
          Array.from({ length: d - q }, (_, k) => q + k),
        ),
      ),
    );
  for (let c0 = 0; c0 < d; c0 += block) {
    const c1 = Math.min(d, c0 + block);
    const cand: number[] = [];
    let want = 0;
    for (let r = 0; r < rows; r++)
      for (let q = c0; q < c1; q++)
        if (mask[r * d + q]) {
          cand.push(r * d + q);
          if (!plan[r * d + q]) want++;
        }
    const score = (i: number) => (W[i] * W[i]) / inv[i % d][0][0];
    cand.sort((a, b) => score(a) - score(b) || a - b);
    for (let k = 0; k < want; k++) mask[cand[k]] = 0;
    for (let q = c0; q < c1; q++) {
      const Hi = inv[q];
      for (let r = 0; r < rows; r++) {
        if (mask[r * d + q]) continue;
        const f = W[r * d + q] / Hi[0][0];
        for (let k = 0; k < d - q; k++) W[r * d + q + k] -= f * Hi[k][0];
        W[r * d + q] = 0;
      }
    }
  }
  return { W, mask };
}

describe('obs linear algebra', () => {
  const n = 40,
    d = 6;
  const X = correlated(n, d, 3);
  const H = layerHessian(X, n, d, 0.01);

  it('H = 2·XᵀX/n + λ·mean(diag)·I, computed explicitly', () => {
    const raw = Array.from({ length: d * d }, (_, k) => {
      let t = 0;
      for (let s = 0; s < n; s++) t += X[s * d + Math.floor(k / d)] * X[s * d + (k % d)];
      return (2 * t) / n;
    });
    const mean = Array.from({ length: d }, (_, i) => raw[i * d + i]).reduce((a, b) => a + b) / d;
    raw.forEach((v, k) => expect(H[k]).toBeCloseTo(v + (Math.floor(k / d) === k % d ? 0.01 * mean : 0), 12));
  });

  it("the Cholesky factor reproduces H, its inverse is Gauss–Jordan's, and UᵀU = H⁻¹", () => {
    const L = cholesky(H, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let t = 0;
        for (let k = 0; k < d; k++) t += L[i * d + k] * L[j * d + k];
        expect(t).toBeCloseTo(H[i * d + j], 10);
      }
    const inv = inverseFromCholesky(L, d);
    const gj = invert(sub(H, d, [0, 1, 2, 3, 4, 5]));
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) expect(inv[i * d + j]).toBeCloseTo(gj[i][j], 8);
    const U = inverseCholeskyUpper(H, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        if (j < i) expect(U[i * d + j]).toBe(0);
        let t = 0;
        for (let k = 0; k < d; k++) t += U[k * d + i] * U[k * d + j];
        expect(t).toBeCloseTo(gj[i][j], 8);
      }
  });

  it('refuses a dampening ≤ 0 and a matrix that is not positive definite', () => {
    expect(() => layerHessian(X, n, d, 0)).toThrow(/dampening must be > 0/);
    expect(() => cholesky(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/not positive definite/);
  });
});

describe('SparseGPT sweep against explicit inverse Hessians (float64)', () => {
  const rows = 4,
    d = 7,
    n = 30;
  const X = correlated(n, d, 5);
  const H = layerHessian(X, n, d, 0.01);
  const U = inverseCholeskyUpper(H, d);
  const r = rng(9);
  const W0 = Float64Array.from({ length: rows * d }, () => r.uniform());

  for (const block of [3, 128]) {
    it(`same masks and weights as the column-by-column OBS with H_F⁻¹ inverted explicitly (blocks of ${block})`, () => {
      const old = new Uint8Array(rows * d).fill(1);
      old[2] = 0;
      old[d + 5] = 0; // composed with earlier pruning
      const W = W0.slice();
      W[2] = 0;
      W[d + 5] = 0;
      const plan = old.slice();
      [0, 4, 9, 13, 15, 20, 24, 26].forEach((i) => {
        plan[i] = 0;
      });
      const brute = bruteSparseGpt(W, rows, d, H, plan, old, block);
      const mask = sparseGptLayer(W, rows, d, U, old, { kind: 'count', plan }, block);
      expect(Array.from(mask)).toEqual(Array.from(brute.mask));
      W.forEach((w, i) => expect(w).toBeCloseTo(brute.W[i], 9));
      // Exact counts: as many pruned as planned, earlier pruned stay pruned (and zero).
      expect(mask.filter((m) => m === 0).length).toBe(plan.filter((m) => m === 0).length);
      expect(mask[2]).toBe(0);
      expect(mask[d + 5]).toBe(0);
      mask.forEach((m, i) => {
        if (!m) expect(W[i]).toBe(0);
      });
    });
  }

  it('removing one weight is the classic OBS step, the least-squares optimum found by brute force', () => {
    // Prune column 0 of every row: SparseGPT's update then covers every other column, i.e. full OBS.
    const fixed = new Uint8Array(rows * d).fill(1);
    for (let rr = 0; rr < rows; rr++) fixed[rr * d] = 0;
    const W = W0.slice();
    sparseGptLayer(W, rows, d, U, new Uint8Array(rows * d).fill(1), { kind: 'fixed', mask: fixed });
    // Brute force: ŵ_K = argmin (w − ŵ)ᵀ H (w − ŵ) with ŵ_0 = 0, i.e. H_KK ŵ_K = (H w)_K, solved by explicit inversion.
    const K = Array.from({ length: d - 1 }, (_, k) => k + 1);
    const HKKinv = invert(sub(H, d, K));
    for (let rr = 0; rr < rows; rr++) {
      const w = Array.from(W0.subarray(rr * d, rr * d + d));
      const rhs = K.map((i) => w.reduce((a, wj, j) => a + H[i * d + j] * wj, 0));
      const opt = K.map((_, a) => rhs.reduce((t, v, b) => t + HKKinv[a][b] * v, 0));
      expect(W[rr * d]).toBe(0);
      K.forEach((q, a) => expect(W[rr * d + q]).toBeCloseTo(opt[a], 9));
    }
  });

  it("the reconstruction error ‖WX − ŴX‖² is below magnitude's on the same budget (per layer, unstructured and 2:4)", () => {
    const rw = 12,
      dd = 16,
      nn = 64;
    const XX = correlated(nn, dd, 11);
    const UU = inverseCholeskyUpper(layerHessian(XX, nn, dd, 0.01), dd);
    const r2 = rng(13);
    const before = Float64Array.from({ length: rw * dd }, () => r2.uniform());
    const all = new Uint8Array(rw * dd).fill(1);
    for (const sparsity of [0.5, 0.75, 0.9]) {
      const magMask = maskForAmount([before.map(Math.abs)], [all], { sparsity }, { pruned: 0, total: all.length })[0];
      const magnitude = before.map((w, i) => (magMask[i] ? w : 0));
      const W = before.slice();
      const mask = sparseGptLayer(W, rw, dd, UU, all, { kind: 'count', plan: magMask });
      expect(mask.filter((m) => !m).length).toBe(magMask.filter((m) => !m).length);
      expect(reconstructionError(before, W, rw, XX, nn, dd)).toBeLessThan(reconstructionError(before, magnitude, rw, XX, nn, dd));
    }
    const W = before.slice();
    const mask = sparseGptLayer(W, rw, dd, UU, all, { kind: 'nm', n: 2, m: 4 });
    const nmMag = before.slice();
    for (let g = 0; g < nmMag.length; g += 4) {
      const idx = [0, 1, 2, 3].map((k) => g + k).sort((a, b) => Math.abs(before[a]) - Math.abs(before[b]));
      nmMag[idx[0]] = 0;
      nmMag[idx[1]] = 0;
    }
    for (let g = 0; g < mask.length; g += 4) expect(mask[g] + mask[g + 1] + mask[g + 2] + mask[g + 3]).toBe(2);
    expect(reconstructionError(before, W, rw, XX, nn, dd)).toBeLessThan(reconstructionError(before, nmMag, rw, XX, nn, dd));
  });
});

describe('obsPrune: the bias and the refit, against explicit least squares', () => {
  const n = 40;
  const r = rng(31);
  const calibration: CalibrationSet = { features: r.f32(n * 5, 0, 1), nSamples: n, nFeatures: 5 };
  /** Explicit H = 2·AᵀA/n + λ·mean(diag)·I and G = 2·AᵀB/n for row-major n × e sample matrices A, B. */
  const gram = (A: number[][], B: number[][], damp: boolean) => {
    const e = A[0].length;
    const M = Array.from({ length: e }, (_, a) => Array.from({ length: e }, (_, b) => A.reduce((t, x, s) => t + (2 * x[a] * B[s][b]) / n, 0)));
    if (damp) {
      const mean = M.reduce((t, row, a) => t + row[a], 0) / e;
      M.forEach((row, a) => {
        row[a] += 0.01 * mean;
      });
    }
    return M;
  };
  const rowsOf = (X: Float64Array, d: number) => Array.from({ length: n }, (_, s) => [...X.subarray(s * d, s * d + d), 1]);

  it('the bias is a never-pruned weight on a constant 1: pruning column 0 is least squares over [w₁…, b]', () => {
    const m = tinyModel([5, 3], 2);
    const before = m.layers[0];
    const W0 = before.weight.slice(),
      b0 = before.bias.slice();
    const fixed = new Uint8Array(15).fill(1);
    for (let j = 0; j < 3; j++) fixed[j * 5] = 0;
    obsPrune(m, [{ kind: 'fixed', mask: fixed }], { calibration });
    const A = rowsOf(layerInputs(tinyModel([5, 3], 2), calibration)[0], 5);
    const H = gram(A, A, true);
    const K = [1, 2, 3, 4, 5]; // the kept weights and the bias (column 5)
    const inv = invert(K.map((a) => K.map((b) => H[a][b])));
    for (let j = 0; j < 3; j++) {
      const w = [...W0.subarray(j * 5, j * 5 + 5), b0[j]];
      const rhs = K.map((a) => w.reduce((t, wb, b) => t + H[a][b] * wb, 0));
      const opt = K.map((_, a) => rhs.reduce((t, v, b) => t + inv[a][b] * v, 0));
      expect(m.layers[0].weight[j * 5]).toBe(0);
      for (let k = 0; k < 4; k++) expect(m.layers[0].weight[j * 5 + 1 + k]).toBeCloseTo(opt[k], 5);
      expect(m.layers[0].bias[j]).toBeCloseTo(opt[4], 5);
      expect(m.layers[0].bias[j]).not.toBeCloseTo(b0[j], 3); // it was corrected
    }
  });

  it("a layer after a pruned one is refitted to its outputs before the step: V = H'⁻¹·G·w", () => {
    const m = tinyModel([5, 4, 3], 3, 'tanh');
    const orig = tinyModel([5, 4, 3], 3, 'tanh');
    const prune0 = new Uint8Array(20).fill(1);
    [0, 6, 12, 18].forEach((i) => {
      prune0[i] = 0;
    });
    obsPrune(
      m,
      [
        { kind: 'fixed', mask: prune0 },
        { kind: 'fixed', mask: new Uint8Array(12).fill(1) },
      ],
      { calibration },
    );
    const Xd = rowsOf(layerInputs(orig, calibration)[1], 4); // layer 1's inputs before the step
    const Xp = rowsOf(layerInputs(m, calibration)[1], 4); // … and through the pruned layer 0
    const Hinv = invert(gram(Xp, Xp, true));
    const G = gram(Xp, Xd, false);
    const L = orig.layers[1];
    for (let j = 0; j < 3; j++) {
      const w = [...L.weight.subarray(j * 4, j * 4 + 4), L.bias[j]];
      const Gw = G.map((row) => row.reduce((t, g, b) => t + g * w[b], 0));
      const v = Hinv.map((row) => row.reduce((t, h, b) => t + h * Gw[b], 0));
      for (let k = 0; k < 4; k++) expect(m.layers[1].weight[j * 4 + k]).toBeCloseTo(v[k], 5);
      expect(m.layers[1].bias[j]).toBeCloseTo(v[4], 5);
    }
  });
});

describe('obs through pruneModel', () => {
  const sizes = [8, 6, 5, 3];
  const calib = (): CalibrationSet => {
    const r = rng(21);
    return { features: r.f32(64 * 8), nSamples: 64, nFeatures: 8 };
  };
  const ctx = (): PruneContext => ({ calibration: calib(), fineTune: async () => undefined, stepsPerEpoch: 2 });
  const zeros = (a: Float32Array) => a.filter((w) => w === 0).length;

  it('exact counts per layer (layer scope) and in total (global), weights corrected, masks composed', async () => {
    const input = tinyModel(sizes, 4);
    const { model } = await pruneModel(input, ctx(), { amount: { sparsity: 0.5 }, criterion: 'obs', scope: 'layer', minDensity: 0 });
    model.layers.forEach((L) => expect(zeros(L.weight)).toBe(Math.round(0.5 * L.weight.length)));
    // Weight correction: some kept weights differ from the input's.
    const changed = model.layers[0].weight.some((w, i) => w !== 0 && w !== input.layers[0].weight[i]);
    expect(changed).toBe(true);
    const { model: more } = await pruneModel(model, ctx(), { amount: { sparsity: 0.8 }, criterion: 'obs', scope: 'global', minDensity: 0 });
    const total = more.layers.reduce((a, L) => a + L.weight.length, 0);
    expect(more.layers.reduce((a, L) => a + zeros(L.weight), 0)).toBe(Math.round(0.8 * total));
    more.layers.forEach((L, l) => {
      L.mask!.forEach((m, i) => {
        if (!model.layers[l].mask![i]) expect(m).toBe(0); // pruned before: still pruned
        if (!m) expect(L.weight[i]).toBe(0);
      });
    });
  });

  it("the last layer's calibration inputs pass through the earlier (pruned) layers", () => {
    const m = tinyModel(sizes, 4);
    const X = layerInputs(m, calib());
    expect(X.map((x) => x.length)).toEqual([64 * 8, 64 * 6, 64 * 5]);
    expect(obsScores(m, { calibration: calib() }).map((s) => s.length)).toEqual(m.layers.map((L) => L.weight.length));
  });

  for (const schedule of PRUNING_SCHEDULE_NAMES) {
    it(`works with the ${schedule} schedule`, async () => {
      const input = tinyModel(sizes, 6);
      const rewindTo = schedule === 'lottery' ? tinyModel(sizes, 7) : undefined;
      const { model } = await pruneModel(input, ctx(), {
        amount: { sparsity: 0.6 },
        criterion: 'obs',
        schedule,
        finetuneEpochs: 1,
        scope: 'global',
        minDensity: 0,
        rewindTo,
      });
      const total = model.layers.reduce((a, L) => a + L.weight.length, 0);
      expect(model.layers.reduce((a, L) => a + zeros(L.weight), 0)).toBe(Math.round(0.6 * total));
    });
  }

  it('N:M with OBS: every group of M keeps N', async () => {
    const { model } = await pruneModel(tinyModel(sizes, 8), ctx(), { criterion: 'obs', structured: { kind: 'nm', n: 1, m: 2 }, layers: [0, 1] });
    for (const l of [0, 1]) {
      const L = model.layers[l];
      for (let g = 0; g < L.weight.length; g += 2) expect((L.weight[g] !== 0 ? 1 : 0) + (L.weight[g + 1] !== 0 ? 1 : 0)).toBeLessThanOrEqual(1);
      expect(L.mask!.filter((m) => m === 0).length).toBe(L.weight.length / 2);
    }
    expect(model.layers[2].mask).toBeUndefined();
  });

  it('without calibration samples it says what is missing', async () => {
    await expect(pruneModel(tinyModel(sizes, 4), {}, { amount: { sparsity: 0.5 }, criterion: 'obs' })).rejects.toThrow(
      /criterion obs needs calibration samples/,
    );
  });

  it('calibration samples are drawn from the training set, seeded, at most all of it', () => {
    const ds = {
      features: Float32Array.from({ length: 10 * 2 }, (_, i) => i),
      labels: new Int32Array(10),
      nSamples: 10,
      nFeatures: 2,
      featureNames: [],
      labelNames: [],
      source: 't',
    };
    const a = calibrationSamples(ds, 4, 1);
    expect(a.nSamples).toBe(4);
    expect(Array.from(a.features)).toEqual(Array.from(calibrationSamples(ds, 4, 1).features));
    for (let k = 0; k < 4; k++) expect(a.features[2 * k + 1]).toBe(a.features[2 * k] + 1); // whole rows
    expect(calibrationSamples(ds, 99, 1).nSamples).toBe(10);
    expect(() => calibrationSamples(ds, 0, 1)).toThrow(/calibration must be a whole number/);
  });
});
