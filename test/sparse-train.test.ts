/**
 * Training masked layers on the sparse kernels (src/nn/sparse-layer.ts) against masked dense
 * training, on every build: the gradients of one backward pass (which also exercise the
 * transposed copy for Wᵀ·dZ), then whole training runs with the same seed, with a mask that
 * changes mid-run (gradual pruning) and with layers moving between the two paths.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceKernels, type Kernels, loadKernelsSync, supportedFlavors } from '../src/kernels/index.js';
import { cloneMLP, createMLP, type MLP } from '../src/nn/model.js';
import { Network } from '../src/nn/network.js';
import { evaluate, sparseBelow, train } from '../src/nn/train.js';
import { networkBytes } from '../src/nn/budget.js';
import { MovementTracker, observeAt } from '../src/nn/history.js';
import { blobs } from './helpers/datasets.js';
import { rng } from './helpers/rng.js';

const backends: Kernels[] = [...supportedFlavors().map((flavor) => loadKernelsSync({ flavor })), createReferenceKernels()];

/** Masks each layer at its own density (0 = the whole layer pruned, 1 = nothing pruned). */
function masked(sizes: number[], densities: number[], seed: number): MLP {
  const m = createMLP({ sizes, activation: 'relu', seed });
  const r = rng(seed + 100);
  m.layers.forEach((l, i) => {
    l.mask = Uint8Array.from(l.weight, () => (r.next() < densities[i] ? 1 : 0));
    l.weight.forEach((_, j) => {
      if (!l.mask![j]) l.weight[j] = 0;
    });
  });
  return m;
}

/** One forward/backward on a batch: every layer's weight gradient (dense, 0 off the pattern) and bias gradient. */
function gradients(k: Kernels, m: MLP, sparse: boolean, ds: ReturnType<typeof blobs>, rows: number[]) {
  const mark = k.heapTop();
  try {
    const net = new Network(k, m, rows.length, { sparseBelow: sparse ? 1 : 0 });
    expect(net.sparseLayers).toBe(sparse ? m.layers.filter((l) => l.mask!.some((v) => !v)).length : 0);
    net.setInput(ds.features, ds.nFeatures, rows, rows.length);
    net.forward(rows.length);
    net.lossAndGrad(ds.labels, rows, rows.length, true);
    net.backward(rows.length);
    return m.layers.map((l, i) => ({ dW: net.weightGrad(i).slice(), db: new Float32Array(k.memory.buffer, net.layers[i].db.ptr, l.outFeatures).slice() }));
  } finally {
    k.reset(mark);
  }
}

describe.each(backends.map((k) => [k.flavor, k] as const))('sparse training, %s build', (_flavor, k) => {
  it('gradients agree with masked dense to relative 1e-5 (batch 1, 5, 64; an all-pruned layer; a 1-wide layer)', () => {
    const ds = blobs(30, 23, 3, 5);
    for (const [sizes, densities] of [
      [
        [23, 17, 9, 3],
        [0.3, 0.1, 0.8],
      ],
      [
        [23, 1, 5, 3],
        [0.5, 0.9, 0.6],
      ],
      [
        [23, 12, 3],
        [0, 0.5],
      ],
    ] as [number[], number[]][]) {
      for (const B of [1, 5, 64]) {
        const m = masked(sizes, densities, B);
        const rows = Array.from({ length: B }, (_, j) => (j * 7) % ds.nSamples);
        const dense = gradients(k, m, false, ds, rows),
          sparse = gradients(k, m, true, ds, rows);
        m.layers.forEach((l, i) => {
          const scale = Math.max(1e-30, ...dense[i].dW.map(Math.abs), ...dense[i].db.map(Math.abs));
          for (let j = 0; j < l.weight.length; j++) {
            const want = l.mask![j] ? dense[i].dW[j] : 0;
            if (Math.abs(sparse[i].dW[j] - want) > 1e-5 * scale)
              throw new Error(`sizes ${sizes} B ${B} layer ${i} dW[${j}]: sparse ${sparse[i].dW[j]}, dense ${want}`);
          }
          for (let j = 0; j < l.outFeatures; j++) expect(Math.abs(sparse[i].db[j] - dense[i].db[j])).toBeLessThanOrEqual(1e-5 * scale);
        });
      }
    }
  });

  it('same seed: the sparse run matches masked dense training (accuracy within 0.1 point, weights close, pruned weights exactly 0)', async () => {
    const ds = blobs(40, 30, 4, 9, 1.5),
      test = blobs(20, 30, 4, 19, 1.5);
    const base = masked([30, 40, 20, 4], [0.2, 0.1, 0.5], 3);
    const cfg = { epochs: 4, batchSize: 7, lr: 0.05, momentum: 0.9, nesterov: true, alpha: 1e-3, seed: 8 };
    const dense = cloneMLP(base),
      sparse = cloneMLP(base);
    await train(dense, { train: ds, test }, { ...cfg, sparse: 'off' }, { kernels: k });
    await train(sparse, { train: ds, test }, { ...cfg, sparse: 'on' }, { kernels: k });
    const accD = evaluate(dense, test, k).accuracy,
      accS = evaluate(sparse, test, k).accuracy;
    expect(Math.abs(accD - accS)).toBeLessThanOrEqual(0.001);
    dense.layers.forEach((l, i) => {
      const s = sparse.layers[i];
      for (let j = 0; j < l.weight.length; j++) {
        if (!l.mask![j]) expect(Object.is(s.weight[j], 0)).toBe(true);
        expect(Math.abs(s.weight[j] - l.weight[j])).toBeLessThanOrEqual(1e-4);
      }
      for (let j = 0; j < l.bias.length; j++) expect(Math.abs(s.bias[j] - l.bias[j])).toBeLessThanOrEqual(1e-4);
    });
  });

  it('a mask that changes mid-run (gradual pruning; a layer crossing the threshold) keeps both paths in step, momentum included', async () => {
    const ds = blobs(30, 16, 3, 4, 1.5);
    const base = masked([16, 24, 3], [0.6, 1], 6);
    const run = async (mode: 'on' | 'off' | 'auto') => {
      const m = cloneMLP(base);
      let cut = 0;
      await train(
        m,
        { train: ds },
        { epochs: 3, batchSize: 8, lr: 0.05, momentum: 0.9, alpha: 1e-3, seed: 2, sparse: mode },
        {
          kernels: k,
          onStep: {
            every: 5,
            fn: (_step, model) => {
              // prune the smallest kept weights of the first layer, a little more each time: 0.6 → ~0.15 density
              const l = model.layers[0];
              const kept = Array.from(l.weight.keys())
                .filter((j) => l.mask![j])
                .sort((a, b) => Math.abs(l.weight[a]) - Math.abs(l.weight[b]));
              for (const j of kept.slice(0, Math.floor(kept.length * 0.15))) {
                l.mask![j] = 0;
                l.weight[j] = 0;
              }
              cut++;
            },
          },
        },
      );
      expect(cut).toBeGreaterThan(5);
      return m;
    };
    const dense = await run('off');
    for (const mode of ['on', 'auto'] as const) {
      const other = await run(mode);
      dense.layers.forEach((l, i) => {
        expect(Array.from(other.layers[i].mask!)).toEqual(Array.from(l.mask!));
        for (let j = 0; j < l.weight.length; j++) expect(Math.abs(other.layers[i].weight[j] - l.weight[j])).toBeLessThanOrEqual(1e-4);
      });
    }
  });
});

describe('which layers train sparse', () => {
  it("'auto' follows the measured crossover at the batch size; 'on' takes every masked layer with a pruned weight; 'off' none", () => {
    expect(sparseBelow('off', 64)).toBe(0);
    expect(sparseBelow('on', 64)).toBe(1);
    expect(sparseBelow('auto', 64)).toBeCloseTo(0.5, 12); // CSR wins from 50% sparsity at batch 64
    expect(sparseBelow('auto', 1)).toBeCloseTo(0.2, 12);
    const k = backends[0],
      mark = k.heapTop();
    const m = masked([20, 30, 10, 3], [0.45, 0.55, 1], 1);
    expect(new Network(k, m, 64, { sparseBelow: sparseBelow('auto', 64) }).sparseLayers).toBe(1);
    k.reset(mark);
  });

  it('refuses an unknown mode', async () => {
    const m = masked([4, 3], [0.5], 1);
    await expect(train(m, { train: blobs(3, 4, 3, 1) }, { sparse: 'yes' as 'on' })).rejects.toThrow(/sparse must be 'auto', 'on' or 'off'/);
  });
});

describe('memory budget', () => {
  it('networkBytes with sparseBelow covers a Network whose every layer trains sparse', () => {
    const k = loadKernelsSync({ flavor: 'scalar' }),
      sizes = [7, 33, 5, 3];
    const m = masked(sizes, [0.99, 0.99, 0.99], 4);
    m.layers.forEach((l) => {
      l.mask![0] = 0;
    }); // at least one pruned weight each: all three go sparse
    const top = k.heapTop();
    const net = new Network(k, m, 17, { sparseBelow: 1 });
    expect(net.sparseLayers).toBe(3);
    const used = k.heapTop() - top;
    expect(networkBytes({ sizes, batch: 17, sparseBelow: 1 })).toBeGreaterThanOrEqual(used);
    k.reset(top);
  });
});

describe('movement scores while fine-tuning sparse', () => {
  it('onGradientAt on the sparse path gives the movement scores onGradient gives on masked dense', async () => {
    const ds = blobs(30, 20, 3, 2, 1.5);
    const base = masked([20, 30, 3], [0.2, 0.6], 8);
    const scores = async (sparse: boolean) => {
      const m = cloneMLP(base),
        t = new MovementTracker(m);
      let calls = 0;
      await train(
        m,
        { train: ds },
        { epochs: 2, batchSize: 8, lr: 0.05, seed: 4, sparse: sparse ? 'on' : 'off' },
        {
          onGradient: (w, g) => {
            t.observe(w, g);
            calls++;
          },
          ...(sparse
            ? {
                onGradientAt: (layers: Parameters<typeof observeAt>[1]) => {
                  expect(layers[0].positions).not.toBeNull();
                  observeAt(t, layers);
                  calls++;
                },
              }
            : {}),
        },
      );
      expect(calls).toBe(2 * Math.ceil(ds.nSamples / 8));
      return t.scores;
    };
    const dense = await scores(false),
      sparse = await scores(true);
    dense.forEach((S, l) => S.forEach((v, j) => expect(Math.abs(sparse[l][j] - v)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(v)))));
    expect(dense[0].some((v) => v !== 0)).toBe(true);
  });

  it('the movement hook (summed in kernel memory) gives the scores observe / observeAt give, bit for bit, up to date at every hook', async () => {
    const ds = blobs(30, 20, 3, 2, 1.5);
    for (const sparse of ['off', 'on'] as const)
      for (const base of [createMLP({ sizes: [20, 30, 3], activation: 'relu', seed: 3 }), masked([20, 30, 3], [0.2, 0.6], 8)]) {
        const cfg = { epochs: 2, batchSize: 8, lr: 0.05, momentum: 0.9, alpha: 0.01, seed: 4, sparse };
        const steps = Math.ceil(ds.nSamples / 8);
        const m1 = cloneMLP(base),
          t1 = new MovementTracker(m1);
        t1.scores[0][0] = 0.25; // continued, not restarted
        const t2 = t1.clone();
        const seen1: Float32Array[] = [],
          seen2: Float32Array[] = [];
        await train(m1, { train: ds }, cfg, {
          onGradientAt: (layers) => observeAt(t1, layers),
          onStep: { every: 3, fn: () => seen1.push(t1.scores[1].slice()) },
          onEpoch: () => seen1.push(t1.scores[0].slice()),
        });
        const m2 = cloneMLP(base);
        await train(m2, { train: ds }, cfg, {
          movement: t2,
          onStep: {
            every: 3,
            fn: (step) => {
              expect(t2.steps).toBe(step);
              seen2.push(t2.scores[1].slice());
            },
          },
          onEpoch: (rec) => {
            expect(t2.steps).toBe(rec.epoch * steps);
            seen2.push(t2.scores[0].slice());
          },
        });
        expect(t2.steps).toBe(t1.steps);
        expect(t2.steps).toBe(2 * steps);
        t1.scores.forEach((S, l) => expect(Buffer.from(t2.scores[l].buffer).equals(Buffer.from(S.buffer)), `${sparse} layer ${l}`).toBe(true));
        expect(seen2.length).toBe(seen1.length);
        seen1.forEach((S, i) => expect(Buffer.from(seen2[i].buffer).equals(Buffer.from(S.buffer))).toBe(true));
        expect(t2.scores[0].some((v, j) => j > 0 && v !== 0)).toBe(true);
      }
  });

  it('the movement hook refuses a tracker of another shape', async () => {
    const ds = blobs(30, 20, 3, 2, 1.5);
    const m = createMLP({ sizes: [20, 30, 3], activation: 'relu', seed: 3 });
    const other = new MovementTracker(createMLP({ sizes: [20, 31, 3], activation: 'relu', seed: 3 }));
    await expect(train(m, { train: ds }, { epochs: 1, batchSize: 8 }, { movement: other })).rejects.toThrow(
      /movement tracker's layer 0 has 620 scores, expected 600/,
    );
  });
});
