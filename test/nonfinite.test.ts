/**
 * Values that overflow f32 are refused or reported, never turned into a label: both readers refuse
 * a standardisation whose 1/scale is not finite (or a non-finite mean); a valid model whose weights
 * overflow when summed makes the runtime, `evaluate`/`predictLabels` and the CLI's predict and eval
 * throw NonFiniteOutputError (exit 1, naming the sample or data row) instead of printing NaN.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeMLP, encodeMLP } from '../src/nn/io.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import { evaluate, predictLabels } from '../src/nn/train.js';
import { loadModelSync, NonFiniteOutputError } from '../src/runtime/index.js';
import { type CompactModel, decodeModel, encodeModel, validate } from '../src/sparse/format.js';
import { standardizationProblem } from '../src/util/finite.js';
import { FormatError } from '../src/util/safetensors.js';
import { attackFiles, smallModel } from './helpers/crafted-models.js';
import { runCli as cli } from './helpers/cli.js';

/** y = W x (identity, no preprocessing) with W = [[3e38, 0], [0, 1]]: finite weights, x₀ ≥ 2 overflows. */
function overflowingModel(): CompactModel {
  return {
    layers: [
      {
        layout: 'dense',
        inFeatures: 2,
        outFeatures: 2,
        activation: 'identity',
        bias: new Float32Array(2),
        values: { encoding: 'f32', values: new Float32Array([3e38, 0, 0, 1]) },
      },
    ],
    preprocessing: { mean: null, scale: null, featureNames: ['x0', 'x1'], labelNames: ['a', 'b'] },
    provenance: {},
  };
}

/** An iris-shaped training model (4 → 3) with stored standardisation. */
function irisModel(): MLP {
  return createMLP(
    { sizes: [4, 3], activation: 'identity', seed: 1 },
    {
      mean: Float32Array.of(5.8, 3, 3.7, 1.2),
      scale: Float32Array.of(0.8, 0.4, 1.8, 0.8),
      featureNames: [],
      labelNames: ['setosa', 'versicolor', 'virginica'],
    },
  );
}

describe('stored standardisation must be usable in f32', () => {
  it('standardizationProblem: the reciprocal of each scale must be a finite f32', () => {
    expect(standardizationProblem(Float32Array.of(0, 1), Float32Array.of(1, 2.94e-39))).toBeNull(); // 1/2.94e-39 ≈ 3.401e38 < f32 max
    expect(standardizationProblem(null, Float32Array.of(1, 2.93e-39))).toMatch(/preprocessing.scale\[1\] is .*reciprocal is not a finite f32/);
    expect(standardizationProblem(null, Float32Array.of(1e-45))).toMatch(/scale\[0\]/);
    expect(standardizationProblem(null, Float32Array.of(-0))).toMatch(/expected a finite non-zero number/);
    expect(standardizationProblem(Float32Array.of(1, NaN), null)).toMatch(/preprocessing.mean\[1\] is NaN/);
  });

  it('compact files: validate and decodeModel refuse a subnormal scale', () => {
    const m = smallModel();
    m.preprocessing.scale![1] = 1e-45;
    expect(() => validate(m)).toThrow(/preprocessing.scale\[1\] is 1.4\d*e-45: its reciprocal is not a finite f32/);
    const bytes = attackFiles().find((a) => a.name.startsWith('subnormal'))!.bytes;
    expect(() => decodeModel(bytes)).toThrow(FormatError);
    expect(() => decodeModel(bytes)).toThrow(/reciprocal/);
  });

  it('training files: decodeMLP refuses a subnormal scale and a non-finite mean, naming the tensor', () => {
    const m = irisModel();
    m.preprocessing.scale![2] = 1e-45;
    expect(() => decodeMLP(encodeMLP(m), 'iris.safetensors')).toThrow(/^iris.safetensors: preprocessing.scale\[2\] is .*reciprocal/);
    const n = irisModel();
    n.preprocessing.mean![0] = Infinity;
    expect(() => decodeMLP(encodeMLP(n))).toThrow(/preprocessing.mean\[0\] is Infinity/);
    expect(() => decodeMLP(encodeMLP(n))).toThrow(FormatError);
  });
});

describe('non-finite outputs are an error, never a label', () => {
  it('runtime: predict and predictProba throw NonFiniteOutputError naming the sample', () => {
    const model = loadModelSync(encodeModel(overflowingModel()));
    const xs = [
      [1, 5],
      [2, 0],
      [0, 0],
    ]; // sample 1: 2·3e38 = +Infinity in f32
    for (const call of [() => model.predict(xs), () => model.predictProba(xs), () => model.predict(Float32Array.from(xs.flat()), 3)]) {
      let err: unknown;
      try {
        call();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NonFiniteOutputError);
      expect((err as Error).name).toBe('NonFiniteOutputError');
      expect(err).toMatchObject({ sample: 1, output: 0, value: Infinity });
      expect((err as Error).message).toMatch(/^sample 1: output 0 of the model is Infinity/);
    }
    // the finite samples alone still predict
    expect(
      Array.from(
        model.predict([
          [1, 5],
          [0, 1],
        ]),
      ),
    ).toEqual([0, 1]);
  });

  it('runtime: the error names the sample in a later chunk (sample 700 of 1000)', () => {
    const model = loadModelSync(encodeModel(overflowingModel()));
    const x = new Float32Array(2000);
    x[2 * 700] = 3;
    expect(() => model.predict(x)).toThrow(/^sample 700: /);
  });

  it('training side: evaluate and predictLabels throw NonFiniteOutputError', () => {
    const m = createMLP({ sizes: [2, 2], activation: 'identity', seed: 1 });
    m.layers[0].weight.set([3e38, 0, 0, 1]);
    const ds = {
      features: Float32Array.of(1, 0, 2, 0),
      nFeatures: 2,
      nSamples: 2,
      labels: Int32Array.of(0, 1),
      labelNames: ['a', 'b'],
      featureNames: ['x0', 'x1'],
    };
    expect(() => evaluate(m, ds as never)).toThrow(NonFiniteOutputError);
    expect(() => predictLabels(m, ds)).toThrow(/^sample 1: output 0 of the model is Infinity/);
  });

  it('CLI predict: exit 1 naming the data row, nothing printed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-nonfinite-'));
    const model = join(dir, 'm.prunekit'),
      csv = join(dir, 'x.csv');
    writeFileSync(model, encodeModel(overflowingModel()));
    writeFileSync(csv, 'x0,x1\n1,0\n2,0\n0,1\n');
    for (const json of [[], ['--json']]) {
      const r = await cli(['predict', '--model', model, '--input', csv, ...json]);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/x\.csv: data row 2 .*output 0 is Infinity/);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
      expect(r.out).toBe('');
    }
  });

  it('CLI eval: exit 1 for a training file with an unusable scale or overflowing weights (not "33.33%")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-nonfinite-'));
    const badScale = irisModel();
    badScale.preprocessing.scale![0] = 1e-45;
    const hugeWeights = irisModel();
    hugeWeights.layers[0].weight.fill(3e38);
    for (const [name, m, msg] of [
      ['scale', badScale, /preprocessing.scale\[0\].*reciprocal/],
      ['weights', hugeWeights, /sample \d+: output \d of the model is -?Infinity/],
    ] as const) {
      const p = join(dir, `${name}.safetensors`);
      writeFileSync(p, encodeMLP(m));
      const r = await cli(['eval', '--model', p, '--data', 'iris']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
    }
  });
});
