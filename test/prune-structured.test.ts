import { describe, expect, it } from 'vitest';
import { neuronScores, nmMask, pruneNeurons, removeNeurons } from '../src/prune/structured.js';
import { rng } from './helpers/rng.js';
import { forward, tinyModel } from './helpers/models.js';

describe('structured neuron removal', () => {
  it('preserves outputs when the removed neurons had zero outgoing weights', () => {
    const m = tinyModel([4, 5, 3, 2], 2);
    const L0 = m.layers[0],
      L1 = m.layers[1];
    for (const j of [1, 3]) {
      for (let i = 0; i < 4; i++) L0.weight[j * 4 + i] *= 0.01; // lowest incoming L1 norms
      for (let k = 0; k < 3; k++) L1.weight[k * 5 + j] = 0;
    }
    const { model: small, removed } = pruneNeurons(m, { fraction: 0.4, hidden: [0] });
    expect(removed[0]).toEqual([1, 3]);
    expect(small.layers[0].outFeatures).toBe(3);
    expect(small.layers[0].weight.length).toBe(12);
    expect(small.layers[1].inFeatures).toBe(3);
    expect(small.layers[1].weight.length).toBe(9);
    const r = rng(9);
    for (let t = 0; t < 5; t++) {
      const x = Array.from({ length: 4 }, () => r.uniform());
      const a = forward(m, x),
        b = forward(small, x);
      a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
    }
  });
  it('equals a manual forward pass with the removed neurons silenced', () => {
    const m = tinyModel([3, 4, 2], 3, 'tanh');
    m.layers[0].mask = new Uint8Array(12).fill(1);
    const small = removeNeurons(m, 0, [0, 2]);
    expect(small.layers[0].mask!.length).toBe(6);
    expect(Array.from(small.layers[0].bias)).toEqual([m.layers[0].bias[1], m.layers[0].bias[3]]);
    const x = [0.3, -0.7, 0.2];
    // manual: hidden h_j = tanh(W0 x + b0), drop j ∈ {0, 2}, y = W1[:, {1,3}] h + b1
    const L0 = m.layers[0],
      L1 = m.layers[1];
    const h = [1, 3].map((j) => Math.tanh(L0.bias[j] + x.reduce((s, xi, i) => s + L0.weight[j * 3 + i] * xi, 0)));
    const y = [0, 1].map((k) => L1.bias[k] + L1.weight[k * 4 + 1] * h[0] + L1.weight[k * 4 + 3] * h[1]);
    forward(small, x).forEach((v, i) => expect(v).toBeCloseTo(y[i], 6));
  });
  it('L2 with outgoing norms, and errors', () => {
    const m = tinyModel([2, 2, 1], 1);
    m.layers[0].weight.set([3, 4, 1, 0]);
    m.layers[1].weight.set([0, 2]);
    // neuron 0: ‖(3,4)‖ + ‖0‖ = 5; neuron 1: ‖(1,0)‖ + ‖2‖ = 3
    expect(Array.from(neuronScores(m, 0, { norm: 2, outgoing: true }))).toEqual([5, 3]);
    expect(Array.from(neuronScores(m, 0, { norm: 1 }))).toEqual([7, 1]);
    expect(() => neuronScores(m, 1)).toThrow(/hidden layer 1 does not exist/);
    expect(() => removeNeurons(m, 0, [0, 1])).toThrow(/cannot remove all/);
  });
});

describe('N:M', () => {
  it('keeps the top N of every group of M along a row (short last group keeps min(N, len))', () => {
    const r = rng(4);
    const rows = 3,
      cols = 10;
    const s = Float32Array.from({ length: rows * cols }, () => r.uniform());
    const m = nmMask(s, rows, cols, 2, 4);
    for (let row = 0; row < rows; row++) {
      for (const [a, b] of [
        [0, 4],
        [4, 8],
        [8, 10],
      ]) {
        const idx = Array.from({ length: b - a }, (_, k) => row * cols + a + k);
        const top = [...idx].sort((x, y) => s[y] - s[x]).slice(0, 2);
        for (const i of idx) expect(m[i]).toBe(top.includes(i) ? 1 : 0);
      }
    }
    // 1:4 on a row of 5: groups [0..3] and [4] each keep one
    expect(Array.from(nmMask([1, 2, 3, 4, 5], 1, 5, 1, 4))).toEqual([0, 0, 0, 1, 1]);
  });
  it('respects an old mask (pruned stay pruned) and rejects N ≥ M', () => {
    const m = nmMask([4, 3, 2, 1], 1, 4, 2, 4, Uint8Array.from([0, 1, 1, 1]));
    expect(Array.from(m)).toEqual([0, 1, 1, 0]);
    expect(() => nmMask([1, 2], 1, 2, 4, 4)).toThrow(/1 ≤ N < M/);
    expect(() => nmMask([1, 2], 1, 2, 3, 2)).toThrow(/3:2/);
  });
});
