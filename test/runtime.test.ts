/**
 * The edge runtime against an independent plain-TS f64 forward pass of the decoded model, for
 * every kernel build this engine runs plus the TS reference: batch 1, odd batches, more than one
 * chunk; stored standardisation; dead layers of width 0; bad inputs; the module option.
 */
import { describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { supportedFlavors, wasmBytes } from '../src/kernels/load.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import { loadModel, loadModelSync, type Model } from '../src/runtime/index.js';
import { type CompactModel, decodeModel, denseWeight, encodeModel } from '../src/sparse/format.js';
import { rng } from './helpers/rng.js';

const ACT = { identity: (x: number) => x, relu: (x: number) => Math.max(0, x), tanh: Math.tanh, logistic: (x: number) => 1 / (1 + Math.exp(-x)) };

/** Plain f64 forward (standardisation, layers, softmax) of one sample. */
function reference(m: CompactModel, x: number[]): number[] {
  const { mean, scale } = m.preprocessing;
  let h = x.map((v, f) => (v - (mean ? mean[f] : 0)) / (scale ? scale[f] : 1));
  for (const L of m.layers) {
    const W = denseWeight(L);
    h = Array.from({ length: L.outFeatures }, (_, r) => {
      let s = L.bias[r];
      for (let c = 0; c < L.inFeatures; c++) s += W[r * L.inFeatures + c] * h[c];
      return ACT[L.activation](s);
    });
  }
  const mx = Math.max(...h);
  const e = h.map((v) => Math.exp(v - mx));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function prunedMLP(sizes: number[], sparsity: number, seed: number): MLP {
  const r = rng(seed);
  const m = createMLP({ sizes, activation: 'relu', seed });
  for (const l of m.layers) {
    for (let i = 0; i < l.bias.length; i++) l.bias[i] = r.uniform(-0.3, 0.3);
    const t = Float32Array.from(l.weight, Math.abs).sort()[Math.floor(l.weight.length * sparsity)];
    l.weight = l.weight.map((w) => (Math.abs(w) >= t ? w : 0));
  }
  m.preprocessing = {
    mean: r.f32(sizes[0]),
    scale: r.f32(sizes[0], 0.5, 2),
    featureNames: [],
    labelNames: Array.from({ length: sizes.at(-1)! }, (_, i) => `c${i}`),
  };
  return m;
}

const rows = (n: number, d: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => r.uniform(-3, 3)));
};

function check(model: Pick<Model, 'predict' | 'predictProba'>, m: CompactModel, xs: number[][], tol: number) {
  const probs = model.predictProba(xs) as Float32Array;
  const labels = model.predict(Float32Array.from(xs.flat())) as Int32Array;
  const O = m.layers.at(-1)!.outFeatures;
  xs.forEach((x, s) => {
    const p = reference(m, x);
    for (let o = 0; o < O; o++) expect(Math.abs(probs[s * O + o] - p[o])).toBeLessThan(tol);
    const best = p.indexOf(Math.max(...p));
    const sorted = [...p].sort((a, b) => b - a);
    if (sorted[0] - sorted[1] > 1e-4) expect(labels[s]).toBe(best); // ties within rounding may go either way
  });
}

const flavors = [...supportedFlavors(), 'reference' as const];

describe('runtime', () => {
  const mixed = compact(prunedMLP([37, 33, 19, 6], 0.85, 1), { batchSizes: [64] }).compact; // CSR layers
  const dense = compact(prunedMLP([37, 33, 19, 6], 0.3, 2)).compact; // dense layers
  const wide = compact(prunedMLP([300, 20, 4], 0.9, 3), { index: 'u32' }).compact; // u16 → forced u32
  for (const flavor of flavors) {
    it(`${flavor}: matches the f64 reference (CSR, dense, u8/u16/u32 indices; batch 1, 5, 300)`, () => {
      for (const m of [mixed, dense, wide]) {
        const model = loadModelSync(encodeModel(m), { flavor });
        expect(model.flavor).toBe(flavor);
        const d = m.layers[0].inFeatures;
        for (const n of [1, 5, 300]) check(model, m, rows(n, d, n), 2e-5);
      }
    });
  }

  it('f16 and k-means models: the runtime decodes values to f32 at load', async () => {
    for (const values of ['f16', 'kmeans'] as const) {
      const m = decodeModel(encodeModel(compact(prunedMLP([20, 16, 5], 0.8, 4), { values, bits: 4 }).compact));
      check(await loadModel(encodeModel(m)), m, rows(20, 20, 9), 2e-5);
    }
  });

  it('a model whose hidden layer died entirely (width 0) still predicts its constant output', () => {
    const m = prunedMLP([6, 5, 3], 0, 5);
    m.layers[0].weight.fill(0);
    const c = compact(m).compact;
    expect(c.layers[0].outFeatures).toBe(0);
    check(loadModelSync(encodeModel(c)), c, rows(3, 6, 1), 1e-6);
  });

  it('async load with a precompiled module (the Cloudflare Workers path); info()', async () => {
    const flavor = supportedFlavors().at(-1)!;
    const module = new WebAssembly.Module(wasmBytes(flavor) as BufferSource);
    const bytes = encodeModel(mixed);
    const model = await loadModel(bytes.slice().buffer, { module, moduleFlavor: flavor });
    expect(model.flavor).toBe(flavor);
    check(model, mixed, rows(4, 37, 2), 2e-5);
    const info = model.info();
    expect(info.bytes).toBe(bytes.length);
    expect(info.layers.map((l) => l.format)).toEqual(mixed.layers.map((l) => l.layout));
    expect(model.labels).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5']);
  });

  it('clear errors for bad inputs and bad files', async () => {
    const model = loadModelSync(encodeModel(mixed));
    expect(() => model.predict([[1, 2]])).toThrow(/row 0 has 2 values, the model expects 37 features/);
    expect(() => model.predict(new Float32Array(40))).toThrow(/not a whole number of samples × 37/);
    expect(() => model.predict([Array(37).fill(Number.NaN)])).toThrow(/sample 0, feature 0 is NaN/);
    // what a Float32Array would silently take as numbers (a NaN sent through JSON arrives as null)
    for (const [bad, shown] of [
      [null, 'null'],
      ['', '""'],
      [true, 'true'],
      ['1', '"1"'],
      [undefined, 'undefined'],
    ] as const) {
      const row: unknown[] = Array(37).fill(0.5);
      row[3] = bad;
      expect(() => model.predict([Array(37).fill(0), row as number[]])).toThrow(`predict: row 1, feature 3 is ${shown}, expected a finite number`);
    }
    // beyond f32's range: the value given, in rows and in a Float64Array alike (rows said "is Infinity")
    const big = Array(37).fill(0);
    big[5] = 1e39;
    expect(() => model.predict([big])).toThrow("predict: sample 0, feature 5 is 1e+39, beyond f32's range (±3.4e38)");
    expect(() => model.predict(Float64Array.from(big))).toThrow("predict: sample 0, feature 5 is 1e+39, beyond f32's range (±3.4e38)");
    big[4] = 3.4028235e38; // rounds to f32's largest finite value: fine; feature 5 is still the one named
    expect(() => model.predict([big])).toThrow("predict: sample 0, feature 5 is 1e+39, beyond f32's range");
    // finite, within f32, but beyond it once standardised by a tiny stored scale: refused, not
    // turned into NaN that ReLU makes 0 (wrong logits, no error)
    const tiny = loadModelSync(encodeModel({ ...mixed, preprocessing: { ...mixed.preprocessing, scale: new Float32Array(37).fill(1e-6) } }));
    const far = Array(37).fill(0);
    far[0] = 1e33;
    far[1] = -1e33;
    expect(() => tiny.predictLogits([far])).toThrow(
      /^predict: sample 0, feature 0 is 1e\+33, which overflows f32 once divided by the model's scale for it \(0\.000001\)$/,
    );
    const farMean = Float32Array.from(mixed.preprocessing.mean!);
    farMean[2] = -3e38;
    const shifted = loadModelSync(encodeModel({ ...mixed, preprocessing: { ...mixed.preprocessing, mean: farMean } }));
    const high = Array(37).fill(0);
    high[2] = 3e38;
    expect(() => shifted.predictLogits([high])).toThrow(
      "predict: sample 0, feature 2 is 3e+38, which overflows f32 once the model's mean for it (-3e+38) is subtracted",
    );
    const boxed: unknown[] = Array(37).fill(0);
    boxed[3] = new Number(1);
    expect(() => model.predict([boxed as number[]])).toThrow('predict: row 0, feature 3 is 1 (a boxed number), expected a finite number');
    expect(() => model.predict([1, Array(37).fill(0)] as unknown as number[][])).toThrow('predict: row 0 is 1, expected an array of 37 numbers');
    expect(() => model.predict([Array(37).fill(0)], 2)).toThrow('predict: batch is 2 but 1 row was given');
    boxed[3] = Object.create(Number.prototype); // valueOf throws: the message must not
    expect(() => model.predict([boxed as number[]])).toThrow('predict: row 0, feature 3 is [object Object], expected a finite number');
    const withBigInt: unknown[] = Array(37).fill(0);
    withBigInt[2] = 5n;
    expect(() => model.predict([withBigInt as number[]])).toThrow('predict: row 0, feature 2 is 5n, expected a finite number');
    expect(() => model.predict([Array(37).fill(0)], '1' as unknown as number)).toThrow('predict: batch must be a whole number ≥ 0, got "1"');
    expect(() => model.predict(new Float32Array(37), 1.5)).toThrow('predict: batch must be a whole number ≥ 0, got 1.5');
    expect(() => model.predict(Array(37).fill(0))).toThrow(/one array of numbers; pass an array of rows \(one sample: \[row\]\)/);
    expect(() => model.predict([Array(37).fill(0), null as unknown as number[]])).toThrow(/row 1 is null, expected an array of 37 numbers/);
    await expect(loadModel(new Uint8Array(3))).rejects.toThrow(/shorter than the 8-byte/);
  });
});
