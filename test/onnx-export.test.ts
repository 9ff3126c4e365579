// ONNX export (src/onnx/export.ts): onnxruntime-node and onnxruntime-web run the exported graph,
// dense and with sparse initializers, and give the runtime's probabilities to 1e-5; the sparse
// initializers hold exactly the nonzero weights; the bytes are deterministic.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { compact, type CompactOptions } from '../src/compact/compact.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import type { ActName } from '../src/kernels/types.js';
import { decodeMLP, encodeMLP } from '../src/nn/io.js';
import { exportOnnx, decodeAnyModel, FEATURES_KEY, LABELS_KEY, transpose } from '../src/onnx/export.js';
import { onnxProto } from '../src/onnx/schema.js';

const { ModelProto } = onnxProto();
import { loadModelSync } from '../src/runtime/index.js';
import { type CompactModel, denseWeight, encodeModel } from '../src/sparse/format.js';
import { importModel } from '../src/import/index.js';
import { rng } from './helpers/rng.js';

const require = createRequire(import.meta.url);

interface Ort {
  InferenceSession: {
    create(
      bytes: Uint8Array,
      opts?: object,
    ): Promise<{
      run(feeds: object): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
      release(): Promise<void>;
      inputNames: string[];
      outputNames: string[];
    }>;
  };
  Tensor: new (type: string, data: Float32Array, dims: number[]) => object;
  env: { wasm: { numThreads: number } };
}
const engines: [string, () => Ort][] = [
  ['onnxruntime-node', () => require('onnxruntime-node') as Ort],
  [
    'onnxruntime-web',
    () => {
      const ort = require('onnxruntime-web') as Ort;
      ort.env.wasm.numThreads = 1;
      return ort;
    },
  ],
];

/** A random MLP with random biases, optionally pruned (random mask) and with a stored standardisation. */
function randomModel(seed: number, sizes: number[], activation: ActName, sparsity: number, standardise: boolean): MLP {
  const r = rng(seed);
  const m = createMLP({ sizes, activation, seed });
  for (const L of m.layers) {
    L.bias = r.f32(L.outFeatures, -0.5, 0.5);
    if (sparsity > 0) {
      L.mask = Uint8Array.from(L.weight, () => (r.next() < sparsity ? 0 : 1));
      L.weight = L.weight.map((w, j) => (L.mask![j] ? w : 0));
    }
  }
  const nIn = sizes[0];
  if (standardise) {
    m.preprocessing.mean = r.f32(nIn, -3, 3);
    m.preprocessing.scale = r.f32(nIn, 0.2, 4);
  }
  m.preprocessing.featureNames = Array.from({ length: nIn }, (_, i) => `f${i}`);
  m.preprocessing.labelNames = Array.from({ length: sizes.at(-1)! }, (_, i) => `class ${i}`);
  return m;
}

/** The same MLP as a compact model with every layer dense f32 (what the runtime loads). */
function denseCompact(m: MLP): CompactModel {
  return {
    layers: m.layers.map((L) => ({
      inFeatures: L.inFeatures,
      outFeatures: L.outFeatures,
      activation: L.activation,
      bias: L.bias,
      layout: 'dense' as const,
      values: { encoding: 'f32' as const, values: L.weight },
    })),
    preprocessing: m.preprocessing,
    provenance: {},
  };
}

const compacted = (m: MLP, opts: CompactOptions) => compact(m, { layout: 'csr', ...opts }).compact;

const cases: { name: string; model: () => MLP | CompactModel }[] = [
  { name: 'dense tanh, no preprocessing', model: () => randomModel(1, [6, 12, 4], 'tanh', 0, false) },
  { name: 'relu pruned 90%, standardised', model: () => randomModel(2, [20, 30, 16, 5], 'relu', 0.9, true) },
  { name: 'logistic pruned 60%, standardised', model: () => randomModel(3, [8, 10, 3], 'logistic', 0.6, true) },
  { name: 'compact CSR f32, relu 90%', model: () => compacted(randomModel(4, [20, 30, 16, 5], 'relu', 0.9, true), { values: 'f32' }) },
  { name: 'compact CSR f16, tanh 80%', model: () => compacted(randomModel(5, [12, 24, 3], 'tanh', 0.8, false), { values: 'f16' }) },
  { name: 'compact k-means 4 bits, relu 85%', model: () => compacted(randomModel(6, [12, 24, 16, 4], 'relu', 0.85, true), { values: 'kmeans', bits: 4 }) },
];

describe("exportOnnx runs in onnxruntime with the runtime's probabilities", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const model = c.model();
      const compactModel = 'layout' in model.layers[0] ? (model as CompactModel) : denseCompact(model as MLP);
      const runtime = loadModelSync(encodeModel(compactModel), { warmUp: false });
      const n = 37,
        F = runtime.inFeatures;
      const x = rng(100).f32(n * F, -4, 4);
      const expected = runtime.predictProba(x, n);
      for (const sparse of [false, true]) {
        const { bytes } = exportOnnx(model, { sparse });
        for (const [pkg, load] of engines) {
          const ort = load();
          const session = await ort.InferenceSession.create(bytes);
          expect(session.inputNames).toEqual(['input']);
          expect(session.outputNames).toEqual(['logits', 'probabilities']);
          const out = await session.run({ input: new ort.Tensor('float32', x, [n, F]) });
          expect(out.probabilities.dims, `${pkg} sparse=${sparse}`).toEqual([n, runtime.outFeatures]);
          let maxDiff = 0;
          out.probabilities.data.forEach((p, i) => {
            maxDiff = Math.max(maxDiff, Math.abs(p - expected[i]));
          });
          expect(maxDiff, `${pkg} sparse=${sparse}`).toBeLessThanOrEqual(1e-5);
          // softmax(logits) = probabilities: the two outputs agree with each other
          const O = runtime.outFeatures;
          const z = out.logits.data;
          for (let s = 0; s < n; s++) {
            const row = Array.from(z.subarray(s * O, (s + 1) * O));
            const m = Math.max(...row),
              e = row.map((v) => Math.exp(v - m)),
              sum = e.reduce((a, b) => a + b, 0);
            e.forEach((v, o) => expect(Math.abs(v / sum - out.probabilities.data[s * O + o])).toBeLessThan(1e-6));
          }
          await session.release();
        }
      }
    });
  }

  it('MatMul + Add graphs give the same probabilities as Gemm graphs', async () => {
    const model = randomModel(7, [10, 14, 3], 'relu', 0.7, true);
    const x = rng(8).f32(5 * 10, -3, 3);
    const ort = engines[0][1]();
    const run = async (bytes: Uint8Array) => {
      const s = await ort.InferenceSession.create(bytes);
      const out = (await s.run({ input: new ort.Tensor('float32', x, [5, 10]) })).probabilities.data;
      await s.release();
      return out;
    };
    const gemm = await run(exportOnnx(model).bytes);
    for (const sparse of [false, true]) {
      const mm = await run(exportOnnx(model, { op: 'matmul', sparse }).bytes);
      mm.forEach((p, i) => expect(Math.abs(p - gemm[i])).toBeLessThanOrEqual(1e-6));
    }
  });
});

describe('exportOnnx structure', () => {
  it('stores exactly the nonzeros in sparse initializers, ascending linear indices', () => {
    const model = randomModel(9, [30, 40, 6], 'relu', 0.9, true);
    const { bytes, report } = exportOnnx(model, { sparse: true });
    const proto = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as {
      graph: {
        initializer: { name: string }[];
        sparse_initializer: {
          dims: number[];
          values: { name: string; raw_data: Uint8Array; dims: number[] };
          indices: { dims: number[]; int64_data: number[]; data_type: number };
        }[];
      };
    };
    const sp = proto.graph.sparse_initializer;
    expect(sp.map((s) => s.values.name)).toEqual(['layers_0_weight', 'layers_1_weight']);
    expect(report.layers.map((l) => l.storage)).toEqual(['sparse', 'sparse']);
    model.layers.forEach((L, i) => {
      const s = sp[i];
      expect(s.dims).toEqual([L.outFeatures, L.inFeatures]);
      const nz: number[] = [];
      L.weight.forEach((w, j) => {
        if (w !== 0) nz.push(j);
      });
      expect(s.indices.data_type).toBe(7); // INT64, as the ONNX checker requires
      expect(s.indices.int64_data).toEqual(nz);
      expect(s.indices.dims).toEqual([nz.length]);
      const raw = s.values.raw_data;
      const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      expect(Array.from(values)).toEqual(nz.map((j) => L.weight[j]));
      expect(report.layers[i].nonzeros).toBe(nz.length);
    });
    // no dense copy of a sparse weight
    expect(proto.graph.initializer.map((t) => t.name)).not.toContain('layers_0_weight');
  });

  it('keeps a weight dense when COO would be larger, and writes no sparse initializer without --sparse', () => {
    const model = randomModel(10, [8, 8, 3], 'relu', 0.1, false); // 10% zeros: COO costs more
    expect(exportOnnx(model, { sparse: true }).report.layers.map((l) => l.storage)).toEqual(['dense', 'dense']);
    const pruned = randomModel(11, [30, 40, 6], 'relu', 0.9, false);
    const proto = ModelProto.decode(exportOnnx(pruned).bytes) as unknown as { graph: { sparse_initializer: unknown[] } };
    expect(proto.graph.sparse_initializer).toEqual([]);
  });

  it('writes opset 13, the symbolic batch dim, Sub/Mul standardisation and the names in metadata_props', () => {
    const model = randomModel(12, [4, 5, 3], 'tanh', 0, true);
    const proto = ModelProto.toObject(ModelProto.decode(exportOnnx(model).bytes), { longs: Number, enums: String }) as {
      ir_version: number;
      opset_import: { version: number }[];
      metadata_props: { key: string; value: string }[];
      graph: { node: { op_type: string }[]; input: { type: { tensor_type: { shape: { dim: object[] } } } }[] };
    };
    expect(proto.ir_version).toBe(7);
    expect(proto.opset_import[0].version).toBe(13);
    expect(proto.graph.node.map((n) => n.op_type)).toEqual(['Sub', 'Mul', 'Gemm', 'Tanh', 'Gemm', 'Softmax']);
    expect(proto.graph.input[0].type.tensor_type.shape.dim).toEqual([{ dim_param: 'N' }, { dim_value: 4 }]);
    const meta = Object.fromEntries(proto.metadata_props.map((p) => [p.key, JSON.parse(p.value)]));
    expect(meta[LABELS_KEY]).toEqual(['class 0', 'class 1', 'class 2']);
    expect(meta[FEATURES_KEY]).toEqual(['f0', 'f1', 'f2', 'f3']);
  });

  it('is deterministic: the same model gives the same bytes', () => {
    const a = exportOnnx(randomModel(13, [10, 12, 3], 'relu', 0.8, true), { sparse: true }).bytes;
    const b = exportOnnx(randomModel(13, [10, 12, 3], 'relu', 0.8, true), { sparse: true }).bytes;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('import reads the feature names back (summary.features, import --json) and refuses duplicates, as --labels does', () => {
    const m = randomModel(15, [4, 5, 3], 'relu', 0, false);
    expect(importModel(exportOnnx(m).bytes, { file: 'named.onnx' }).summary.features).toEqual(['f0', 'f1', 'f2', 'f3']);
    m.preprocessing.featureNames = ['a', 'b', 'a', 'c'];
    expect(() => importModel(exportOnnx(m).bytes, { file: 'dup.onnx' })).toThrow(
      /dup\.onnx: metadata_props 'prunekit\.features' names "a" twice; input feature names must be distinct/,
    );
  });

  it('decodeAnyModel reads both file kinds and refuses others', () => {
    const m = randomModel(14, [4, 5, 3], 'relu', 0.5, true);
    expect(decodeAnyModel(encodeMLP(m))).toEqual(decodeMLP(encodeMLP(m)));
    expect('layout' in decodeAnyModel(encodeModel(denseCompact(m))).layers[0]).toBe(true);
    expect(() => decodeAnyModel(new Uint8Array(10), 'x.bin')).toThrow(/./);
  });

  it('transpose swaps rows and columns', () => {
    expect(Array.from(transpose(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
  });
});

describe('prunekit → ONNX → import', () => {
  for (const c of cases) {
    it(`${c.name}: the same layers, standardisation and labels; the runtime's outputs bit for bit`, () => {
      const model = c.model();
      const compactModel = 'layout' in model.layers[0] ? (model as CompactModel) : denseCompact(model as MLP);
      const x = rng(200).f32(23 * compactModel.layers[0].inFeatures, -4, 4);
      const want = loadModelSync(encodeModel(compactModel), { warmUp: false }).predictProba(x, 23);
      for (const sparse of [false, true]) {
        for (const op of ['gemm', 'matmul'] as const) {
          const back = importModel(exportOnnx(model, { sparse, op }).bytes, { file: 'exported.onnx' }).model;
          expect(back.layers.map((L) => L.activation)).toEqual(compactModel.layers.map((L) => L.activation));
          back.layers.forEach((L, i) => {
            expect(L.weight).toEqual(denseWeight(compactModel.layers[i]));
            expect(L.bias).toEqual(compactModel.layers[i].bias);
          });
          const pre = compactModel.preprocessing;
          expect(back.preprocessing.labelNames).toEqual(pre.labelNames);
          expect(back.preprocessing.featureNames).toEqual(pre.featureNames);
          expect(back.preprocessing.mean).toEqual(pre.mean);
          // 1/scale is stored; 1/(1/scale) may differ from scale by an ulp, but the runtime's
          // f32(1/scale) is recovered exactly, so its outputs are identical bit for bit
          if (pre.scale) back.preprocessing.scale!.forEach((s, j) => expect(Math.abs(s - pre.scale![j])).toBeLessThanOrEqual(pre.scale![j] * 2 ** -23));
          else expect(back.preprocessing.scale).toBeNull();
          expect(loadModelSync(encodeModel(denseCompact(back)), { warmUp: false }).predictProba(x, 23)).toEqual(want);
        }
      }
    });
  }
});
