// Bringing a model and data of one's own, through the command: `export` to ONNX, a separate
// `--test-data` CSV in every command that takes --data, and pruning without data.
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, saveModel } from '../src/nn/io.js';
import { createMLP } from '../src/nn/model.js';
import { evaluate } from '../src/nn/train.js';
import { loadData } from '../src/data/index.js';
import { loadModelSync } from '../src/runtime/index.js';
import { readModelFile } from '../src/sparse/node.js';
import { runCli as run } from './helpers/cli.js';

const require = createRequire(import.meta.url);

const dir = mkdtempSync(join(tmpdir(), 'pk-byom-'));
const p = (f: string) => join(dir, f);

/** Iris split into two CSVs by row parity: a user's own train and test files. */
function writeIrisFiles(): { train: string; test: string } {
  const lines = readFileSync('data/iris.csv', 'utf8').trim().split('\n');
  const [header, ...rows] = lines;
  writeFileSync(p('train.csv'), [header, ...rows.filter((_, i) => i % 2 === 0)].join('\n') + '\n');
  writeFileSync(p('test.csv'), [header, ...rows.filter((_, i) => i % 2 === 1)].join('\n') + '\n');
  return { train: p('train.csv'), test: p('test.csv') };
}

describe('prunekit export', () => {
  it("writes ONNX from a training model and from a compact file; onnxruntime-node gives the compact file's probabilities", async () => {
    const model = p('m.safetensors'),
      pruned = p('pruned.safetensors'),
      packed = p('m.prunekit');
    expect((await run(['train', '--data', 'iris', '--hidden', '8', '--epochs', '20', '--batch', '16', '--out', model])).code).toBe(0);
    expect((await run(['prune', '--model', model, '--data', 'iris', '--sparsity', '0.6', '--out', pruned])).code).toBe(0);
    expect((await run(['compact', '--model', pruned, '--values', 'f16', '--out', packed])).code).toBe(0);
    for (const [src, sparse] of [
      [pruned, false],
      [pruned, true],
      [packed, false],
      [packed, true],
    ] as const) {
      const onnx = p(`out-${sparse}.onnx`);
      const r = await run(['export', '--model', src, '--out', onnx, '--json', ...(sparse ? ['--sparse'] : [])]);
      expect(r.code, r.err).toBe(0);
      const j = JSON.parse(r.out);
      expect(j).toMatchObject({
        out: onnx,
        bytes: statSync(onnx).size,
        opset: 13,
        irVersion: 7,
        input: 'input',
        outputs: ['logits', 'probabilities'],
        preprocessing: true,
      });
      expect(j.layers).toHaveLength(2);
      const runtime = loadModelSync(readModelFile(packed), { warmUp: false });
      const x = Float32Array.of(5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3);
      const ort = require('onnxruntime-node');
      const s = await ort.InferenceSession.create(readFileSync(onnx));
      const got = (await s.run({ input: new ort.Tensor('float32', x, [2, 4]) })).probabilities.data as Float32Array;
      const want = runtime.predictProba(x, 2);
      // the f16 compact file rounds weights, so only the f16 exports match it to 1e-5
      if (src === packed) got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-5));
      else got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(0.05));
      await s.release();
    }
    const text = await run(['export', '--model', pruned, '--out', p('t.onnx'), '--sparse']);
    expect(text.out).toMatch(/wrote .*t\.onnx: \d+ bytes, ONNX opset 13/);
  });

  it('refuses a file that is not a prunekit model with exit 1 and writes nothing', async () => {
    writeFileSync(p('junk.bin'), 'not a model at all');
    const r = await run(['export', '--model', p('junk.bin'), '--out', p('never.onnx')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/junk\.bin/);
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(p('never.onnx'))).toBe(false);
  });

  it('exits 2 on bad usage', async () => {
    expect((await run(['export', '--model', p('m.safetensors')])).err).toMatch(/--out is required/);
    const r = await run(['export', '--model', p('m.safetensors'), '--out', p('x.onnx'), '--op', 'conv']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--op: expected one of gemm\|matmul/);
  });
});

describe("--test-data: the user's own held-out CSV", () => {
  it('loadData trains on the whole first file and tests on the whole second, one class list, standardiser fitted on train only', async () => {
    const { train, test } = writeIrisFiles();
    const d = await loadData(train, { testData: test });
    expect(d.train.nSamples).toBe(75);
    expect(d.test.nSamples).toBe(75);
    expect(d.train.labelNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(d.test.labelNames).toEqual(d.train.labelNames);
    const alone = await loadData(train, { testFraction: 0.2, seed: 1 });
    const trainMean = Array.from({ length: 4 }, (_, c) => {
      let s = 0;
      for (let i = 0; i < d.train.nSamples; i++) s += d.train.features[i * 4 + c];
      return s / d.train.nSamples;
    });
    trainMean.forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5)); // standardised on train
    expect(alone.train.nSamples).toBe(60);
  });

  it('maps classes by name when the test file lacks or reorders classes, and refuses mismatched columns', async () => {
    writeFileSync(p('a.csv'), 'x,y,label\n1,2,b\n3,4,a\n5,6,c\n7,8,a\n');
    writeFileSync(p('b.csv'), 'x,y,label\n1,2,c\n3,4,c\n');
    const d = await loadData(p('a.csv'), { testData: p('b.csv') });
    expect(d.test.labelNames).toEqual(['a', 'b', 'c']);
    expect(Array.from(d.test.labels)).toEqual([2, 2]);
    writeFileSync(p('c.csv'), 'x,z,label\n1,2,a\n3,4,b\n');
    await expect(loadData(p('a.csv'), { testData: p('c.csv') })).rejects.toThrow(/c\.csv: feature column 1 is "z"/);
    writeFileSync(p('d.csv'), 'x,label\n1,a\n3,b\n');
    await expect(loadData(p('a.csv'), { testData: p('d.csv') })).rejects.toThrow(/d\.csv: 1 feature columns, the training file .* has 2/);
    await expect(loadData('iris', { testData: p('b.csv') })).rejects.toThrow(/goes with a training CSV file/);
  });

  it('train, eval, prune and sweep measure accuracy on the test file', async () => {
    const { train, test } = writeIrisFiles();
    const model = p('iris.safetensors');
    const t = await run(['train', '--data', train, '--test-data', test, '--hidden', '8', '--epochs', '40', '--batch', '16', '--out', model, '--json']);
    expect(t.code, t.err).toBe(0);
    const tj = JSON.parse(t.out);
    expect(tj.nTest).toBe(75);
    const e = await run(['eval', '--model', model, '--data', train, '--test-data', test, '--json']);
    expect(e.code, e.err).toBe(0);
    const ej = JSON.parse(e.out);
    expect(ej.nTest).toBe(75);
    expect(ej.nTrain).toBe(75);
    expect(ej.accuracy).toBeCloseTo(tj.accuracy, 10);
    // by hand: the model's own stored standardisation applied to the test file, never refitted
    const m = loadModel(model);
    const raw = await loadData(train, { testData: test, standardize: false });
    const std = { ...raw.test, features: raw.test.features.map((v, i) => (v - m.preprocessing.mean![i % 4]) / m.preprocessing.scale![i % 4]) };
    expect(ej.accuracy).toBeCloseTo(evaluate(m, std).accuracy, 10);
    const pr = await run([
      'prune',
      '--model',
      model,
      '--data',
      train,
      '--test-data',
      test,
      '--sparsity',
      '0.5',
      '--finetune-epochs',
      '2',
      '--out',
      p('ip.safetensors'),
      '--json',
    ]);
    expect(pr.code, pr.err).toBe(0);
    expect(JSON.parse(pr.out).denseAccuracy).toBeCloseTo(ej.accuracy, 10);
    const sw = await run([
      'sweep',
      '--data',
      train,
      '--test-data',
      test,
      '--hidden',
      '6',
      '--epochs',
      '5',
      '--sparsities',
      '0.5',
      '--runs',
      '1',
      '--finetune-epochs',
      '0',
      '--report',
      p('rep'),
      '--json',
    ]);
    expect(sw.code, sw.err).toBe(0);
  });

  it('refuses --test-data with --test-fraction, and a missing test file, with exit 2', async () => {
    const { train, test } = writeIrisFiles();
    const a = await run(['eval', '--model', p('iris.safetensors'), '--data', train, '--test-data', test, '--test-fraction', '0.3']);
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/--test-data or --test-fraction, not both/);
    const b = await run(['eval', '--model', p('iris.safetensors'), '--data', train, '--test-data', p('nope.csv')]);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/: no such file \(--test-data\)/);
  });

  it("maps the data's classes onto the model's outputs by name", async () => {
    // a model whose outputs are in another order than the CSV's sorted class list
    const m = createMLP({ sizes: [4, 3], activation: 'identity', seed: 1 });
    m.layers[0].weight.fill(0);
    m.layers[0].bias = Float32Array.of(0, 0, 1); // always predicts output 2
    m.preprocessing.labelNames = ['virginica', 'setosa', 'versicolor']; // output 2 = versicolor
    saveModel(p('fixed.safetensors'), m);
    writeFileSync(p('v.csv'), 'a,b,c,d,species\n1,2,3,4,versicolor\n1,2,3,4,versicolor\n1,2,3,4,setosa\n1,2,3,4,virginica\n');
    const e = await run(['eval', '--model', p('fixed.safetensors'), '--data', p('v.csv'), '--test-data', p('v.csv'), '--json']);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).accuracy).toBe(0.5);
  });
});

describe('prune without --data', () => {
  const model = p('nodata.safetensors');

  it.each([
    [['--sparsity', '0.9'], 0.9],
    [['--sparsity', '0.9', '--criterion', 'random', '--scope', 'global'], 0.9],
    [['--nm', '1:4'], 0.75],
  ])('data-free pruning %j works and reaches the sparsity', async (flags, target) => {
    if (!existsSync(model)) saveModel(model, createMLP({ sizes: [20, 16, 3], activation: 'relu', seed: 3 }));
    const out = p(`nd-${(flags as string[]).join('')}.safetensors`);
    const r = await run(['prune', '--model', model, ...(flags as string[]), '--out', out, '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.accuracy).toBeNull();
    expect(j.sparsity).toBeCloseTo(target as number, 2);
    expect(loadModel(out).layers[0].mask).toBeDefined();
  });

  it('removes hidden neurons by weight norm without data', async () => {
    if (!existsSync(model)) saveModel(model, createMLP({ sizes: [20, 16, 3], activation: 'relu', seed: 3 }));
    const r = await run(['prune', '--model', model, '--structured', 'neurons', '--sparsity', '0.5', '--out', p('nd-s.safetensors')]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/accuracy not measured \(no --data\)/);
  });

  it.each([
    [['--sparsity', '0.9', '--criterion', 'taylor'], /--criterion taylor needs --data/],
    [['--criterion', 'obd', '--sparsity', '0.9'], /--criterion obd needs --data/],
    // range reads the range recorded during training (data-free), which this bare model lacks
    [['--sparsity', '0.9', '--criterion', 'range'], /--criterion range needs the weight range recorded during training/],
    [['--sparsity', '0.9', '--schedule', 'iterative'], /--schedule iterative fine-tunes between steps and needs --data/],
    [['--sparsity', '0.9', '--finetune-epochs', '3'], /--finetune-epochs needs --data/],
    [['--sparsity', '0.9', '--test-data', 'data/iris.csv'], /--test-data applies to --data/],
  ])('a data-needing request %j without --data exits 2 saying so', async (flags, msg) => {
    if (!existsSync(model)) saveModel(model, createMLP({ sizes: [20, 16, 3], activation: 'relu', seed: 3 }));
    const r = await run(['prune', '--model', model, ...(flags as string[]), '--out', p('never.safetensors')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
    expect(existsSync(p('never.safetensors'))).toBe(false);
  });
});

describe('an imported scikit-learn pipeline, end to end', () => {
  const FX = 'test/fixtures/import';
  const ref = JSON.parse(readFileSync(`${FX}/reference.json`, 'utf8')).models['sklearn-pipeline-iris.onnx'] as { accuracy: number; labels: string[] };

  it("import → eval on the user's test CSV (the stored Scaler, never refitted) → prune with and without data → compact → export → onnxruntime", async () => {
    const imported = p('skl.safetensors');
    const im = await run(['import', '--from', `${FX}/sklearn-pipeline-iris.onnx`, '--out', imported]);
    expect(im.code, im.err).toBe(0);
    const data = ['--data', `${FX}/iris-train.csv`, '--test-data', `${FX}/iris-test.csv`];
    const e = await run(['eval', '--model', imported, ...data, '--json']);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).accuracy).toBe(ref.accuracy); // exactly scikit-learn's test accuracy

    const withData = await run([
      'prune',
      '--model',
      imported,
      ...data,
      '--sparsity',
      '0.5',
      '--schedule',
      'iterative',
      '--steps',
      '2',
      '--finetune-epochs',
      '2',
      '--lr',
      '0.01',
      '--out',
      p('skl-50.safetensors'),
      '--json',
    ]);
    expect(withData.code, withData.err).toBe(0);
    expect(JSON.parse(withData.out).denseAccuracy).toBe(ref.accuracy);

    const noData = await run(['prune', '--model', imported, '--sparsity', '0.7', '--scope', 'global', '--out', p('skl-70.safetensors'), '--json']);
    expect(noData.code, noData.err).toBe(0);
    expect(JSON.parse(noData.out).sparsity).toBeCloseTo(0.7, 2);
    expect((await run(['compact', '--model', p('skl-70.safetensors'), '--out', p('skl-70.prunekit')])).code).toBe(0);
    expect((await run(['export', '--model', p('skl-70.prunekit'), '--out', p('skl-70.onnx'), '--sparse'])).code).toBe(0);

    const runtime = loadModelSync(readModelFile(p('skl-70.prunekit')), { warmUp: false });
    expect(runtime.labels).toEqual(ref.labels);
    const test = (await loadData(`${FX}/iris-train.csv`, { testData: `${FX}/iris-test.csv`, standardize: false })).test;
    const ort = require('onnxruntime-node');
    const s = await ort.InferenceSession.create(readFileSync(p('skl-70.onnx')));
    const got = (await s.run({ input: new ort.Tensor('float32', test.features, [test.nSamples, 4]) })).probabilities.data as Float32Array;
    const want = runtime.predictProba(test.features, test.nSamples);
    got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThanOrEqual(1e-5));
    await s.release();
    // and the exported file imports again with the class names
    const back = await run(['import', '--from', p('skl-70.onnx'), '--out', p('skl-back.safetensors'), '--json']);
    expect(back.code, back.err).toBe(0);
    expect(loadModel(p('skl-back.safetensors')).preprocessing.labelNames).toEqual(ref.labels);
  });
});
