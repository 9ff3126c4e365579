/**
 * The library's ergonomics: createMLP sized from the data, the renamed file functions, the
 * runtime's logits, training that lets timers run and can be aborted, and error classes that
 * say what they are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';
import { createMLP, decodeMLP, encodeMLP, loadData, loadMLP, loadModel, pruneModel, saveMLP, saveModel, train, trainerContext } from '../src/index.js';
import * as runtime from '../src/runtime/index.js';
import { UsageError, RunError } from '../src/cli/args.js';
import { compact } from '../src/compact/compact.js';
import { encodeModel } from '../src/sparse/format.js';

describe('createMLP from data', () => {
  it('works out the sizes, the standardisation and the names from the dataset', async () => {
    const data = await loadData('iris');
    const m = createMLP({ hidden: [10, 10] }, data);
    expect(m.layers.map((l) => [l.inFeatures, l.outFeatures])).toEqual([
      [4, 10],
      [10, 10],
      [10, 3],
    ]);
    expect(m.layers.map((l) => l.activation)).toEqual(['relu', 'relu', 'identity']);
    expect(Array.from(m.preprocessing.mean!)).toEqual(Array.from(data.mean!));
    expect(Array.from(m.preprocessing.scale!)).toEqual(Array.from(data.scale!));
    expect(m.preprocessing.labelNames).toEqual(data.train.labelNames);
    expect(m.preprocessing.featureNames).toEqual(data.train.featureNames);
    // same seed, same weights as the explicit form
    const explicit = createMLP({ sizes: [4, 10, 10, 3], activation: 'relu', seed: 1 });
    expect(m.layers[0].weight).toEqual(explicit.layers[0].weight);
    expect(() => createMLP({ hidden: [3] }, {} as never)).toThrow(/loadData/);
  });
});

describe('renamed file functions', () => {
  it('loadMLP/saveMLP are the root names; loadModel/saveModel stay one version as aliases', () => {
    expect(typeof loadMLP).toBe('function');
    expect(typeof saveMLP).toBe('function');
    expect(loadModel).toBe(loadMLP);
    expect(saveModel).toBe(saveMLP);
    expect(decodeMLP(encodeMLP(createMLP({ sizes: [2, 2], activation: 'relu', seed: 1 }))).layers.length).toBe(1);
  });
});

describe('runtime predictLogits', () => {
  it('softmax of the logits is predictProba, argmax is predict', async () => {
    const m = createMLP({ sizes: [5, 7, 4], activation: 'tanh', seed: 3 });
    const model = await runtime.loadModel(encodeModel(compact(m).compact));
    const x = Float32Array.from({ length: 15 }, (_, i) => Math.sin(i));
    const z = model.predictLogits(x);
    const p = model.predictProba(x);
    const labels = model.predict(x);
    expect(z.length).toBe(12);
    for (let s = 0; s < 3; s++) {
      const row = Array.from(z.subarray(s * 4, s * 4 + 4));
      const e = row.map((v) => Math.exp(v - Math.max(...row)));
      const sum = e.reduce((a, b) => a + b, 0);
      e.forEach((v, o) => expect(Math.abs(v / sum - p[s * 4 + o])).toBeLessThan(1e-6));
      expect(labels[s]).toBe(row.indexOf(Math.max(...row)));
    }
  });
});

describe('long work shares the event loop', () => {
  it('a 10 ms setInterval ticks while train() runs', async () => {
    const data = await loadData('iris');
    const model = createMLP({ hidden: [32, 32] }, data);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    // Train for a fixed stretch of wall time (not a fixed epoch count, whose duration depends on the
    // machine and the kernels): far more epochs than fit in 300 ms, stopped by an AbortSignal.
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const t0 = performance.now();
    try {
      await train(model, data, { epochs: 1_000_000, batchSize: 4, lr: 0.01, tol: 0 }, { signal: stop.signal });
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    } finally {
      clearInterval(timer);
    }
    const ms = performance.now() - t0;
    // before: 0 ticks (only a microtask between epochs). Ideal: one per 10 ms; on a loaded machine
    // (the process descheduled for tens of ms) far fewer, so ask for one per 100 ms.
    expect(ms).toBeGreaterThan(250);
    expect(ticks, `${ticks} ticks in ${ms.toFixed(0)} ms`).toBeGreaterThanOrEqual(Math.max(3, Math.floor(ms / 100)));
  });

  it('train() and pruneModel() stop on an AbortSignal', async () => {
    const data = await loadData('iris');
    const model = createMLP({ hidden: [32] }, data);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    let epochs = 0;
    const t0 = performance.now();
    await expect(
      train(
        model,
        data,
        { epochs: 100_000, batchSize: 4, tol: 0 },
        {
          signal: controller.signal,
          onEpoch: () => {
            epochs++;
          },
        },
      ),
    ).rejects.toThrow(/abort/i);
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(epochs).toBeLessThan(100_000);

    await expect(pruneModel(model, trainerContext(data), { amount: { sparsity: 0.5 }, finetuneEpochs: 1, signal: AbortSignal.abort() })).rejects.toThrow(
      /abort/i,
    );
    const slow = new AbortController();
    setTimeout(() => slow.abort(), 30);
    await expect(
      pruneModel(model, trainerContext(data, { train: { tol: 0 } }), {
        amount: { sparsity: 0.5 },
        schedule: 'iterative',
        finetuneEpochs: 100_000,
        signal: slow.signal,
      }),
    ).rejects.toThrow(/abort/i);
  });
});

describe('a library, not a program', () => {
  it("saving a model installs no signal handler (so Ctrl-C in a host app is the app's business)", () => {
    const dir = mkdtempSync(join(tmpdir(), 'prunekit-api-'));
    const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
    try {
      saveMLP(join(dir, 'm.safetensors'), createMLP({ sizes: [2, 2], activation: 'relu', seed: 1 }));
      expect(loadMLP(join(dir, 'm.safetensors')).layers.length).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(before);
  });
});

describe('error classes', () => {
  it('each has its own name', () => {
    const classes: [string, new (m: string) => Error][] = [
      ['DataError', api.DataError],
      ['DivergenceError', api.DivergenceError],
      ['FormatError', api.FormatError],
      ['KernelLoadError', api.KernelLoadError],
      ['FormatError', runtime.FormatError],
      ['KernelLoadError', runtime.KernelLoadError],
      ['UsageError', UsageError],
      ['RunError', RunError],
    ];
    for (const [name, C] of classes) {
      const e = new C('x');
      expect(e.name).toBe(name);
      expect(String(e)).toBe(`${name}: x`);
    }
  });
});
