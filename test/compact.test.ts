/**
 * Compaction: dead-neuron removal preserves the function (hand-built cases and random pruned
 * nets), k-means weight sharing, the dense/CSR choice, and the compacted model predicting as the
 * masked one — checked with an independent plain-TS f64 forward pass, not the kernels.
 */
import { describe, expect, it } from 'vitest';
import { compact, crossoverAt } from '../src/compact/compact.js';
import { removeDeadNeurons } from '../src/compact/adjust.js';
import { kmeansQuantize } from '../src/compact/kmeans.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import { decodeModel, denseWeight, encodeModel, type CompactModel } from '../src/sparse/format.js';
import { rng } from './helpers/rng.js';
import { kmeansReference } from './helpers/kmeans-reference.js';

const ACT = { identity: (x: number) => x, relu: (x: number) => Math.max(0, x), tanh: Math.tanh, logistic: (x: number) => 1 / (1 + Math.exp(-x)) };
type Net = { W: ArrayLike<number>; b: ArrayLike<number>; inn: number; out: number; act: keyof typeof ACT }[];

/** Plain f64 forward of one sample, then softmax. */
function forward(net: Net, x: number[]): number[] {
  let h = x;
  for (const L of net) {
    const y: number[] = [];
    for (let r = 0; r < L.out; r++) {
      let s = L.b[r];
      for (let c = 0; c < L.inn; c++) s += L.W[r * L.inn + c] * h[c];
      y.push(ACT[L.act](s));
    }
    h = y;
  }
  const m = Math.max(...h);
  const e = h.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}
const mlpNet = (m: MLP): Net =>
  m.layers.map((l) => ({
    W: l.mask ? l.weight.map((w, i) => (l.mask![i] ? w : 0)) : l.weight,
    b: l.bias,
    inn: l.inFeatures,
    out: l.outFeatures,
    act: l.activation,
  }));
const compactNet = (m: CompactModel): Net => m.layers.map((l) => ({ W: denseWeight(l), b: l.bias, inn: l.inFeatures, out: l.outFeatures, act: l.activation }));
const argmax = (p: number[]) => p.indexOf(Math.max(...p));

/** A random MLP pruned by magnitude to `sparsity` per layer (mask set, pruned weights zeroed). */
function prunedMLP(sizes: number[], sparsity: number, seed: number, activation: 'relu' | 'tanh' = 'relu'): MLP {
  const m = createMLP({ sizes, activation, seed });
  const r = rng(seed);
  for (const l of m.layers) {
    for (let i = 0; i < l.bias.length; i++) l.bias[i] = r.uniform(-0.5, 0.5);
    const t = Float32Array.from(l.weight, Math.abs).sort()[Math.floor(l.weight.length * sparsity)];
    l.mask = Uint8Array.from(l.weight, (w) => (Math.abs(w) >= t ? 1 : 0));
    l.weight = l.weight.map((w, i) => (l.mask![i] ? w : 0));
  }
  return m;
}
const samples = (n: number, d: number, seed: number) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => r.uniform(-2, 2)));
};

function expectSameFunction(a: Net, b: Net, xs: number[][], tol: number) {
  for (const x of xs) {
    const pa = forward(a, x),
      pb = forward(b, x);
    expect(argmax(pb)).toBe(argmax(pa));
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(tol);
  }
}

describe('removeDeadNeurons', () => {
  it('folds a neuron with no inputs into the next bias, drops one with no outputs, follows chains', () => {
    // 2 → 4 → 3 → 2, relu. Hidden layer 1: neuron 0 normal; neuron 1 no inputs, bias 0.7
    // (constant relu(0.7) = 0.7); neuron 2 no outputs; neuron 3 no inputs, bias −1 (constant 0).
    // Hidden layer 2: neuron 0 reads only neuron 1 of layer 1 → it becomes constant too (chain).
    const m: MLP = {
      layers: [
        { inFeatures: 2, outFeatures: 4, activation: 'relu', weight: new Float32Array([1, -1, 0, 0, 2, 3, 0, 0]), bias: new Float32Array([0.1, 0.7, 0.2, -1]) },
        {
          inFeatures: 4,
          outFeatures: 3,
          activation: 'relu',
          weight: new Float32Array([0, 2, 0, 5, 1, 0.5, 0, 0, -1, 0, 0, 0]),
          bias: new Float32Array([0.3, 0, 0.2]),
        },
        { inFeatures: 3, outFeatures: 2, activation: 'identity', weight: new Float32Array([1, 2, 3, -1, 0.5, 1]), bias: new Float32Array([0, 0.1]) },
      ],
      preprocessing: { mean: null, scale: null, featureNames: [], labelNames: ['a', 'b'] },
      provenance: {},
    };
    const { model, removed } = removeDeadNeurons(m);
    // layer 1 keeps only neuron 0; layer 2: neuron 0 = relu(2·0.7 + 5·0 + 0.3) = 1.7 constant → folded
    expect(model.layers.map((l) => l.outFeatures)).toEqual([1, 2, 2]);
    expect(removed).toEqual([3, 1, 0]);
    // hand-computed: layer 2 neuron 1 bias 0 + 0.5·0.7 = 0.35 (its reads of neurons 1 and 3)
    expect(model.layers[1].bias[0]).toBeCloseTo(0.35, 6);
    // output bias gets 1.7 · W3[:, 0] = [1.7, −1.7]
    expect(Array.from(model.layers[2].bias)).toEqual([Math.fround(1.7), Math.fround(0.1 - 1.7)]);
    expectSameFunction(mlpNet(m), mlpNet(model), samples(20, 2, 1), 1e-6);
    expect(model.layers[0].inFeatures).toBe(2); // inputs never removed
  });

  it('a layer that dies entirely: width 0, the output becomes a constant', () => {
    const m = prunedMLP([3, 4, 2], 0, 2);
    m.layers[0].weight.fill(0);
    m.layers[0].mask = new Uint8Array(12);
    const { model } = removeDeadNeurons(m);
    expect(model.layers.map((l) => l.outFeatures)).toEqual([0, 2]);
    expectSameFunction(mlpNet(m), mlpNet(model), samples(5, 3, 2), 1e-6);
  });

  for (const [act, sp] of [
    ['relu', 0.9],
    ['tanh', 0.95],
    ['relu', 0.97],
  ] as const) {
    it(`preserves outputs of a random ${act} net pruned to ${sp} (1e-5)`, () => {
      const m = prunedMLP([30, 25, 20, 6], sp, 11, act);
      const { model, removed } = removeDeadNeurons(m);
      expect(removed.reduce((a, b) => a + b)).toBeGreaterThan(0);
      expectSameFunction(mlpNet(m), mlpNet(model), samples(50, 30, 3), 1e-5);
    });
  }
});

describe('k-means weight sharing', () => {
  it('recovers well-separated clusters exactly; ≤ 2^bits centroids; codes index the codebook', () => {
    const vals = Float32Array.from({ length: 300 }, (_, i) => [-1, 0.25, 2][i % 3] + (i % 2 ? 1e-3 : -1e-3));
    const { codebook, codes } = kmeansQuantize(vals, 2);
    expect(codebook.length).toBeLessThanOrEqual(4);
    for (let i = 0; i < vals.length; i++) expect(Math.abs(codebook[codes[i]] - vals[i])).toBeLessThanOrEqual(1.01e-3);
  });
  it('keeps exact zeros at code 0 when asked, and at most 2^bits entries', () => {
    const r = rng(5);
    const vals = Float32Array.from({ length: 1000 }, () => (r.next() < 0.5 ? 0 : r.uniform()));
    const { codebook, codes } = kmeansQuantize(vals, 3, { fixedZero: true });
    expect(codebook.length).toBe(8);
    expect(codebook[0]).toBe(0);
    for (let i = 0; i < vals.length; i++) expect(vals[i] === 0).toBe(codes[i] === 0);
    // quantisation error of a uniform spread with 7 centroids over [−1, 1] is about 1/7
    for (let i = 0; i < vals.length; i++) expect(Math.abs(codebook[codes[i]] - vals[i])).toBeLessThan(0.2);
  });
  it('gives the plain k-means bit for bit: every width, exact and clustered codebooks, ties, zeros, empty pools, NaN, ±∞', () => {
    const r = rng(11);
    const draws: (() => number)[] = [
      () => r.uniform(), // all distinct
      () => Math.round(r.uniform() * 10) / 10, // ≤ 21 distinct: the exact codebook at the wider widths
      () => (r.next() < 0.1 ? 10 : 0.01) * r.uniform(), // a few large among many small
      () => (r.next() < 0.7 ? 0 : r.next()), // mostly zeros
      () => [-1, -0.5, 0.5, 1][Math.floor(r.next() * 4)] * (r.next() < 0.5 ? 1 : 1 + 2 ** -20), // values at the midpoints' edge
      () => [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0][Math.floor(r.next() * 5)] ?? 0, // non-finite and signed zeros
    ];
    const arrays = [new Float32Array(0), new Float32Array(50), Float32Array.of(0, -0, 0)]; // empty; an empty pool with fixedZero
    for (let t = 0; t < 120; t++) arrays.push(Float32Array.from({ length: 1 + Math.floor(r.next() * 2000) }, draws[t % draws.length]));
    for (const vals of arrays) {
      for (const bits of [1, 2, 3, 4, 5, 6, 7, 8])
        for (const fixedZero of [false, true]) {
          const got = kmeansQuantize(vals, bits, { fixedZero }),
            want = kmeansReference(vals, bits, fixedZero);
          expect(new Uint8Array(got.codebook.buffer)).toEqual(new Uint8Array(want.codebook.buffer));
          expect(got.codes).toEqual(want.codes);
        }
    }
  });
});

describe('compact', () => {
  it('interpolates the crossover table in log2(batch)', () => {
    expect(crossoverAt(1)).toBe(0.8);
    expect(crossoverAt(8)).toBeCloseTo(0.8 - 0.3 * (3 / 6), 12);
    expect(crossoverAt(64)).toBe(0.5);
    expect(crossoverAt(1000)).toBe(0.5);
  });

  it('f32: same labels and probabilities within 1e-5 as the masked model; file round-trips', () => {
    const m = prunedMLP([40, 30, 20, 5], 0.9, 21);
    m.layers[2].weight = m.layers[2].weight.map((w, i) => (i % 2 ? w : 0)); // keep sparsity mixed
    const { compact: c, report } = compact(m);
    const back = decodeModel(encodeModel(c));
    expect(report.bytes).toBe(encodeModel(c).length);
    expect(report.bytes).toBeLessThan(report.dense_bytes);
    expect(report.layers[0].format).toBe('csr');
    expectSameFunction(mlpNet(m), compactNet(back), samples(100, 40, 4), 1e-5);
  });

  it('chooses dense below the crossover and CSR above; honours batch sizes and overrides', () => {
    const m = prunedMLP([40, 30, 5], 0.7, 22);
    expect(compact(m, { batchSizes: [1] }).report.layers.map((l) => l.format)).toEqual(['dense', 'dense']); // 0.7 < 0.8 (batch 1)
    expect(compact(m, { batchSizes: [64] }).report.layers.map((l) => l.format)).toEqual(['csr', 'csr']); // 0.7 ≥ 0.5
    expect(compact(m).report.layers.map((l) => l.format)).toEqual(['csr', 'csr']); // [1, 64]: faster at 64, and smaller
    expect(compact(m, { crossover: 0.75 }).report.layers.map((l) => l.format)).toEqual(['dense', 'dense']);
    expect(compact(prunedMLP([40, 30, 5], 0.2, 1), { crossover: 0 }).report.layers[0].format).toBe('dense'); // CSR would be larger
    const forced = compact(m, { layout: 'csr', index: 'u32' });
    expect(forced.report.layers.map((l) => [l.format, l.index])).toEqual([
      ['csr', 'u32'],
      ['csr', 'u32'],
    ]);
    expectSameFunction(mlpNet(m), compactNet(decodeModel(encodeModel(forced.compact))), samples(20, 40, 5), 1e-5);
    expect(compact(m, { layout: 'csr' }).report.layers.map((l) => l.index)).toEqual(['u8', 'u8']);
  });

  it('f16 and k-means: stated tolerances, smaller files', () => {
    const m = prunedMLP([40, 30, 20, 5], 0.9, 23);
    const f32 = compact(m).report.bytes;
    const f16 = compact(m, { values: 'f16' });
    const km = compact(m, { values: 'kmeans', bits: 4 });
    expect(f16.report.bytes).toBeLessThan(f32);
    expect(km.report.layers[0].bytes).toBeLessThan(f16.report.layers[0].bytes); // tiny model: compare the big layer
    // f16: relative error ≤ 2⁻¹¹ per weight
    for (const l of f16.report.layers) expect(l.maxValueError).toBeLessThan(2 ** -11 * 2);
    const xs = samples(50, 40, 6);
    for (const [c, tol] of [
      [f16.compact, 5e-3],
      [km.compact, 0.1],
    ] as const) {
      const net = compactNet(decodeModel(encodeModel(c)));
      for (const x of xs) {
        const pa = forward(mlpNet(m), x),
          pb = forward(net, x);
        for (let i = 0; i < pa.length; i++) expect(Math.abs(pa[i] - pb[i])).toBeLessThan(tol);
      }
    }
  });
});
