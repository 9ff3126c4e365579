/** Sparse training from scratch (src/nn/dst.ts): ERK and uniform densities, the drop/regrow update, SET and RigL runs. */
import { describe, expect, it } from 'vitest';
import { createMLP } from '../src/nn/model.js';
import { evaluate } from '../src/nn/train.js';
import { layerDensities, sparseInit, trainSparse, updateMasks } from '../src/nn/dst.js';
import { modelFromRows } from './helpers/models.js';
import { blobs } from './helpers/datasets.js';

const shape = (inFeatures: number, outFeatures: number) => ({ inFeatures, outFeatures });
const kept = (mask: Uint8Array) => mask.reduce((a, v) => a + v, 0);

describe('initial layer densities', () => {
  it('uniform: 1 − s everywhere; ERK: ∝ (in + out)/(in·out), by hand', () => {
    expect(layerDensities([shape(4, 2), shape(2, 2)], 0.5, 'uniform')).toEqual([0.5, 0.5]);
    // n = 8, 4; raw = 6/8, 4/4; budget 6 = ε·(6 + 4) → ε = 0.6
    const d = layerDensities([shape(4, 2), shape(2, 2)], 0.5, 'erk');
    expect(d[0]).toBeCloseTo(0.45, 12);
    expect(d[1]).toBeCloseTo(0.6, 12);
  });

  it('ERK keeps a layer that would exceed density 1 dense and meets the overall budget (LeNet-300-100 at 90%)', () => {
    const shapes = [shape(784, 300), shape(300, 100), shape(100, 10)];
    const d = layerDensities(shapes, 0.9, 'erk');
    expect(d[2]).toBe(1);
    const nnz = d.reduce((a, x, i) => a + x * shapes[i].inFeatures * shapes[i].outFeatures, 0);
    expect(nnz).toBeCloseTo(0.1 * (784 * 300 + 300 * 100 + 100 * 10), 6);
    expect(d[0]).toBeLessThan(d[1]);
    expect(() => layerDensities(shapes, 1, 'erk')).toThrow(/sparsity must be in \[0, 1\)/);
  });
});

describe('sparse initialisation', () => {
  it("scales each row's kept weights by √(n_in / kept fan-in), by hand", () => {
    const m = modelFromRows([
      [1, -2, 0, 0],
      [0.5, 0.5, 0.5, 0],
      [0, 0, 0, 0],
    ]);
    m.layers[0].mask = Uint8Array.from([1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
    sparseInit(m);
    const w = Array.from(m.layers[0].weight);
    expect(w.slice(0, 2)).toEqual([Math.fround(Math.SQRT2), Math.fround(-2 * Math.SQRT2)]); // fan-in 2 of 4
    w.slice(4, 7).forEach((x) => expect(x).toBeCloseTo(0.5 * Math.sqrt(4 / 3), 6)); // fan-in 3 of 4
    expect(w.slice(8)).toEqual([0, 0, 0, 0]); // no kept input: left alone
  });

  it("restores the dense initialisation's pre-activation variance at 10% density", () => {
    const m = createMLP({ sizes: [400, 200, 2], activation: 'relu', seed: 3 });
    const l = m.layers[0];
    l.mask = Uint8Array.from(l.weight, (_, j) => (j % 10 === 3 ? 1 : 0));
    l.weight.forEach((_, j) => {
      if (!l.mask![j]) l.weight[j] = 0;
    });
    const rowSumSq = () => l.weight.reduce((a, x) => a + x * x, 0) / l.outFeatures; // Var(z) for unit-variance inputs
    expect(rowSumSq()).toBeCloseTo(0.2, 1); // He: n_in · 2/n_in · density
    sparseInit(m);
    expect(rowSumSq()).toBeCloseTo(2, 0); // back to He's 2
  });
});

describe('trainSparse: initial scale of the kept weights', () => {
  it.each([
    ['dense (the default)', undefined],
    ['sparse', 'sparse'],
  ] as const)('%s', async (_, initScale) => {
    const m = createMLP({ sizes: [20, 6, 3], activation: 'relu', seed: 2 });
    const w0 = m.layers[0].weight.slice();
    await trainSparse(m, { train: blobs(12, 20, 3, 1) }, { epochs: 0 }, { sparsity: 0.75, method: 'set', distribution: 'uniform', initScale });
    const l = m.layers[0];
    for (let r = 0; r < l.outFeatures; r++) {
      const row = l.mask!.subarray(r * 20, r * 20 + 20),
        fanIn = kept(row);
      const s = initScale !== 'sparse' || fanIn === 0 ? 1 : Math.sqrt(20 / fanIn);
      row.forEach((on, c) => expect(l.weight[r * 20 + c]).toBeCloseTo(on ? w0[r * 20 + c] * s : 0, 6));
    }
  });
});

describe('one drop/regrow update', () => {
  it('drops the smallest |w| among the active weights and regrows where the grower says, at 0', () => {
    const m = modelFromRows([[0.5, -0.1, 0, 0.3, 0, -0.9]]);
    m.layers[0].mask = Uint8Array.from([1, 1, 0, 1, 0, 1]);
    let offered: number[] = [];
    const moved = updateMasks(m, 0.5, (_l, inactive, k) => {
      offered = inactive.slice();
      return inactive.slice(0, k);
    });
    expect(moved).toBe(2); // round(0.5 · 4 active)
    expect(offered).toEqual([2, 4]); // the weights dropped now are not offered
    expect(Array.from(m.layers[0].mask!)).toEqual([1, 0, 1, 0, 1, 1]); // −0.1 and 0.3 dropped; 2 and 4 grown
    expect(Array.from(m.layers[0].weight)).toEqual([0.5, 0, 0, 0, 0, Math.fround(-0.9)]);
  });
});

describe.each(['set', 'rigl'] as const)('trainSparse, %s', (method) => {
  it('keeps every layer at its density through the updates, decays the fraction, learns, and repeats with the same seed', async () => {
    const train = blobs(60, 12, 3, 4, 0.5);
    const run = async () => {
      const m = createMLP({ sizes: [12, 32, 3], activation: 'relu', seed: 5 });
      const r = await trainSparse(m, { train }, { epochs: 8, batchSize: 10, lr: 0.05, seed: 3 }, { sparsity: 0.7, method, distribution: 'uniform', deltaT: 5 });
      return { m, r };
    };
    const { m, r } = await run();
    expect(r.densities).toEqual([0.30000000000000004, 0.30000000000000004]);
    m.layers.forEach((l) => expect(kept(l.mask!)).toBe(Math.round(0.3 * l.weight.length)));
    m.layers.forEach((l) =>
      l.weight.forEach((w, j) => {
        if (!l.mask![j]) expect(w).toBe(0);
      }),
    );
    expect(r.updates.length).toBeGreaterThan(3);
    expect(r.updates[0].fraction).toBeGreaterThan(r.updates.at(-1)!.fraction);
    expect(r.updates.every((u) => u.moved > 0 || u.fraction < 0.02)).toBe(true);
    expect(evaluate(m, train).accuracy).toBeGreaterThan(0.9); // it learns (training accuracy; blobs share their centres only within one seed)
    const again = await run();
    expect(Array.from(again.m.layers[0].weight)).toEqual(Array.from(m.layers[0].weight));
  });
});

it("RigL's dense gradient uses 256 samples by default", async () => {
  const train = blobs(100, 12, 3, 4, 0.5); // 300 samples, batch 10
  const run = async (gradientBatch?: number) => {
    const m = createMLP({ sizes: [12, 16, 3], activation: 'relu', seed: 5 });
    await trainSparse(m, { train }, { epochs: 2, batchSize: 10, lr: 0.05, seed: 3 }, { sparsity: 0.7, method: 'rigl', deltaT: 5, gradientBatch });
    return Array.from(m.layers[0].mask!);
  };
  const byDefault = await run();
  expect(byDefault).toEqual(await run(256));
  expect(byDefault).not.toEqual(await run(10));
});

it('refuses an unknown method and a bad ΔT', async () => {
  const m = createMLP({ sizes: [4, 3], activation: 'relu', seed: 1 });
  const data = { train: blobs(5, 4, 3, 1) };
  await expect(trainSparse(m, data, {}, { sparsity: 0.5, method: 'x' as 'set' })).rejects.toThrow(/method must be 'set' or 'rigl'/);
  await expect(trainSparse(m, data, {}, { sparsity: 0.5, method: 'set', deltaT: 0 })).rejects.toThrow(/ΔT must be a whole number/);
  await expect(trainSparse(m, data, {}, { sparsity: 0.5, method: 'rigl', gradientBatch: 0 })).rejects.toThrow(/gradient batch must be a whole number/);
  await expect(trainSparse(m, data, {}, { sparsity: 0.5, method: 'rigl', gradientBatch: 2.5 })).rejects.toThrow(/gradient batch must be a whole number/);
});
