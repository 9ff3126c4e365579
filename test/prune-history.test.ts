/**
 * The pruning math that needs more than the final weights: the per-sample Fisher behind OBD, Sanh
 * et al.'s movement scores accumulated during training, the weight range over training, the
 * lottery ticket's rewind point, and that every pruning run keeps its own history. References are
 * independent: a hand-written float64 MLP (test/helpers/mlp64.ts), itself checked against finite
 * differences.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceKernels } from '../src/kernels/index.js';
import { cloneMLP, createMLP, type MLP } from '../src/nn/model.js';
import { computeGradients, train } from '../src/nn/train.js';
import { HistoryRecorder, MovementTracker, RangeTracker } from '../src/nn/history.js';
import { decodeMLP, encodeMLP } from '../src/nn/io.js';
import { displacementScores, obdScores, scoreModel, taylorScores } from '../src/prune/criteria.js';
import { pruneModel } from '../src/prune/prune.js';
import { trainerContext } from '../src/prune/trainer.js';
import { runSweep } from '../src/report/sweep.js';
import { encodeSafetensors, decodeSafetensors } from '../src/util/safetensors.js';
import type { SplitDataset } from '../src/data/types.js';
import { blobs } from './helpers/datasets.js';
import { batchGrad64, params64, sampleGrad64 } from './helpers/mlp64.js';

const all = (n: number) => Array.from({ length: n }, (_, i) => i);
const flat = (xs: ArrayLike<number>[]) => xs.flatMap((x) => Array.from(x));
/** Indices sorted by score (ties by index): the order a threshold prunes in. */
const order = (xs: ArrayLike<number>[]) => {
  const f = flat(xs);
  return all(f.length).sort((a, b) => f[a] - f[b] || a - b);
};

async function trainedWithHistory(rewindEpoch = 0): Promise<{ model: MLP; data: SplitDataset }> {
  const data: SplitDataset = { train: blobs(12, 5, 3, 21, 1.2), test: blobs(4, 5, 3, 22, 1.2), mean: null, scale: null };
  const model = createMLP({ sizes: [5, 8, 3], activation: 'relu', seed: 9 });
  const rec = new HistoryRecorder(model, { rewindEpoch });
  await train(model, data, { epochs: 6, batchSize: 8, lr: 0.1, seed: 3 }, rec.hooks);
  model.history = rec.history;
  return { model, data };
}

describe('the float64 reference MLP', () => {
  it('per-sample gradients match finite differences of its loss', () => {
    const ds = blobs(2, 4, 3, 5);
    const m = createMLP({ sizes: [4, 5, 3], activation: 'tanh', seed: 2 });
    const p = params64(m);
    const x = ds.features.subarray(0, 4),
      y = ds.labels[0];
    const { gW } = sampleGrad64(m, p, x, y);
    const h = 1e-6;
    p.W.forEach((W, l) =>
      W.forEach((w, j) => {
        W[j] = w + h;
        const lp = sampleGrad64(m, p, x, y).loss;
        W[j] = w - h;
        const lm = sampleGrad64(m, p, x, y).loss;
        W[j] = w;
        expect(Math.abs(gW[l][j] - (lp - lm) / (2 * h))).toBeLessThan(1e-7);
      }),
    );
  });
});

describe('computeGradients on a masked model', () => {
  it('M ⊙ ∂L/∂W: the float64 reference at kept weights, exactly 0 at pruned ones, on the dense and the sparse path', () => {
    const ds = blobs(6, 5, 3, 2);
    const m = createMLP({ sizes: [5, 7, 3], activation: 'tanh', seed: 4 });
    m.layers.forEach((L, l) => {
      L.mask = Uint8Array.from(L.weight, (_, j) => ((j * 7 + l) % 3 === 0 ? 0 : 1));
      L.weight.forEach((_, j) => {
        if (!L.mask![j]) L.weight[j] = 0;
      });
    });
    const N = ds.nSamples;
    const ref = batchGrad64(m, params64(m), ds.features, ds.labels, all(N)).gW;
    for (const sparse of ['off', 'on'] as const) {
      const { grads, sqGrads } = computeGradients(m, ds, { batches: 1, batchSize: N, seed: 1, sparse });
      m.layers.forEach((L, l) =>
        L.mask!.forEach((keep, j) => {
          if (!keep) {
            expect(Object.is(grads[l][j], 0) && Object.is(sqGrads[l][j], 0), `${sparse}: layer ${l} weight ${j}`).toBe(true);
            return;
          }
          expect(Math.abs(grads[l][j] - ref[l][j])).toBeLessThan(1e-6 + 1e-4 * Math.abs(ref[l][j]));
          expect(Math.abs(sqGrads[l][j] - ref[l][j] ** 2)).toBeLessThan(1e-9 + 1e-3 * ref[l][j] ** 2);
        }),
      );
      expect(ref[0].some((v, j) => m.layers[0].mask![j] === 0 && Math.abs(v) > 1e-4)).toBe(true); // the raw gradient is not 0 there
    }
  });
});

describe('obd: the per-sample (empirical) Fisher', () => {
  const ds = blobs(6, 5, 3, 2);
  const m = createMLP({ sizes: [5, 7, 3], activation: 'tanh', seed: 4 });
  m.layers[0].bias.forEach((_, i) => (m.layers[0].bias[i] = 0.1 * Math.cos(i)));

  it('equals mean_n (∂ℓ_n/∂W)² computed sample by sample, on every backend', () => {
    const p = params64(m);
    const ref = m.layers.map((L) => new Float64Array(L.weight.length));
    for (let n = 0; n < ds.nSamples; n++) {
      sampleGrad64(m, p, ds.features.subarray(n * 5, n * 5 + 5), ds.labels[n]).gW.forEach((g, l) => g.forEach((v, j) => (ref[l][j] += (v * v) / ds.nSamples)));
    }
    for (const kernels of [createReferenceKernels(), undefined]) {
      // 3 batches × 6 = all 18 samples, each once
      const { fisher, sqGrads } = computeGradients(m, ds, { batches: 3, batchSize: 6, seed: 1, kernels, fisher: true });
      fisher!.forEach((f, l) => f.forEach((v, j) => expect(Math.abs(v - ref[l][j])).toBeLessThan(1e-6 + 1e-4 * ref[l][j])));
      // The old estimator (squared batch means) is far smaller: E[ḡ²] = μ² + σ²/B.
      expect(flat(sqGrads).reduce((a, v) => a + v, 0)).toBeLessThan(0.5 * flat(fisher!).reduce((a, v) => a + v, 0));
    }
  });

  it('asking for it leaves the mean gradient (taylor) and the squared batch means bit for bit unchanged', () => {
    const opts = { batches: 3, batchSize: 6, seed: 1 };
    const plain = computeGradients(m, ds, opts),
      withF = computeGradients(m, ds, { ...opts, fisher: true });
    expect(flat(withF.grads)).toEqual(flat(plain.grads));
    expect(flat(withF.sqGrads)).toEqual(flat(plain.sqGrads));
    expect(plain.fisher).toBeUndefined();
  });

  it('no longer ranks like taylor when the data fit in one batch', () => {
    const g = computeGradients(m, ds, { batches: 1, batchSize: ds.nSamples, fisher: true });
    const taylor = order(taylorScores(m, g.grads));
    // ½·ḡ²·w² is a monotone function of |w·ḡ|: the squared batch mean ranked exactly like taylor…
    expect(order(obdScores(m, g.sqGrads))).toEqual(taylor);
    // …the Fisher does not: weights whose per-sample gradients cancel in the mean still count.
    const obd = order(obdScores(m, g.fisher!));
    const half = taylor.length >> 1;
    const prunedByBoth = taylor.slice(0, half).filter((i) => obd.slice(0, half).includes(i)).length;
    expect(prunedByBoth).toBeLessThan(half);
  });

  it('scores a weight whose per-sample gradients cancel (taylor calls it unimportant)', () => {
    // Two samples with gradients +1 and −1 on weight 0, +0.5 and +0.5 on weight 1; both weights = 1.
    const model = {
      layers: [{ inFeatures: 2, outFeatures: 1, weight: Float32Array.from([1, 1]), bias: new Float32Array(1), activation: 'identity' as const }],
      preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] },
      provenance: {},
    };
    const grads = [Float32Array.from([0, 0.5])],
      fisher = [Float32Array.from([1, 0.25])];
    expect(Array.from(taylorScores(model, grads)[0])).toEqual([0, 0.5]);
    expect(Array.from(scoreModel(model, 'obd', { gradients: { grads, sqGrads: grads.map((g) => g.map((v) => v * v)), fisher } })[0])).toEqual([0.5, 0.125]);
  });
});

describe('movement (Sanh et al. 2020): S = −Σ_t w_t·∂L/∂w_t', () => {
  it('matches an independent float64 replay of the same SGD steps (momentum, weight decay)', async () => {
    const ds = blobs(5, 4, 3, 7);
    const m = createMLP({ sizes: [4, 6, 3], activation: 'tanh', seed: 5 });
    const p = params64(m);
    const rec = new HistoryRecorder(m);
    const lr = 0.1,
      mu = 0.5,
      alpha = 1e-3,
      N = ds.nSamples,
      epochs = 4;
    // Full batches: the shuffle cannot change the mean gradient, so the replay needs no RNG.
    await train(m, { train: ds }, { epochs, batchSize: N, lr, momentum: mu, alpha, seed: 1, tol: 0 }, rec.hooks);

    const S = m.layers.map((L) => new Float64Array(L.weight.length));
    const vW = p.W.map((w) => new Float64Array(w.length)),
      vb = p.b.map((b) => new Float64Array(b.length));
    for (let t = 0; t < epochs; t++) {
      const { gW, gb } = batchGrad64(m, p, ds.features, ds.labels, all(N));
      p.W.forEach((W, l) =>
        W.forEach((w, j) => {
          S[l][j] -= w * gW[l][j]; // the data-loss gradient, before weight decay joins the step
          vW[l][j] = mu * vW[l][j] + gW[l][j] + (alpha / N) * w;
          W[j] = w - lr * vW[l][j];
        }),
      );
      p.b.forEach((b, l) =>
        b.forEach((v, j) => {
          vb[l][j] = mu * vb[l][j] + gb[l][j];
          b[j] = v - lr * vb[l][j];
        }),
      );
    }
    const got = rec.history.movement!;
    expect(got.steps).toBe(epochs);
    got.scores.forEach((s, l) => s.forEach((v, j) => expect(Math.abs(v - S[l][j])).toBeLessThan(1e-6 + 1e-3 * Math.abs(S[l][j]))));
    // Sign-sensitive: some weights grew (S > 0), some shrank (S < 0); the criterion keeps the sign.
    const scores = flat(scoreModel(m, 'movement', { movement: got }));
    expect(scores.some((v) => v > 0) && scores.some((v) => v < 0)).toBe(true);
    expect(scores).toEqual(flat(got.scores));
  });

  it('is not |w − w₀| (the old "movement", now displacement)', async () => {
    const { model } = await trainedWithHistory();
    expect(order(scoreModel(model, 'movement'))).not.toEqual(order(scoreModel(model, 'displacement')));
  });

  it('accumulates during a pruning run’s own fine-tuning when the model has no history (gradual)', async () => {
    const { model, data } = await trainedWithHistory();
    delete model.history;
    expect(() => scoreModel(model, 'movement')).toThrow(/movement accumulated during training/);
    const ctx = trainerContext(data, { train: { batchSize: 8, lr: 0.05, seed: 1 }, trainMetrics: false });
    await expect(pruneModel(model, ctx, { amount: { sparsity: 0.5 }, criterion: 'movement', schedule: 'oneshot', finetuneEpochs: 1 })).rejects.toThrow(
      /no optimizer step has been recorded/,
    );
    const r = await pruneModel(model, ctx, { amount: { sparsity: 0.5 }, criterion: 'movement', schedule: 'gradual', finetuneEpochs: 3 });
    expect(r.model.history!.movement!.steps).toBe(3 * Math.ceil(data.train.nSamples / 8));
  });
});

describe('range: max − min over training', () => {
  it('is recorded by train: at least |w − w₀|, larger where a weight went back and forth', async () => {
    const { model } = await trainedWithHistory();
    const range = flat(scoreModel(model, 'range')),
      disp = flat(displacementScores(model, model.history!.initial!.weights));
    range.forEach((r, i) => expect(r).toBeGreaterThanOrEqual(disp[i]));
    expect(range.filter((r, i) => r > disp[i] + 1e-6).length).toBeGreaterThan(0);
    expect(model.history!.range!.snapshots).toBe(7); // w₀ + 6 epochs
  });
});

describe('trainerContext: epochMetrics', () => {
  it('off: fine-tuning skips the per-epoch test pass and leaves the same weights', async () => {
    const { model, data } = await trainedWithHistory();
    const tune = async (epochMetrics: boolean) => {
      const m = cloneMLP(model);
      const ctx = trainerContext(data, { train: { batchSize: 8, lr: 0.05, seed: 1 }, epochMetrics });
      const r = (await ctx.fineTune!(m, 2)) as Awaited<ReturnType<typeof train>>;
      return { m, r };
    };
    const on = await tune(true),
      off = await tune(false);
    expect(on.r.epochs.map((e) => e.testAccuracy)).not.toContain(null);
    expect(off.r.epochs.map((e) => e.testAccuracy)).toEqual([null, null]);
    expect(flat(off.m.layers.map((L) => L.weight))).toEqual(flat(on.m.layers.map((L) => L.weight)));
  });
});

describe('every pruning run keeps its own history', () => {
  it('a tracker passed in is copied, not extended with the run’s fine-tuning', async () => {
    const { model, data } = await trainedWithHistory();
    const tracker = model.history!.range!.clone();
    const before = { min: flat(tracker.min), max: flat(tracker.max), snapshots: tracker.snapshots };
    const ctx = trainerContext(data, { train: { batchSize: 8, lr: 0.05, seed: 1 }, trainMetrics: false });
    const r = await pruneModel(model, ctx, { amount: { sparsity: 0.7 }, criterion: 'random', schedule: 'oneshot', finetuneEpochs: 2, inputs: { tracker } });
    expect({ min: flat(tracker.min), max: flat(tracker.max), snapshots: tracker.snapshots }).toEqual(before);
    expect(r.model.history!.range!.snapshots).toBe(before.snapshots + 2);
    expect(model.history!.range!.snapshots).toBe(7);
  });

  it('range pruning gives the same mask whether or not another criterion ran first', async () => {
    const { model, data } = await trainedWithHistory();
    const ctx = () => trainerContext(data, { train: { batchSize: 8, lr: 0.05, seed: 1 }, trainMetrics: false });
    const opts = { amount: { sparsity: 0.6 }, criterion: 'range' as const, schedule: 'iterative' as const, steps: 2, finetuneEpochs: 1 };
    const alone = await pruneModel(model, ctx(), opts);
    await pruneModel(model, ctx(), { ...opts, criterion: 'random' });
    const after = await pruneModel(model, ctx(), opts);
    expect(after.model.layers.map((L) => Array.from(L.mask!))).toEqual(alone.model.layers.map((L) => Array.from(L.mask!)));
  });
});

describe('sweep: each criterion sees only its own history', () => {
  it('the range points are the same whether or not other criteria ran before them', async () => {
    const data = { train: blobs(12, 5, 3, 21, 1.2), test: blobs(4, 5, 3, 22, 1.2), mean: null, scale: null };
    const sweep = (criteria: ('random' | 'movement' | 'range')[]) =>
      runSweep({
        data,
        dataSpec: 'blobs',
        hidden: [8],
        activation: 'relu',
        seed: 3,
        train: { epochs: 4, batchSize: 8, lr: 0.1 },
        sparsities: [0.5, 0.8],
        criteria,
        scopes: ['global'],
        schedules: ['iterative'],
        finetuneEpochs: 2,
        batches: [1],
        runs: 1,
      });
    const key = (p: { criterion: string; accuracy: number; loss: number; sparsity: number; bytes: number }) => ({
      accuracy: p.accuracy,
      loss: p.loss,
      sparsity: p.sparsity,
      bytes: p.bytes,
    });
    const alone = (await sweep(['range'])).report.points.map(key);
    const mixed = (await sweep(['random', 'movement', 'range'])).report.points.filter((p) => p.criterion === 'range').map(key);
    expect(mixed).toEqual(alone);
  });
});

describe('lottery ticket: rewinds to w₀ by default', () => {
  const ctxFor = (data: SplitDataset) => trainerContext(data, { train: { batchSize: 8, lr: 0.05, seed: 1 }, trainMetrics: false });

  it('kept weights are w₀ after the rewind (no retraining), pruned ones 0', async () => {
    const { model, data } = await trainedWithHistory();
    const { model: ticket } = await pruneModel(model, ctxFor(data), { amount: { sparsity: 0.5 }, schedule: 'lottery', finetuneEpochs: 0 });
    const w0 = model.history!.initial!;
    ticket.layers.forEach((L, l) => {
      L.weight.forEach((w, j) => expect(w).toBe(L.mask![j] ? w0.weights[l][j] : 0));
      expect(Array.from(L.bias)).toEqual(Array.from(w0.biases[l]));
    });
  });

  it('rewinds to the weights after epoch k when training recorded them', async () => {
    const { model, data } = await trainedWithHistory(2);
    const { model: ticket } = await pruneModel(model, ctxFor(data), { amount: { sparsity: 0.5 }, schedule: 'lottery', finetuneEpochs: 0, rewindEpoch: 2 });
    const wk = model.history!.rewind!;
    expect(wk.epoch).toBe(2);
    ticket.layers.forEach((L, l) => L.weight.forEach((w, j) => expect(w).toBe(L.mask![j] ? wk.weights[l][j] : 0)));
    await expect(pruneModel(model, ctxFor(data), { amount: { sparsity: 0.5 }, schedule: 'lottery', finetuneEpochs: 0, rewindEpoch: 3 })).rejects.toThrow(
      /epoch 3 .*recorded epoch 2 .*--rewind-epoch 3/,
    );
  });

  it('without a recorded w₀ or rewindTo it refuses instead of rewinding to the trained weights', async () => {
    const { model, data } = await trainedWithHistory();
    delete model.history;
    await expect(pruneModel(model, ctxFor(data), { amount: { sparsity: 0.5 }, schedule: 'lottery', finetuneEpochs: 0 })).rejects.toThrow(
      /no weights to rewind to/,
    );
  });
});

describe('the history in the training-model file', () => {
  it('round-trips bit for bit, and a model without one writes the same bytes as before', async () => {
    const { model } = await trainedWithHistory(1);
    const back = decodeMLP(encodeMLP(model));
    const h = model.history!,
      b = back.history!;
    expect(flat(b.range!.min)).toEqual(flat(h.range!.min));
    expect(flat(b.range!.max)).toEqual(flat(h.range!.max));
    expect(b.range!.snapshots).toBe(h.range!.snapshots);
    expect(flat(b.movement!.scores)).toEqual(flat(h.movement!.scores));
    expect(b.movement!.steps).toBe(h.movement!.steps);
    expect(flat(b.initial!.weights)).toEqual(flat(h.initial!.weights));
    expect(b.rewind!.epoch).toBe(1);
    expect(encodeMLP(back)).toEqual(encodeMLP(model));
    const bare = cloneMLP(model);
    delete bare.history;
    expect(decodeMLP(encodeMLP(bare)).history).toBeUndefined();
    expect(new TextDecoder().decode(encodeMLP(bare))).not.toMatch(/range\.0|movement\.0|"history"/);
  });

  /** Re-encodes the file with one tensor or metadata field changed. */
  function tamper(
    bytes: Uint8Array,
    edit: (t: Map<string, { dtype: string; shape: number[]; data: ArrayLike<number> }>, meta: Record<string, unknown>) => void,
  ): Uint8Array {
    const st = decodeSafetensors(bytes);
    const meta = JSON.parse(st.metadata.prunekit!);
    edit(st.tensors as never, meta);
    return encodeSafetensors(st.tensors as never, { ...st.metadata, prunekit: JSON.stringify(meta) });
  }

  it.each([
    ['a part missing for one layer', (t: Map<string, unknown>) => t.delete('range.1.max'), /tensor 'range.1.max' is missing/],
    [
      'min above max',
      (t: Map<string, { data: Float32Array }>) => {
        const d = Float32Array.from(t.get('range.0.min')!.data);
        d[3] = 1e6;
        t.set('range.0.min', { ...t.get('range.0.min')!, data: d });
      },
      /'range.0.min' exceeds 'range.0.max' at index 3/,
    ],
    [
      'a non-finite movement score',
      (t: Map<string, { data: Float32Array }>) => {
        const d = Float32Array.from(t.get('movement.0')!.data);
        d[2] = NaN;
        t.set('movement.0', { ...t.get('movement.0')!, data: d });
      },
      /'movement.0' holds a non-finite value at index 2/,
    ],
    [
      'a bad snapshot count',
      (_t: unknown, meta: { history: { rangeSnapshots: unknown } }) => {
        meta.history.rangeSnapshots = 0;
      },
      /history.rangeSnapshots is 0, expected a whole number ≥ 1/,
    ],
    [
      'a wrong shape',
      (t: Map<string, { shape: number[]; data: Float32Array }>) => {
        t.set('initial.0.bias', { ...t.get('initial.0.bias')!, shape: [2], data: new Float32Array(2) });
      },
      /tensor 'initial.0.bias' is F32 \[2\], expected F32 \[8\]/,
    ],
  ] as const)('refuses %s, naming it', async (_what, edit, msg) => {
    const { model } = await trainedWithHistory();
    expect(() => decodeMLP(tamper(encodeMLP(model), edit as never), 'm.st')).toThrow(msg);
  });

  it('tracker state survives: RangeTracker/MovementTracker.fromState clone independently', () => {
    const r = RangeTracker.fromState([Float32Array.from([0])], [Float32Array.from([1])], 2);
    const c = r.clone();
    c.max[0][0] = 5;
    expect(r.max[0][0]).toBe(1);
    const mv = MovementTracker.fromState([Float32Array.from([1, 2])], 3);
    mv.observe([[1, 1]], [[0.5, -1]]);
    expect(Array.from(mv.scores[0])).toEqual([0.5, 3]);
    expect(mv.steps).toBe(4);
  });
});
