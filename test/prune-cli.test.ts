import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { createMLP } from '../src/nn/model.js';
import trainCommand from '../src/cli/commands/train.js';
import { loadModel, saveModel } from '../src/nn/io.js';
import { evaluate, train } from '../src/nn/train.js';
import { loadData } from '../src/data/index.js';
import { geometricSparsities } from '../src/prune/schedule.js';
import { runCli } from './helpers/cli.js';

let dir = '';
const path = (f: string) => join(dir, f);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prunekit-prune-'));
  // Trained a little, so that accuracies depend on which rows are tested (an untrained model
  // predicting one class scores exactly 1/3 on every stratified split).
  const data = await loadData('iris', { seed: 1, testFraction: 0.2 });
  const m = createMLP(
    { sizes: [4, 8, 6, 3], activation: 'relu', seed: 1 },
    { mean: data.mean, scale: data.scale, featureNames: data.train.featureNames, labelNames: data.train.labelNames },
  );
  await train(m, data, { epochs: 5, batchSize: 16, lr: 0.05, seed: 1 });
  m.provenance = { sizes: [4, 8, 6, 3], activation: 'relu', train: { seed: 1, lr: 0.05, batchSize: 16 } };
  saveModel(path('iris.st'), m);
  saveModel(path('wide.st'), createMLP({ sizes: [5, 4, 3], activation: 'relu', seed: 1 }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prunekit prune: criteria and schedules that need the training history', () => {
  let trained = '';
  beforeAll(async () => {
    trained = path('trained.st');
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await trainCommand.run(['--data', 'iris', '--hidden', '8', '--epochs', '6', '--batch', '16', '--rewind-epoch', '2', '--out', trained])).toBe(0);
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
  });
  it('train stores the history: range over w₀ and 6 epochs, movement over every step, w₀, epoch 2', () => {
    const h = loadModel(trained).history!;
    expect(h.range!.snapshots).toBe(7);
    expect(h.movement!.steps).toBe(6 * Math.ceil(120 / 16));
    expect(h.initial!.weights).toHaveLength(2);
    expect(h.rewind!.epoch).toBe(2);
  });
  it.each(['range', 'movement', 'displacement'])('--criterion %s prunes a trained model, and the output continues its history', async (criterion) => {
    const r = await runCli([
      'prune',
      '--model',
      trained,
      '--data',
      'iris',
      '--criterion',
      criterion,
      '--sparsity',
      '0.5',
      '--schedule',
      'oneshot',
      '--finetune-epochs',
      '1',
      '--out',
      path(`${criterion}.st`),
    ]);
    expect(r.code, r.err).toBe(0);
    const h = loadModel(path(`${criterion}.st`)).history!;
    expect(h.range!.snapshots).toBe(8);
    expect(h.movement!.steps).toBe(7 * Math.ceil(120 / 16));
  });
  it('train --no-history writes no history; --rewind-epoch with it is a usage error', async () => {
    const quiet = [vi.spyOn(process.stdout, 'write').mockImplementation(() => true), vi.spyOn(process.stderr, 'write').mockImplementation(() => true)];
    try {
      expect(await trainCommand.run(['--data', 'iris', '--hidden', '8', '--epochs', '2', '--no-history', '--out', path('bare.st')])).toBe(0);
      await expect(trainCommand.run(['--data', 'iris', '--epochs', '2', '--no-history', '--rewind-epoch', '1', '--out', path('never.st')])).rejects.toThrow(
        /drop --no-history/,
      );
    } finally {
      for (const q of quiet) q.mockRestore();
    }
    expect(loadModel(path('bare.st')).history).toBeUndefined();
    const r = await runCli(['prune', '--model', path('bare.st'), '--data', 'iris', '--criterion', 'range', '--sparsity', '0.5', '--out', path('x.st')]);
    expect(r.code).toBe(2);
  });
  it.each(['range', 'movement', 'displacement'])('--criterion %s needs no --data: it reads the history in the file', async (criterion) => {
    const r = await runCli(['prune', '--model', trained, '--criterion', criterion, '--sparsity', '0.5', '--out', path(`nodata-${criterion}.st`)]);
    expect(r.code, r.err).toBe(0);
    const a = loadModel(path(`nodata-${criterion}.st`));
    expect(a.layers.reduce((n, L) => n + L.weight.filter((w) => w === 0).length, 0)).toBe(Math.round(0.5 * a.layers.reduce((n, L) => n + L.weight.length, 0)));
  });
  it('range on a model file without a recorded range is refused (not silently |w − w₀|)', async () => {
    const r = await runCli(['prune', '--model', path('iris.st'), '--data', 'iris', '--criterion', 'range', '--sparsity', '0.5', '--out', path('x.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs the weight range recorded during training, and .*iris\.st has none.*retrain/);
  });
  it('--rewind-epoch must match what train recorded', async () => {
    const ok = await runCli([
      'prune',
      '--model',
      trained,
      '--data',
      'iris',
      '--schedule',
      'lottery',
      '--sparsity',
      '0.5',
      '--rewind-epoch',
      '2',
      '--finetune-epochs',
      '1',
      '--out',
      path('lt.st'),
    ]);
    expect(ok.code, ok.err).toBe(0);
    const bad = await runCli([
      'prune',
      '--model',
      trained,
      '--data',
      'iris',
      '--schedule',
      'lottery',
      '--sparsity',
      '0.5',
      '--rewind-epoch',
      '3',
      '--finetune-epochs',
      '1',
      '--out',
      path('lt.st'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/recorded epoch 2 .*--rewind-epoch 3/);
    const notLottery = await runCli(['prune', '--model', trained, '--data', 'iris', '--sparsity', '0.5', '--rewind-epoch', '1', '--out', path('lt.st')]);
    expect(notLottery.code).toBe(2);
  });
});

describe('prunekit prune', () => {
  const base = () => ['prune', '--model', path('iris.st'), '--data', 'iris', '--out', path('out.st')];
  it.each([
    [['--sparsity', '1'], /--sparsity: must be < 1/],
    [['--sparsity=-0.1'], /--sparsity: must be ≥ 0/],
    [['--percentile', '101'], /--percentile: must be ≤ 100/],
    [['--sparsity', '0.5', '--layers', '3'], /layer 3 does not exist: the model has 3 layers/],
    [['--nm', '4:4'], /1 ≤ N < M/],
    [['--sparsity', '0.5', '--percentile', '3'], /only one of/],
    [['--percentile', '50', '--schedule', 'iterative'], /needs --sparsity/],
  ])('usage error %j → exit 2', async (extra, msg) => {
    const r = await runCli([...base(), ...extra]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });
  it('rejects a model whose feature count does not match the data', async () => {
    const r = await runCli(['prune', '--model', path('wide.st'), '--data', 'iris', '--sparsity', '0.5', '--out', path('x.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/iris has 4 features, the model expects 5/);
  });
  it('--json reports accuracy, overall and per-layer sparsity and steps; the file holds the pruned model', async () => {
    const r = await runCli([...base(), '--sparsity', '0.75', '--scope', 'global', '--schedule', 'oneshot', '--finetune-epochs', '0', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    const m = loadModel(path('out.st'));
    // The reported accuracies are those of the written (and the input) model on the test split
    // the model was trained with (seed 1 from its provenance, fraction 0.2), evaluated here afresh.
    const split = await loadData('iris', { seed: 1, testFraction: 0.2 }); // standardised as the model's preprocessing
    expect(j.accuracy).toBe(evaluate(m, split.test).accuracy);
    expect(j.denseAccuracy).toBe(evaluate(loadModel(path('iris.st')), split.test).accuracy);
    const N = m.layers.reduce((a, L) => a + L.weight.length, 0);
    const zeros = m.layers.reduce((a, L) => a + L.weight.filter((w) => w === 0).length, 0);
    expect(zeros).toBe(Math.round(0.75 * N));
    expect(j.sparsity).toBeCloseTo(zeros / N, 12);
    expect(j.layers.map((l: { sparsity: number }) => l.sparsity)).toEqual(m.layers.map((L) => L.weight.filter((w) => w === 0).length / L.weight.length));
    expect(j.steps.map((s: { phase: string }) => s.phase)).toEqual(['dense', 'pruned']);
  });
  it('with --data and --sparsity alone it runs the iterative recipe: global, 5 rounds × 5 epochs, cosine lr per round', async () => {
    const r = await runCli([...base(), '--sparsity', '0.75', '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect([j.criterion, j.scope, j.schedule]).toEqual(['magnitude', 'global', 'iterative']);
    expect(j.steps.map((s: { phase: string }) => s.phase)).toEqual(['dense', ...Array(5).fill(['pruned', 'finetuned']).flat()]);
    expect(j.steps.map((s: { targetSparsity: number | null }) => s.targetSparsity).filter((s: number | null) => s !== null)).toEqual(
      geometricSparsities(0.75, 5).flatMap((s) => [s, s]),
    );
    expect(j.steps.at(-1).epochs).toBe(25);
    const prov = loadModel(path('out.st')).provenance as { prune: Record<string, unknown> };
    expect(prov.prune).toMatchObject({ scope: 'global', schedule: 'iterative', steps: 5, finetuneEpochs: 5, lrSchedule: 'cosine' });
  });
  it('without --data the default is one-shot, global, no fine-tuning', async () => {
    const r = await runCli(['prune', '--model', path('iris.st'), '--sparsity', '0.75', '--out', path('nd.st'), '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect([j.scope, j.schedule]).toEqual(['global', 'oneshot']);
    expect(j.steps.map((s: { phase: string }) => s.phase)).toEqual(['dense', 'pruned']);
    expect((loadModel(path('nd.st')).provenance as { prune: Record<string, unknown> }).prune).toMatchObject({ finetuneEpochs: 0, lrSchedule: null });
  });
});

describe('prunekit prune --criterion obs', () => {
  it('prunes one-shot with calibration samples and records them', async () => {
    const r = await runCli([
      'prune',
      '--model',
      path('iris.st'),
      '--data',
      'iris',
      '--criterion',
      'obs',
      '--calibration',
      '50',
      '--dampening',
      '0.05',
      '--sparsity',
      '0.5',
      '--json',
      '--out',
      path('obs.st'),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).sparsity).toBeCloseTo(0.5, 2);
    expect(loadModel(path('obs.st')).provenance.prune as Record<string, unknown>).toMatchObject({ criterion: 'obs', calibration: 50, dampening: 0.05 });
  });
  it('carries the saliency to the loss with --obs-curvature and records it', async () => {
    const base = [
      'prune',
      '--model',
      path('iris.st'),
      '--data',
      'iris',
      '--criterion',
      'obs',
      '--sparsity',
      '0.5',
      '--schedule',
      'oneshot',
      '--finetune-epochs',
      '0',
    ];
    const r = await runCli([...base, '--obs-curvature', 'kfac-diag', '--json', '--out', path('kfac.st')]);
    expect(r.code, r.err).toBe(0);
    const masks = loadModel(path('kfac.st')).layers.map((L) => L.mask!);
    expect(masks.reduce((n, m) => n + m.length - m.reduce((a, b) => a + b, 0), 0)).toBe(49); // round(0.5 · 98) pruned
    expect(loadModel(path('kfac.st')).provenance.prune as Record<string, unknown>).toMatchObject({ criterion: 'obs', obsCurvature: 'kfac-diag' });
    const plain = await runCli([...base, '--out', path('layer.st')]);
    expect(plain.code, plain.err).toBe(0);
    expect(loadModel(path('layer.st')).provenance.prune as Record<string, unknown>).not.toHaveProperty('obsCurvature');
    const fisher = await runCli([...base, '--obs-curvature', 'fisher', '--obs-block', '2', '--out', path('fisher.st')]);
    expect(fisher.code, fisher.err).toBe(0);
    expect(loadModel(path('fisher.st')).provenance.prune as Record<string, unknown>).toMatchObject({ obsCurvature: 'fisher', obsBlock: 2 });
    const noBlock = await runCli([...base, '--obs-block', '2', '--out', path('x.st')]);
    expect(noBlock.code).toBe(2);
    expect(noBlock.err).toMatch(/--obs-block applies to --obs-curvature fisher and fisher-true/);
    const huge = await runCli([...base, '--obs-curvature', 'fisher', '--obs-block', '1000000', '--out', path('x.st')]);
    expect(huge.code).toBe(2);
    expect(huge.err).toMatch(/--obs-block: must be ≤ 4096/);
    const nmArgs = base.filter((a, i) => a !== '--sparsity' && base[i - 1] !== '--sparsity');
    const fisherNm = await runCli([...nmArgs, '--obs-curvature', 'fisher', '--nm', '2:4', '--out', path('x.st')]);
    expect(fisherNm.code, fisherNm.err).toBe(2);
    expect(fisherNm.err).toMatch(/Fisher curvatures prune to masks/);
    const bad = await runCli([...base, '--obs-curvature', 'full', '--out', path('x.st')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/obs-curvature/);
    const other = await runCli(['prune', '--model', path('iris.st'), '--data', 'iris', '--obs-curvature', 'kfac', '--sparsity', '0.5', '--out', path('x.st')]);
    expect(other.code).toBe(2);
    expect(other.err).toMatch(/--obs-curvature applies to --criterion obs, not to magnitude/);
  });
  it('refuses --calibration for a criterion without Hessians, and obs without --data', async () => {
    const a = await runCli(['prune', '--model', path('iris.st'), '--data', 'iris', '--calibration', '50', '--sparsity', '0.5', '--out', path('x.st')]);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--calibration and --dampening apply to .*obs.*not to magnitude/);
    const b = await runCli(['prune', '--model', path('iris.st'), '--criterion', 'obs', '--sparsity', '0.5', '--out', path('x.st')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/--criterion obs needs --data: it builds each layer's Hessian from training samples/);
  });
});
