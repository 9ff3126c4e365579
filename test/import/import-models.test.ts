// Every model fixture made by PyTorch / scikit-learn / Keras-shaped graphs, imported and run by
// prunekit's own forward pass, against the outputs the source framework computed (reference.json)
// and against onnxruntime-node on the same ONNX file.
import { describe, expect, it } from 'vitest';
import { importModel, type ImportOptions } from '../../src/import/index.js';
import { decodeMLP, encodeMLP } from '../../src/nn/io.js';
import { onnxProto } from '../../src/onnx/schema.js';

const { ModelProto } = onnxProto();
import { argmax, fixture, inputsOf, maxAbsDiff, ort, ourLogits, references, softmax } from './fixtures.js';

/** Flags a state dict needs (it records no activations and, for Keras/scikit-learn, is [in, out]). */
const STATE_DICT_FLAGS: Record<string, Partial<ImportOptions>> = {
  'torch-seq.safetensors': { activations: ['relu', 'tanh'] },
  'torch-relu.safetensors': { activations: ['relu'] },
  'torch-relu-f16.safetensors': { activations: ['relu'] },
  'torch-relu-f64.safetensors': { activations: ['relu'] },
  'torch-named.safetensors': { activations: ['logistic'] },
  'torch-pruned-masks.safetensors': { activations: ['relu'] },
  'keras-dense-in-out.safetensors': { activations: ['relu'], layout: 'in-out' },
  'sklearn-coefs-in-out.safetensors': { activations: ['relu'], layout: 'in-out' },
};

const load = (name: string) => importModel(fixture(name), { file: name, ...STATE_DICT_FLAGS[name] });
const names = Object.keys(references);
const onnxNames = names.filter((n) => n.endsWith('.onnx'));

describe('import: our forward pass vs the source framework', () => {
  it('covers every fixture kind the script wrote', () => {
    expect(onnxNames.length).toBeGreaterThanOrEqual(24);
    expect(names.filter((n) => n.endsWith('.safetensors')).sort()).toEqual(Object.keys(STATE_DICT_FLAGS).sort());
  });

  it.each(names)('%s: logits within 1e-5, identical predictions', (name) => {
    const r = references[name];
    const { model } = load(name);
    const z = ourLogits(model, inputsOf(name));
    expect(maxAbsDiff(z, r.logits)).toBeLessThanOrEqual(1e-5);
    expect(z.map((row) => model.preprocessing.labelNames[argmax(row)])).toEqual(r.predictions);
    // the written file reads back as the same model
    const back = decodeMLP(encodeMLP(model));
    expect(ourLogits(back, inputsOf(name))).toEqual(z);
  });

  it.each(names.filter((n) => references[n].probabilities))('%s: softmax of our logits equals its probabilities (1e-5)', (name) => {
    const r = references[name];
    const p = ourLogits(load(name).model, inputsOf(name)).map(softmax);
    expect(maxAbsDiff(p, r.probabilities!)).toBeLessThanOrEqual(1e-5);
  });
});

/** The graph onnxruntime-node can run: ZipMap's seq(map) output is not supported by its JS binding, so it is dropped. */
function withoutZipMap(bytes: Uint8Array): { bytes: Uint8Array; output: string } {
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: String }) as {
    graph: { node: { op_type: string; input: string[] }[]; output: { name: string; type: unknown }[] };
  };
  const zip = m.graph.node.find((n) => n.op_type === 'ZipMap');
  if (!zip) return { bytes, output: m.graph.output[0].name };
  m.graph.node = m.graph.node.filter((n) => n !== zip);
  m.graph.output = [{ name: zip.input[0], type: { tensor_type: { elem_type: 1 } } }];
  return { bytes: ModelProto.encode(ModelProto.fromObject(m)).finish(), output: zip.input[0] };
}

/** What the graph's output is: logits, probabilities (Softmax, or a classifier head's probabilities) or log-probabilities. */
function outputKind(bytes: Uint8Array, output: string): 'logits' | 'probabilities' | 'log-probabilities' {
  const m = ModelProto.toObject(ModelProto.decode(bytes)) as { graph: { node: { op_type: string; input: string[]; output: string[] }[] } };
  const producer = (t: string) => m.graph.node.find((n) => n.output.includes(t));
  let n = producer(output);
  while (n && n.op_type === 'Identity') n = producer(n.input[0]);
  if (!n) return 'logits';
  if (n.op_type === 'Softmax' || n.op_type === 'Concat') return 'probabilities';
  return n.op_type === 'LogSoftmax' ? 'log-probabilities' : 'logits';
}

describe('import: our forward pass vs onnxruntime-node on the same file', () => {
  it.each(onnxNames)('%s', async (name) => {
    const r = references[name];
    const rows = inputsOf(name);
    const { bytes, output } = withoutZipMap(fixture(name));
    const rt = ort();
    const session = await rt.InferenceSession.create(bytes);
    const shape = [rows.length, ...(r.input_shape ?? [rows[0].length])];
    const x =
      r.input_type === 'float64'
        ? new rt.Tensor('float64', Float64Array.from(rows.flat()), shape)
        : new rt.Tensor('float32', Float32Array.from(rows.flat()), shape);
    const res = await session.run({ [session.inputNames[0]]: x });
    await session.release();
    const got = Array.from(res[output].data as Float32Array, Number);
    const C = got.length / rows.length;
    const theirs = rows.map((_, i) => got.slice(i * C, (i + 1) * C));
    const z = ourLogits(load(name).model, rows);
    const kind = outputKind(bytes, output);
    const ours = kind === 'logits' ? z : kind === 'probabilities' ? z.map(softmax) : z.map((v) => softmax(v).map(Math.log));
    expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(1e-5);
  });
});

describe('import: what the graphs say beyond the weights', () => {
  it('scikit-learn pipeline: the Scaler becomes the stored standardisation (mean, scale = sklearn scale_), labels from the classes', () => {
    const name = 'sklearn-pipeline-iris.onnx';
    const { model, summary } = load(name);
    const s = references[name].scaler!;
    const p = model.preprocessing;
    p.mean!.forEach((m, j) => expect(m).toBe(Math.fround(s.mean[j]))); // Scaler offset = mean_ (stored as f32)
    p.scale!.forEach((v, j) => expect(Math.abs(v - s.scale[j]) / s.scale[j]).toBeLessThan(3e-7)); // 1 / f32(1 / scale_)
    expect(p.labelNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(summary.notes.join('\n')).toMatch(/Scaler 'Scaler'.*standardisation/);
    expect(summary.notes.join('\n')).toMatch(/final Softmax .* dropped/);
  });

  it('scikit-learn with integer classes: labels from ArrayFeatureExtractor (1, 11, 21); no input transform', () => {
    const { model } = load('sklearn-mlp-int-classes-opset9.onnx');
    expect(model.preprocessing.labelNames).toEqual(['1', '11', '21']);
    expect(model.preprocessing.mean).toBeNull();
    expect(model.layers.map((l) => l.activation)).toEqual(['tanh', 'tanh', 'identity']);
  });

  it('scikit-learn two-class head: one logistic output becomes logits [0, z]', () => {
    const { model } = load('sklearn-mlp-binary-opset13.onnx');
    const last = model.layers.at(-1)!;
    expect(last.outFeatures).toBe(2);
    expect(Array.from(last.weight.subarray(0, last.inFeatures))).toEqual(new Array(last.inFeatures).fill(0));
    expect(last.bias[0]).toBe(0);
    expect(model.preprocessing.labelNames).toEqual(['no', 'yes']);
  });

  it('BatchNormalization is folded into the Gemm before it (one layer, not two)', () => {
    const { model, summary } = load('torch-batchnorm-opset12.onnx');
    expect(model.layers.map((l) => [l.inFeatures, l.outFeatures, l.activation])).toEqual([
      [8, 16, 'relu'],
      [16, 3, 'identity'],
    ]);
    expect(summary.notes.join('\n')).toMatch(/BatchNormalization .* folded into layer 0/);
  });

  it('a state dict pruned with torch.nn.utils.prune keeps its masks (weight_orig ⊙ weight_mask)', () => {
    const { model, summary } = load('torch-pruned-masks.safetensors');
    for (const l of model.layers) {
      expect(l.mask).toBeDefined();
      const pruned = l.mask!.reduce((a, m) => a + (m ? 0 : 1), 0);
      expect(pruned).toBe(Math.round(0.6 * l.weight.length)); // l1_unstructured(amount = 0.6)
      l.mask!.forEach((m, j) => {
        if (!m) expect(l.weight[j]).toBe(0);
      });
    }
    expect(decodeMLP(encodeMLP(model)).layers[0].mask).toEqual(model.layers[0].mask);
    expect(summary.notes.join()).toMatch(/weight_orig ⊙ weight_mask/);
  });

  it('Gemm α and β are folded; the no-op nodes vanish', () => {
    expect(load('gemm-alpha-beta-opset11.onnx').summary.notes.join('\n')).toMatch(/α = 0\.5, β = 2 folded/);
    expect(load('noops-opset13.onnx').model.layers.map((l) => l.outFeatures)).toEqual([16, 16, 3]);
  });

  it('--labels names the classes when the source does not, and must agree when it does', () => {
    const name = 'torch-relu-softmax-opset13.onnx';
    expect(load(name).model.preprocessing.labelNames).toEqual(['0', '1', '2']);
    expect(importModel(fixture(name), { file: name, labels: ['a', 'b', 'c'] }).model.preprocessing.labelNames).toEqual(['a', 'b', 'c']);
    expect(() => importModel(fixture(name), { file: name, labels: ['a', 'b'] })).toThrow(/--labels gives 2 labels, the model has 3 outputs/);
    const sk = 'sklearn-pipeline-iris.onnx';
    expect(() => importModel(fixture(sk), { file: sk, labels: ['x', 'y', 'z'] })).toThrow(
      /names its classes \(setosa, versicolor, virginica\); --labels gives \(x, y, z\)/,
    );
  });

  it('provenance records the source file, format and SHA-256; the same input gives the same bytes', () => {
    const name = 'torch-seq-opset13.onnx';
    const a = load(name),
      b = load(name);
    const imp = a.model.provenance.imported as Record<string, unknown>;
    expect(imp.file).toBe(name);
    expect(imp.format).toBe('onnx');
    expect(imp.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(imp.producer).toMatch(/pytorch/);
    expect(a.model.provenance.sizes).toEqual([8, 16, 12, 3]);
    expect(encodeMLP(a.model)).toEqual(encodeMLP(b.model));
  });
});

describe('import: the same torch model as ONNX and as a state dict', () => {
  it.each([
    ['torch-seq-opset13.onnx', 'torch-seq.safetensors'],
    ['torch-seq-opset9.onnx', 'torch-seq.safetensors'],
    ['torch-relu-softmax-opset13.onnx', 'torch-relu.safetensors'],
    ['keras-dense-opset13.onnx', 'keras-dense-in-out.safetensors'],
    ['torch-named-matmul-opset14.onnx', 'torch-named.safetensors'],
    ['relu-gemm-f64-raw-opset15.onnx', 'torch-relu-f64.safetensors'],
  ])('%s and %s import to identical weights and logits', (onnx, sd) => {
    const a = load(onnx).model,
      b = load(sd).model;
    expect(a.layers.map((l) => [l.activation, l.weight, l.bias])).toEqual(b.layers.map((l) => [l.activation, l.weight, l.bias]));
    expect(ourLogits(a, inputsOf(onnx))).toEqual(ourLogits(b, inputsOf(onnx)));
  });
});
