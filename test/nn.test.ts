/**
 * The MLP and its training: gradients against finite differences of an independent f64 forward
 * pass, wasm vs reference training, bit-for-bit reproducibility, masked training, schedules,
 * divergence.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceKernels, loadKernelsSync, type ActName } from '../src/kernels/index.js';
import { createMLP, cloneMLP, type MLP } from '../src/nn/model.js';
import { Network } from '../src/nn/network.js';
import { DivergenceError, computeGradients, evaluate, train } from '../src/nn/train.js';
import { scheduledRate } from '../src/nn/lr-schedule.js';
import { blobs } from './helpers/datasets.js';

const act64: Record<ActName, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(0, x),
  tanh: Math.tanh,
  logistic: (x) => 1 / (1 + Math.exp(-x)),
};

/** Independent f64 forward + mean softmax cross-entropy over rows. */
function loss64(m: MLP, x: Float32Array, y: Int32Array, rows: number[]): number {
  let total = 0;
  for (const r of rows) {
    let a = Array.from(x.subarray(r * m.layers[0].inFeatures, (r + 1) * m.layers[0].inFeatures));
    for (const l of m.layers) {
      const z = new Array(l.outFeatures).fill(0).map((_, o) => {
        let s = l.bias[o];
        for (let c = 0; c < l.inFeatures; c++) s += l.weight[o * l.inFeatures + c] * a[c];
        return act64[l.activation](s);
      });
      a = z;
    }
    const max = Math.max(...a);
    const lse = Math.log(a.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
    total += lse - a[y[r]];
  }
  return total / rows.length;
}

describe('gradients vs finite differences', () => {
  it.each(['identity', 'relu', 'tanh', 'logistic'] as ActName[])('every weight and bias gradient, %s hidden layers', (act) => {
    const ds = blobs(3, 5, 3, 11);
    const m = createMLP({ sizes: [5, 7, 6, 3], activation: act, seed: 3 });
    m.layers.forEach((l) => l.bias.forEach((_, i) => (l.bias[i] = 0.1 * Math.sin(i + 1))));
    const rows = [0, 1, 2, 3, 4, 5, 6, 7];
    for (const k of [createReferenceKernels(), loadKernelsSync()]) {
      const net = new Network(k, m, rows.length);
      net.setInput(ds.features, ds.nFeatures, rows, rows.length);
      net.forward(rows.length);
      net.lossAndGrad(ds.labels, rows, rows.length, true);
      net.backward(rows.length);
      const h = 1e-3;
      m.layers.forEach((l, li) => {
        const g = net.weightGrad(li);
        const db = new Float32Array(k.memory.buffer, net.layers[li].db.ptr, l.outFeatures);
        const check = (arr: Float32Array, j: number, analytic: number, what: string) => {
          const orig = arr[j];
          // f64 central difference on a copy (the f32 arrays hold the parameter itself)
          arr[j] = orig + h;
          const lp = loss64(m, ds.features, ds.labels, rows);
          arr[j] = orig - h;
          const lm = loss64(m, ds.features, ds.labels, rows);
          arr[j] = orig;
          const numeric = (lp - lm) / (2 * h);
          // O(h²) truncation + f32 rounding of the analytic value
          expect(Math.abs(analytic - numeric), `${k.flavor} ${act} layer ${li} ${what}[${j}]: ${analytic} vs ${numeric}`).toBeLessThan(
            2e-4 + 1e-3 * Math.abs(numeric),
          );
        };
        for (let j = 0; j < l.weight.length; j++) check(l.weight, j, g[j], 'W');
        for (let j = 0; j < l.bias.length; j++) check(l.bias, j, db[j], 'b');
      });
    }
  });
});

describe('training', () => {
  const data = { train: blobs(40, 6, 3, 1), test: blobs(10, 6, 3, 1) };

  it('learns separable blobs', async () => {
    const m = createMLP({ sizes: [6, 16, 3], activation: 'relu', seed: 1 });
    const before = evaluate(m, data.test).accuracy;
    const r = await train(m, data, { epochs: 15, batchSize: 16, lr: 0.05 });
    expect(r.epochs).toHaveLength(15);
    expect(r.epochs.at(-1)!.loss).toBeLessThan(r.epochs[0].loss);
    expect(evaluate(m, data.test).accuracy).toBeGreaterThan(Math.max(0.9, before));
    expect(r.epochs[0].gradNorms).toHaveLength(2);
  });

  it('the same seed gives the same model bit for bit; another seed does not', async () => {
    const run = async (seed: number) => {
      const m = createMLP({ sizes: [6, 8, 3], activation: 'tanh', seed });
      await train(m, data, { epochs: 3, batchSize: 7, seed, nesterov: true });
      return m;
    };
    const [a, b, c] = [await run(5), await run(5), await run(6)];
    a.layers.forEach((l, i) => {
      expect(Buffer.from(l.weight.buffer).equals(Buffer.from(b.layers[i].weight.buffer))).toBe(true);
      expect(Buffer.from(l.bias.buffer).equals(Buffer.from(b.layers[i].bias.buffer))).toBe(true);
    });
    expect(Buffer.from(a.layers[0].weight.buffer).equals(Buffer.from(c.layers[0].weight.buffer))).toBe(false);
  });

  it('wasm and reference kernels train to the same numbers (within 1e-4)', async () => {
    const m0 = createMLP({ sizes: [6, 9, 5, 3], activation: 'logistic', seed: 2 });
    const a = cloneMLP(m0),
      b = cloneMLP(m0);
    const ra = await train(a, data, { epochs: 4, batchSize: 9, momentum: 0.9 }, { kernels: loadKernelsSync({ flavor: 'simd' }) });
    const rb = await train(b, data, { epochs: 4, batchSize: 9, momentum: 0.9 }, { kernels: createReferenceKernels() });
    a.layers.forEach((l, i) => l.weight.forEach((w, j) => expect(Math.abs(w - b.layers[i].weight[j])).toBeLessThan(1e-4)));
    ra.epochs.forEach((e, i) => expect(Math.abs(e.loss - rb.epochs[i].loss)).toBeLessThan(1e-5));
  });

  it('masked training keeps pruned weights at exactly zero and trains the rest', async () => {
    const m = createMLP({ sizes: [6, 10, 3], activation: 'relu', seed: 4 });
    const mask = new Uint8Array(m.layers[0].weight.length).map((_, i) => (i % 3 === 0 ? 0 : 1));
    m.layers[0].mask = mask;
    const before = m.layers[0].weight.slice();
    await train(m, data, { epochs: 3, batchSize: 8, momentum: 0.9, nesterov: true });
    m.layers[0].weight.forEach((w, i) => {
      if (!mask[i]) expect(Object.is(w, 0)).toBe(true);
      else expect(w).not.toBe(before[i]);
    });
  });

  it('onStep hooks see current weights and can prune mid-training', async () => {
    const m = createMLP({ sizes: [6, 10, 3], activation: 'relu', seed: 4 });
    let calls = 0;
    await train(
      m,
      data,
      { epochs: 2, batchSize: 10 },
      {
        onStep: {
          every: 5,
          fn: (_s, model) => {
            // the first call adds a mask the layer did not have
            calls++;
            model.layers[0].mask ??= new Uint8Array(60).fill(1);
            model.layers[0].mask[calls] = 0;
            model.layers[0].weight[calls] = 0;
          },
        },
      },
    );
    expect(calls).toBe(4); // 120 samples / 10 = 12 steps per epoch → steps 5, 10, 15, 20
    for (let i = 1; i <= 4; i++) expect(m.layers[0].weight[i]).toBe(0);
  });

  it('stops with a clear message when the loss diverges', async () => {
    const m = createMLP({ sizes: [6, 10, 3], activation: 'identity', seed: 4 });
    const huge = { ...data.train, features: data.train.features.map((v) => v * 1e18) };
    await expect(train(m, { train: huge }, { epochs: 3, lr: 10 })).rejects.toThrow(DivergenceError);
    await expect(train(m, { train: huge }, { epochs: 3, lr: 10 })).rejects.toThrow(/smaller --lr/);
  });

  it('rejects data that does not fit the model', async () => {
    const m = createMLP({ sizes: [5, 4, 3], activation: 'relu', seed: 1 });
    await expect(train(m, data)).rejects.toThrow(/6 features, the model expects 5/);
  });

  it('early stopping on a validation fraction stops before max_iter on a plateau', async () => {
    const m = createMLP({ sizes: [6, 8, 3], activation: 'relu', seed: 1 });
    const r = await train(m, data, { epochs: 200, batchSize: 16, earlyStopping: true, validationFraction: 0.2, nIterNoChange: 3, tol: 1e-3 });
    expect(r.stopReason).toBe('early_stopping');
    expect(r.epochs.length).toBeLessThan(200);
    expect(r.epochs[0].valAccuracy).not.toBeNull();
  });

  it('computeGradients gives per-layer mean gradients and squared gradients with E[g²] ≥ E[g]²', () => {
    const m = createMLP({ sizes: [6, 5, 3], activation: 'tanh', seed: 1 });
    const { grads, sqGrads } = computeGradients(m, data.train, { batches: 3, batchSize: 8, seed: 1 });
    expect(grads).toHaveLength(2);
    for (let i = 0; i < grads[0].length; i++) expect(sqGrads[0][i]).toBeGreaterThanOrEqual(grads[0][i] ** 2 * (1 - 1e-5) - 1e-12); // E[g²] ≥ E[g]²
  });
});

describe('learning-rate schedules', () => {
  it('follow their formulas', () => {
    expect(scheduledRate({ name: 'constant', lr: 0.1, epochs: 10 }, 7, 0)).toBe(0.1);
    expect(scheduledRate({ name: 'step', lr: 0.1, epochs: 9, stepSize: 3, gamma: 0.5 }, 7, 0)).toBeCloseTo(0.025, 12);
    expect(scheduledRate({ name: 'cosine', lr: 0.1, epochs: 10 }, 5, 0)).toBeCloseTo(0.05, 12);
    expect(scheduledRate({ name: 'cosine', lr: 0.1, epochs: 10 }, 0, 0)).toBeCloseTo(0.1, 12);
    expect(scheduledRate({ name: 'invscaling', lr: 0.1, epochs: 10 }, 2, 99)).toBeCloseTo(0.01, 12);
  });
});
