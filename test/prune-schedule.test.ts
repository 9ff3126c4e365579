import { describe, expect, it } from 'vitest';
import type { MLP } from '../src/nn/model.js';
import { cloneMLP } from '../src/nn/model.js';
import { geometricSparsities, lotterySparsities, polynomialSparsity, type FineTune, type FineTuneHooks } from '../src/prune/schedule.js';
import { pruneModel, type PruneContext } from '../src/prune/prune.js';
import { tinyModel, zeros } from './helpers/models.js';

const sizes = [12, 10, 8, 3];
const total = (m: MLP) => m.layers.reduce((a, L) => a + L.weight.length, 0);
const totalZeros = (m: MLP) => m.layers.reduce((a, L) => a + zeros(L.weight), 0);

/** A fake trainer: each "step" nudges every kept weight, honouring masks and the onStep hook like the real one must. */
function fakeTrainer(stepsPerEpoch: number, log: { calls: { epochs: number; start: MLP }[]; hookSteps: number[] }): FineTune {
  return async (model, epochs, hooks?: FineTuneHooks) => {
    log.calls.push({ epochs, start: cloneMLP(model) });
    let t = 0;
    for (let e = 0; e < epochs; e++) {
      for (let s = 0; s < stepsPerEpoch; s++) {
        t++;
        for (const L of model.layers) for (let i = 0; i < L.weight.length; i++) if (!L.mask || L.mask[i]) L.weight[i] += 0.001 * (((i * 7 + t) % 5) - 2);
        if (hooks?.onStep && t % hooks.onStep.every === 0) {
          log.hookSteps.push(t);
          hooks.onStep.fn(t, model);
        }
      }
      hooks?.onEpoch?.({ epoch: e }, model);
    }
  };
}

const fakeEval = (m: MLP) => ({ accuracy: 1 - totalZeros(m) / total(m) / 2, loss: 0.1, trainAccuracy: 1 });

describe('sparsity sequences', () => {
  it('polynomial (Zhu & Gupta) matches the formula, clamped outside [t0, t0+nΔt]', () => {
    const o = { initial: 0.1, final: 0.9, t0: 10, n: 4, every: 5 };
    for (const t of [10, 15, 20, 25, 30]) expect(polynomialSparsity(t, o)).toBeCloseTo(0.9 + (0.1 - 0.9) * (1 - (t - 10) / 20) ** 3, 12);
    expect(polynomialSparsity(0, o)).toBeCloseTo(0.1, 12);
    expect(polynomialSparsity(100, o)).toBeCloseTo(0.9, 12);
  });
  it('geometric: kept fraction shrinks by a constant factor, ends on the target', () => {
    const s = geometricSparsities(0.99, 4);
    s.forEach((v, k) => expect(1 - v).toBeCloseTo(0.01 ** ((k + 1) / 4), 12));
    expect(s[3]).toBe(0.99);
  });
  it('lottery: 20% of the remaining weights per round', () => {
    const s = lotterySparsities(0.5);
    expect(s.slice(0, 3).map((v) => +v.toFixed(6))).toEqual([0.2, 0.36, 0.488]);
    expect(s.at(-1)).toBe(0.5);
    expect(s.length).toBe(4);
  });
});

describe('schedules with a fake trainer', () => {
  it('iterative reaches every target exactly and fine-tunes after each round', async () => {
    const log = { calls: [] as { epochs: number; start: MLP }[], hookSteps: [] as number[] };
    const m = tinyModel(sizes, 21);
    const ctx: PruneContext = { fineTune: fakeTrainer(3, log), evaluate: fakeEval };
    const targets = [0.5, 0.8, 0.9];
    const { model, steps } = await pruneModel(m, ctx, {
      amount: { sparsity: 0.9 },
      schedule: 'iterative',
      sparsities: targets,
      finetuneEpochs: 2,
      scope: 'global',
    });
    expect(log.calls.map((c) => c.epochs)).toEqual([2, 2, 2]);
    const pruned = steps.filter((s) => s.phase === 'pruned');
    pruned.forEach((s, k) => expect(s.sparsity).toBeCloseTo(Math.round(targets[k] * total(m)) / total(m), 12));
    const tuned = steps.filter((s) => s.phase === 'finetuned');
    tuned.forEach((s, k) => expect(s.sparsity).toBeCloseTo(Math.round(targets[k] * total(m)) / total(m), 12)); // pruned weights stayed 0
    expect(totalZeros(model)).toBe(Math.round(0.9 * total(m)));
    expect(steps[0].phase).toBe('dense');
    expect(steps[1].gap).toBeCloseTo(1 - steps[1].accuracy!, 12);
    expect(totalZeros(m)).toBe(0); // the input model is untouched
  });

  it('gradual: masks follow s_t at every pruning step of training', async () => {
    const log = { calls: [] as { epochs: number; start: MLP }[], hookSteps: [] as number[] };
    const m = tinyModel(sizes, 22);
    const N = total(m);
    const spe = 8,
      epochs = 5; // 40 steps; pruning ends at 30 → n = 5, Δt = 6
    const ctx: PruneContext = { fineTune: fakeTrainer(spe, log), evaluate: fakeEval, stepsPerEpoch: spe };
    const { model, steps } = await pruneModel(m, ctx, { amount: { sparsity: 0.8 }, schedule: 'gradual', finetuneEpochs: epochs, steps: 5 });
    const g = steps.filter((s) => s.phase === 'gradual');
    expect(g.map((s) => s.trainingStep)).toEqual([6, 12, 18, 24, 30]);
    for (const s of g) {
      const expected = 0.8 + (0 - 0.8) * (1 - s.trainingStep! / 30) ** 3;
      expect(s.targetSparsity).toBeCloseTo(expected, 12);
      // per-layer scope: each layer hits round(s·N_l)
      s.layers.forEach((L) => expect(L.weights - L.nonzeros).toBe(Math.round(expected * L.weights)));
    }
    expect(model.layers.every((L) => zeros(L.weight) === Math.round(0.8 * L.weight.length))).toBe(true);
    expect(steps.at(-1)!.phase).toBe('finetuned');
    expect(N).toBe(total(model));
  });

  it('lottery: each round rewinds kept weights to w₀ and pruned ones to 0', async () => {
    const log = { calls: [] as { epochs: number; start: MLP }[], hookSteps: [] as number[] };
    const w0 = tinyModel(sizes, 30);
    const trained = tinyModel(sizes, 31);
    const ctx: PruneContext = { fineTune: fakeTrainer(2, log), evaluate: fakeEval };
    const { model } = await pruneModel(trained, ctx, { amount: { sparsity: 0.5 }, schedule: 'lottery', finetuneEpochs: 1, rewindTo: w0 });
    expect(log.calls.length).toBe(4); // 20%, 36%, 48.8%, 50%
    for (const c of log.calls) {
      c.start.layers.forEach((L, l) => {
        for (let i = 0; i < L.weight.length; i++) expect(L.weight[i]).toBe(L.mask![i] ? w0.layers[l].weight[i] : 0);
        expect(Array.from(L.bias)).toEqual(Array.from(w0.layers[l].bias));
      });
    }
    // masks shrink monotonically: round k's kept set ⊆ round k−1's
    for (let k = 1; k < log.calls.length; k++) {
      log.calls[k].start.layers.forEach((L, l) => {
        for (let i = 0; i < L.weight.length; i++) if (L.mask![i]) expect(log.calls[k - 1].start.layers[l].mask![i]).toBe(1);
      });
    }
    model.layers.forEach((L) => expect(zeros(L.weight)).toBe(Math.round(0.5 * L.weight.length)));
  });

  it('one-shot at the 95th percentile of the first layer (the seed), others untouched', async () => {
    const m = tinyModel([4, 10, 10, 3], 40);
    const { model, steps } = await pruneModel(m, { evaluate: fakeEval }, { amount: { percentile: 95 }, layers: [0] });
    const absW = Array.from(m.layers[0].weight, Math.abs).sort((a, b) => a - b);
    const h = (absW.length - 1) * 0.95,
      lo = Math.floor(h);
    const theta = absW[lo] + (h - lo) * (absW[lo + 1] - absW[lo]);
    model.layers[0].weight.forEach((w, i) => expect(w).toBe(Math.abs(m.layers[0].weight[i]) >= theta ? m.layers[0].weight[i] : 0));
    expect(Array.from(model.layers[1].weight)).toEqual(Array.from(m.layers[1].weight));
    expect(model.layers[0].weight.length).toBe(40); // shape kept (the seed's flattening bug)
    expect(steps.map((s) => s.phase)).toEqual(['dense', 'pruned']);
  });

  it('structured and N:M through pruneModel; errors for bad requests', async () => {
    const m = tinyModel([6, 8, 4, 2], 50);
    const s = await pruneModel(m, {}, { amount: { sparsity: 0.5 }, structured: { kind: 'neurons' } });
    expect(s.model.layers.map((L) => L.outFeatures)).toEqual([4, 2, 2]);
    const nm = await pruneModel(m, {}, { structured: { kind: 'nm', n: 2, m: 4 }, layers: [0, 1] });
    expect(zeros(nm.model.layers[0].weight)).toBe(16); // rows of 6: group of 4 drops 2, group of 2 keeps both
    expect(zeros(nm.model.layers[1].weight)).toBe(16);
    expect(zeros(nm.model.layers[2].weight)).toBe(0);
    await expect(pruneModel(m, {}, { amount: { sparsity: 1 } })).rejects.toThrow(/\[0, 1\)/);
    await expect(pruneModel(m, {}, { amount: { sparsity: 0.5 }, layers: [7] })).rejects.toThrow(/layer index 7 does not exist/);
    await expect(pruneModel(m, {}, { amount: { sparsity: 0.5 }, schedule: 'iterative', finetuneEpochs: 1 })).rejects.toThrow(/fineTune/);
    await expect(pruneModel(m, {}, { amount: { percentile: 50 }, schedule: 'iterative' })).rejects.toThrow(/needs a target sparsity/);
    await expect(pruneModel(m, {}, { structured: { kind: 'nm', n: 4, m: 4 } })).rejects.toThrow(/N < M/);
  });
});
