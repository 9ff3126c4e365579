import { describe, expect, it } from 'vitest';
import { kthSmallest, percentile } from '../src/prune/select.js';
import { maskByCount, maskForAmount, validateAmount } from '../src/prune/threshold.js';
import { applyMask, composeMasks, pruneLayer } from '../src/prune/mask.js';
import { planMasks, hasPath } from '../src/prune/scope.js';
import { magnitudeScores } from '../src/prune/criteria.js';
import { rng } from './helpers/rng.js';
import { tinyModel, zeros } from './helpers/models.js';

describe('selection (Floyd–Rivest) and percentile', () => {
  it('matches a sorted reference on random arrays, with duplicates, small and > 600 long', () => {
    const r = rng(7);
    for (const n of [1, 2, 5, 31, 600, 601, 2500]) {
      const a = Float64Array.from({ length: n }, () => (r.next() < 0.3 ? r.int(5) : r.uniform(-3, 3)));
      const sorted = Array.from(a).sort((x, y) => x - y);
      for (const k of [0, n - 1, r.int(n), Math.floor(n / 2)]) expect(kthSmallest(a, k)).toBe(sorted[k]);
    }
  });
  it('does not modify its input', () => {
    const a = Float32Array.from([3, 1, 2]);
    kthSmallest(a, 0);
    expect(Array.from(a)).toEqual([3, 1, 2]);
  });
  it("follows NumPy's default 'linear' method (hand-computed)", () => {
    // np.percentile([1..10], 95) = 9.55 ; np.percentile([15, 20, 35, 40, 50], 40) = 29.0
    expect(percentile([10, 2, 9, 4, 5, 6, 7, 8, 3, 1], 95)).toBeCloseTo(9.55, 12);
    expect(percentile([50, 15, 40, 20, 35], 40)).toBeCloseTo(29, 12);
    expect(percentile([50, 15, 40, 20, 35], 0)).toBe(15);
    expect(percentile([50, 15, 40, 20, 35], 100)).toBe(50);
    expect(percentile([4], 37)).toBe(4);
  });
  it('matches the sort-based definition on random data', () => {
    const r = rng(3);
    const a = Array.from({ length: 1001 }, () => r.uniform());
    const s = [...a].sort((x, y) => x - y);
    for (const p of [1, 33.3, 50, 95, 99.9]) {
      const h = ((a.length - 1) * p) / 100,
        lo = Math.floor(h);
      expect(percentile(a, p)).toBeCloseTo(s[lo] + (h - lo) * (s[lo + 1] - s[lo]), 12);
    }
  });
});

describe('count-exact thresholds', () => {
  it('prunes exactly n, ties broken by index', () => {
    const scores = [new Float32Array(10).fill(0.5)];
    const m = maskByCount(scores, [new Uint8Array(10).fill(1)], 3);
    expect(Array.from(m[0])).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  });
  it('ties across segments (global): lowest first, then segment order', () => {
    const a = Float32Array.from([2, 1, 1, 3]);
    const b = Float32Array.from([1, 0, 2]);
    const m = maskByCount([a, b], [new Uint8Array(4).fill(1), new Uint8Array(3).fill(1)], 3);
    // 0 (b1) is lowest; then ties at 1: a1, a2, b0 → first two in order a1, a2
    expect(Array.from(m[0])).toEqual([1, 0, 0, 1]);
    expect(Array.from(m[1])).toEqual([1, 0, 1]);
  });
  it('prunes the n lowest on random scores with many ties (vs a sort reference)', () => {
    const r = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const n = 50 + r.int(200);
      const s = Float32Array.from({ length: n }, () => r.int(6));
      const elig = Uint8Array.from({ length: n }, () => (r.next() < 0.8 ? 1 : 0));
      const idx = [...Array(n).keys()].filter((i) => elig[i]).sort((x, y) => s[x] - s[y] || x - y);
      const k = r.int(idx.length + 1);
      const m = maskByCount([s], [elig], k)[0];
      const expected = new Uint8Array(n).fill(1);
      idx.slice(0, k).forEach((i) => {
        expected[i] = 0;
      });
      expect(Array.from(m)).toEqual(Array.from(expected));
    }
  });
  it('sparsity targets count already-pruned weights and never revive them', () => {
    const s = [Float32Array.from([5, 4, 3, 2, 1, 0, 9, 8, 7, 6])];
    const elig = [Uint8Array.from([1, 1, 1, 1, 1, 0, 0, 1, 1, 1])]; // 2 already pruned
    const m = maskForAmount(s, elig, { sparsity: 0.5 }, { pruned: 2, total: 10 })[0];
    // 3 more: lowest eligible scores are 1 (i4), 2 (i3), 3 (i2); i5, i6 stay as they were (ineligible → 1)
    expect(Array.from(m)).toEqual([1, 1, 0, 0, 0, 1, 1, 1, 1, 1]);
  });
  it('rejects bad amounts', () => {
    expect(() => validateAmount({ sparsity: 1 })).toThrow(/\[0, 1\)/);
    expect(() => validateAmount({ sparsity: -0.1 })).toThrow(/\[0, 1\)/);
    expect(() => validateAmount({ percentile: 100.5 })).toThrow(/\[0, 100\]/);
    expect(() => validateAmount({ count: 1.5 })).toThrow(/whole/);
    expect(() => maskByCount([Float32Array.from([1, NaN])], [Uint8Array.from([1, 1])], 1)).toThrow(/NaN at index 1/);
  });
});

describe('masks', () => {
  it('compose: a second prune never revives; P_cut = P ⊙ M; biases untouched', () => {
    const m = tinyModel([3, 4]);
    const L = m.layers[0];
    const w = L.weight.slice(),
      b = L.bias.slice();
    pruneLayer(L, Uint8Array.from([0, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1]));
    pruneLayer(L, Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]));
    expect(Array.from(L.mask!)).toEqual([0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 0]);
    for (let i = 0; i < 12; i++) expect(L.weight[i]).toBe(L.mask![i] ? w[i] : 0);
    expect(Array.from(L.bias)).toEqual(Array.from(b));
    expect(Array.from(composeMasks(undefined, Uint8Array.from([1, 0])))).toEqual([1, 0]);
    applyMask(L, { biasMask: Uint8Array.from([1, 0, 1, 1]) });
    expect(L.bias[1]).toBe(0);
    expect(L.bias[0]).toBe(b[0]);
  });
});

describe('scopes', () => {
  const sizes = [13, 11, 7, 3];
  it('per layer: every chosen layer hits round(s·N) exactly', () => {
    const m = tinyModel(sizes, 5);
    for (const s of [0.1, 0.37, 0.8]) {
      const masks = planMasks(m, magnitudeScores(m), { sparsity: s }, { scope: 'layer' });
      masks.forEach((mk, l) => expect(mk!.length - mk!.reduce((a, v) => a + v, 0)).toBe(Math.round(s * m.layers[l].weight.length)));
    }
  });
  it('global: one threshold, total count exact, lowest |w| overall pruned', () => {
    const m = tinyModel(sizes, 6);
    const N = m.layers.reduce((a, L) => a + L.weight.length, 0);
    const masks = planMasks(m, magnitudeScores(m), { sparsity: 0.6 }, { scope: 'global' });
    const all = m.layers.flatMap((L, l) => Array.from(L.weight, (w, i) => ({ a: Math.abs(w), keep: masks[l]![i] })));
    expect(all.filter((e) => !e.keep).length).toBe(Math.round(0.6 * N));
    const maxPruned = Math.max(...all.filter((e) => !e.keep).map((e) => e.a));
    const minKept = Math.min(...all.filter((e) => e.keep).map((e) => e.a));
    expect(maxPruned).toBeLessThanOrEqual(minKept);
  });
  it('chosen layers only: others untouched; a bad index is an error', () => {
    const m = tinyModel(sizes, 8);
    const masks = planMasks(m, magnitudeScores(m), { percentile: 95 }, { layers: [0] });
    expect(masks[1]).toBeUndefined();
    expect(masks[2]).toBeUndefined();
    const kept = masks[0]!.reduce((a, v) => a + v, 0);
    const theta = percentile(Array.from(m.layers[0].weight, Math.abs), 95);
    expect(kept).toBe(Array.from(m.layers[0].weight).filter((w) => Math.abs(w) >= theta).length);
    expect(() => planMasks(m, magnitudeScores(m), { sparsity: 0.5 }, { layers: [3] })).toThrow(/layer index 3 does not exist: the model has 3 layers/);
  });
  it('guard: global pruning that would empty a layer keeps a minimum and a path, count still exact', () => {
    const m = tinyModel([20, 10, 10, 2], 9);
    m.layers[1].weight.forEach((_, i, w) => {
      w[i] *= 1e-3;
    }); // layer 1 would be pruned away first
    const N = m.layers.reduce((a, L) => a + L.weight.length, 0);
    const masks = planMasks(m, magnitudeScores(m), { sparsity: 0.5 }, { scope: 'global', minDensity: 0.05 }) as Uint8Array[];
    const kept = masks.map((mk) => mk.reduce((a, v) => a + v, 0));
    expect(kept[1]).toBeGreaterThanOrEqual(Math.ceil(0.05 * 100));
    expect(N - kept.reduce((a, b) => a + b, 0)).toBe(Math.round(0.5 * N));
    expect(hasPath(m, masks)).toBe(true);
    // Without the guard the layer would have been emptied: all 100 of its weights are the smallest.
    expect(() => planMasks(m, magnitudeScores(m), { sparsity: 0.999 }, { scope: 'global', minDensity: 0.05 })).toThrow(/collapse/);
  });
  it('guard keeps an input→output path at extreme per-layer sparsity', () => {
    const m = tinyModel([6, 6, 2], 4);
    // Make the strongest weights of the two layers disconnected: layer 0's biggest go to neuron 0,
    // layer 1's biggest come from neuron 5.
    m.layers[0].weight.fill(0.01);
    m.layers[0].weight[0] = 5;
    m.layers[1].weight.fill(0.01);
    m.layers[1].weight[5] = 5;
    const masks = planMasks(m, magnitudeScores(m), { count: 45 }, { scope: 'global', minDensity: 0 }) as Uint8Array[];
    // the plain result keeps w0[0] (input 0 → neuron 0), w1[5] and w1[11] (from neuron 5): no path
    const plain = maskByCount(magnitudeScores(m), [new Uint8Array(36).fill(1), new Uint8Array(12).fill(1)], 45);
    expect(hasPath(m, plain)).toBe(false);
    expect(hasPath(m, masks)).toBe(true);
    expect(zeros(masks[0]) + zeros(masks[1])).toBe(45);
    expect(masks[0][0]).toBe(1);
    expect(masks[1][5]).toBe(1);
  });
});
