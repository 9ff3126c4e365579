/**
 * A layer on the sparse path holds its nonzeros only: no out × in weight, gradient, momentum or
 * mask buffer in kernel memory (sizes, not speed), RigL's dense gradient lives only through its
 * update step, and the passes outside training (evaluate, predictLabels, computeGradients) run
 * such layers on the sparse kernels with the same results as the dense ones.
 */
import { describe, expect, it } from 'vitest';
import { type Kernels, loadKernelsSync } from '../src/kernels/index.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import { Network } from '../src/nn/network.js';
import { computeGradients, evaluate, predictLabels, sparseBelow, train } from '../src/nn/train.js';
import { trainSparse } from '../src/nn/dst.js';
import { blobs } from './helpers/datasets.js';
import { rng } from './helpers/rng.js';

const LENET = [784, 300, 100, 10];

/** Every layer masked at the given sparsity (exactly round((1 − s)·n) ones, spread at random). */
function pruned(sizes: number[], sparsity: number, seed: number): MLP {
  const m = createMLP({ sizes, activation: 'relu', seed });
  const r = rng(seed + 1);
  for (const l of m.layers) {
    const n = l.weight.length,
      keep = Math.round((1 - sparsity) * n);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(r.next() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    l.mask = new Uint8Array(n);
    for (let q = 0; q < keep; q++) l.mask[order[q]] = 1;
    for (let j = 0; j < n; j++) if (!l.mask[j]) l.weight[j] = 0;
  }
  return m;
}

const nonzeros = (m: MLP, i: number) => m.layers[i].mask!.reduce((a, v) => a + v, 0);

/** Per nonzero at most: value, gradient, momentum, transposed value, permutation (f32/u32) and two indices (u32 at worst). */
const PER_NONZERO = 5 * 4 + 2 * 4;

describe('memory held by a layer on the sparse path', () => {
  const k = loadKernelsSync({ flavor: 'scalar' });

  it.each([0.9, 0.98])('LeNet-300-100 at %s sparsity: each layer holds O(nnz) bytes, none of its out × in buffers', (s) => {
    const m = pruned(LENET, s, 3);
    const mark = k.heapTop();
    try {
      const sparse = new Network(k, m, 1, { sparseBelow: sparseBelow('on', 1) });
      expect(sparse.sparseLayers).toBe(3);
      const sparseArena = k.heapTop() - mark;
      const dense = new Network(k, m, 1, { sparseBelow: 0 });
      const denseArena = k.heapTop() - mark - sparseArena;
      let heldSum = 0;
      m.layers.forEach((l, i) => {
        const nnz = nonzeros(m, i),
          held = sparse.heldBytes(i);
        // O(nnz) plus row pointers, biases and their gradients and momentum: O(in + out)
        expect(held.wasm).toBeLessThanOrEqual(PER_NONZERO * nnz + 24 * (l.inFeatures + l.outFeatures) + 64);
        expect(held.host).toBe(4 * nnz);
        // the dense path: weights, gradient, momentum and mask, 4 bytes each per weight
        expect(dense.heldBytes(i).wasm).toBe(16 * l.weight.length + 12 * l.outFeatures);
        heldSum += held.wasm;
      });
      // What the kernel arena really gave the sparse network: its layers' storage plus batch-1
      // activations and input staging, with 64-byte alignment per buffer — no out × in buffer.
      const activations = 4 * (3 * 784 + 2 * (300 + 100 + 10) + 784) + 64 * 40;
      expect(sparseArena).toBeLessThanOrEqual(heldSum + activations + 64 * 12 * m.layers.length);
      const weights = m.layers.reduce((a, l) => a + l.weight.length, 0);
      expect(sparseArena).toBeLessThan(4 * weights); // less than one dense weight matrix per layer
      expect(denseArena).toBeGreaterThan(16 * weights);
    } finally {
      k.reset(mark);
    }
  });

  it('a layer moved to the dense path gets its buffers back, with the same weights and momentum', () => {
    const m = pruned([20, 12, 3], 0.9, 5);
    const ds = blobs(10, 20, 3, 7);
    const mark = k.heapTop();
    try {
      const net = new Network(k, m, 8, { sparseBelow: 1 });
      const rows = Array.from({ length: 8 }, (_, i) => i);
      net.setInput(ds.features, ds.nFeatures, rows, 8);
      net.forward(8);
      net.lossAndGrad(ds.labels, rows, 8, true);
      net.backward(8);
      net.step({ lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 });
      net.syncToModel();
      const w = m.layers.map((l) => l.weight.slice());
      const heldSparse = net.heldBytes(0).wasm;
      m.layers[0].mask = undefined; // unpruned: back to the dense path
      net.uploadFromModel();
      expect(net.sparseLayers).toBe(1);
      expect(net.heldBytes(0).wasm).toBeGreaterThan(12 * 240);
      expect(heldSparse).toBeLessThan(12 * 240);
      expect(Array.from(net.weightView(0))).toEqual(Array.from(w[0]));
      expect(Array.from(net.weightView(1))).toEqual(Array.from(w[1]));
    } finally {
      k.reset(mark);
    }
  });

  it('RigL holds no dense network between mask updates: the arena stays O(nnz) through training', async () => {
    const m = createMLP({ sizes: LENET, activation: 'relu', seed: 1 });
    const ds = blobs(20, 784, 10, 2);
    const weights = m.layers.reduce((a, l) => a + l.weight.length, 0);
    const mark = k.heapTop();
    const grown: number[] = [];
    const r = await trainSparse(
      m,
      { train: ds },
      { epochs: 4, batchSize: 32, seed: 3 },
      { sparsity: 0.98, method: 'rigl', distribution: 'uniform', deltaT: 2 },
      { kernels: k, onEpoch: () => grown.push(k.heapTop() - mark) },
    );
    expect(r.updates.length).toBeGreaterThan(0);
    // no test split, so no evaluation network: the training network alone, every layer sparse
    for (const g of grown) expect(g).toBeLessThan(4 * weights);
    expect(k.heapTop()).toBe(mark);
  });
});

/** The kernels, counting calls of the dense and the CSR products. */
function counting(k: Kernels): { k: Kernels; dense: () => number; csr: () => number } {
  let dense = 0,
    csr = 0;
  const proxy = new Proxy(k, {
    get(t, p, recv) {
      const v = Reflect.get(t, p, recv);
      if (typeof p !== 'string' || typeof v !== 'function') return v;
      if (/^f32_gem[mv]/.test(p))
        return (...a: unknown[]) => {
          dense++;
          return v.apply(t, a);
        };
      if (/^f32_(spm[mv]_csr|csr_weight_grad)/.test(p))
        return (...a: unknown[]) => {
          csr++;
          return v.apply(t, a);
        };
      return v.bind(t);
    },
  });
  return { k: proxy, dense: () => dense, csr: () => csr };
}

describe('evaluate, predictLabels and computeGradients on the sparse kernels', () => {
  const m = pruned([30, 40, 20, 4], 0.9, 11);
  const ds = blobs(40, 30, 4, 12);

  it("run sparse-path layers on CSR ('auto' by default), dense ones on the dense kernels", () => {
    const c = counting(loadKernelsSync({ flavor: 'scalar' }));
    evaluate(m, ds, c.k);
    expect(c.dense()).toBe(0);
    expect(c.csr()).toBeGreaterThan(0);
    const off = counting(loadKernelsSync({ flavor: 'scalar' }));
    evaluate(m, ds, off.k, { sparse: 'off' });
    expect(off.csr()).toBe(0);
    const g = counting(loadKernelsSync({ flavor: 'scalar' }));
    computeGradients(m, ds, { batches: 2, batchSize: 32, kernels: g.k, fisher: true });
    expect(g.dense()).toBe(0);
    const p = counting(loadKernelsSync({ flavor: 'scalar' }));
    predictLabels(m, ds, p.k);
    expect(p.dense()).toBe(0);
  });

  it('agree with the dense passes: same accuracy and labels, loss and gradients to float rounding, 0 at pruned weights', () => {
    const k = loadKernelsSync();
    const on = evaluate(m, ds, k, { sparse: 'on' }),
      off = evaluate(m, ds, k, { sparse: 'off' });
    expect(on.accuracy).toBe(off.accuracy);
    expect(Math.abs(on.loss - off.loss)).toBeLessThan(1e-5 * Math.max(1, off.loss));
    expect(Array.from(predictLabels(m, ds, k, { sparse: 'on' }))).toEqual(Array.from(predictLabels(m, ds, k, { sparse: 'off' })));
    const opts = { batches: 3, batchSize: 16, seed: 4, kernels: k, fisher: true };
    const gs = computeGradients(m, ds, { ...opts, sparse: 'on' }),
      gd = computeGradients(m, ds, { ...opts, sparse: 'off' });
    m.layers.forEach((l, i) => {
      for (const key of ['grads', 'sqGrads', 'fisher'] as const) {
        const a = gs[key]![i],
          b = gd[key]![i];
        const scale = Math.max(...b.map(Math.abs));
        for (let j = 0; j < a.length; j++) {
          if (l.mask![j]) expect(Math.abs(a[j] - b[j])).toBeLessThanOrEqual(1e-5 * scale);
          else expect([a[j], b[j]], `${key}[${i}][${j}] at a pruned weight`).toEqual([0, 0]); // M ⊙ ∂L/∂W on both paths
        }
      }
    });
    expect(() => evaluate(m, ds, k, { sparse: 'always' as 'on' })).toThrow(/evaluate: sparse must be 'auto', 'on' or 'off', got 'always'/);
  });

  it("train's per-epoch gradient norms are the kept weights' norms on either path ('on' = 'off')", async () => {
    const norms = async (sparse: 'on' | 'off') => {
      const copy = pruned([30, 40, 20, 4], 0.9, 11);
      const r = await train(copy, { train: ds, test: ds }, { epochs: 1, batchSize: 16, seed: 3, sparse }, { kernels: loadKernelsSync() });
      return r.epochs[0].gradNorms;
    };
    const on = await norms('on'),
      off = await norms('off');
    on.forEach((v, i) => expect(Math.abs(v - off[i]), `layer ${i}: ${v} vs ${off[i]}`).toBeLessThanOrEqual(1e-4 * off[i]));
  });
});
