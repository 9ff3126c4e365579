/**
 * k-means centroid fine-tuning (src/compact/finetune.ts): one full-batch step moves each centroid
 * by −lr × the sum of its weights' gradients (checked against computeGradients and, for the chain
 * rule itself, against finite differences of the loss), and the result is stored by compact
 * without further loss.
 */
import { describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { fineTuneCentroids } from '../src/compact/finetune.js';
import { cloneMLP } from '../src/nn/model.js';
import { computeGradients, evaluate } from '../src/nn/train.js';
import { blobs } from './helpers/datasets.js';
import { tinyModel } from './helpers/models.js';

function prunedModel() {
  const m = tinyModel([6, 12, 3], 5, 'tanh');
  m.layers.forEach((l) => {
    l.weight = l.weight.map((w, i) => (i % 3 === 0 ? 0 : w));
  });
  return m;
}

describe('centroid fine-tuning', () => {
  const data = blobs(48, 6, 3, 2);

  it('one full-batch step: c_k ← c_k − lr · Σ_{a(j)=k} ∂L/∂W_j (computeGradients as the reference), biases by their gradient', () => {
    const lr = 0.05,
      bits = 2;
    const quantized = fineTuneCentroids(prunedModel(), data, { bits, epochs: 0 }).model;
    const g = computeGradients(quantized, data, { batches: 1, batchSize: data.nSamples }).grads;
    const stepped = fineTuneCentroids(prunedModel(), data, { bits, epochs: 1, lr, batchSize: data.nSamples }).model;
    quantized.layers.forEach((l, i) => {
      const sums = new Map<number, number>();
      l.weight.forEach((w, j) => {
        if (w !== 0) sums.set(w, (sums.get(w) ?? 0) + g[i][j]);
      });
      expect(sums.size).toBeLessThanOrEqual(2 ** bits);
      l.weight.forEach((w, j) => {
        if (w === 0)
          expect(stepped.layers[i].weight[j]).toBe(0); // pruned stays pruned
        else expect(stepped.layers[i].weight[j]).toBeCloseTo(w - lr * sums.get(w)!, 5);
      });
    });
  });

  it('the summed gradient is the derivative of the loss with respect to the shared value (finite differences)', () => {
    const q = fineTuneCentroids(prunedModel(), data, { bits: 2, epochs: 0 }).model;
    const g = computeGradients(q, data, { batches: 1, batchSize: data.nSamples }).grads;
    const w0 = q.layers[0].weight;
    const c = w0.find((w) => w !== 0)!;
    const summed = w0.reduce((s, w, j) => (w === c ? s + g[0][j] : s), 0);
    const h = 1e-3;
    const lossAt = (d: number) => {
      const m = cloneMLP(q);
      m.layers[0].weight = m.layers[0].weight.map((w) => (w === c ? w + d : w));
      return evaluate(m, data).loss;
    };
    expect((lossAt(h) - lossAt(-h)) / (2 * h)).toBeCloseTo(summed, 3);
  });

  it('lowers the training loss of the quantized model, and compact stores the fine-tuned values exactly', () => {
    const m = prunedModel();
    const before = evaluate(fineTuneCentroids(m, data, { bits: 2, epochs: 0 }).model, data).loss;
    const { model: tuned, losses } = fineTuneCentroids(m, data, { bits: 2, epochs: 20, lr: 0.05, batchSize: 8, seed: 1 });
    expect(losses).toHaveLength(20);
    expect(evaluate(tuned, data).loss).toBeLessThan(before);
    const { report } = compact(tuned, { values: 'kmeans', bits: 2, layout: 'csr', formatVersion: 2 });
    expect(report.layers.map((l) => l.maxValueError)).toEqual([0, 0]);
    expect(m.layers[0].weight.some((w, j) => w !== tuned.layers[0].weight[j])).toBe(true); // the input model is left alone
  });

  it('refuses bad settings', () => {
    expect(() => fineTuneCentroids(prunedModel(), data, { bits: 2, epochs: -1 })).toThrow(/epochs must be a whole number/);
    expect(() => fineTuneCentroids(prunedModel(), data, { bits: 2, epochs: 1, lr: 0 })).toThrow(/learning rate must be > 0/);
    expect(() => fineTuneCentroids(prunedModel(), data, { bits: 9, epochs: 0 })).toThrow(/bits must be 1…8/);
  });
});
