// Hand-made ONNX graphs (built with the same official schema) for the cases the exporter fixtures
// do not reach: input transforms as Sub/Div, sparse initializers, folded constants, BF16, scaling
// after a layer — each checked against a plain forward pass and onnxruntime-node — and the
// refusals, each naming the node and what is supported.
import { describe, expect, it } from 'vitest';
import { importModel } from '../../src/import/index.js';
import { onnxProto } from '../../src/onnx/schema.js';

const { ModelProto } = onnxProto();
import { maxAbsDiff, ort, ourLogits } from './fixtures.js';

type Attr = { name: string; f?: number; i?: number; floats?: number[]; ints?: number[] };
type Node = { op: string; inputs: string[]; outputs: string[]; name?: string; attrs?: Attr[]; domain?: string };
type Init = { name: string; dims: number[]; values: number[]; type?: number };

const ATTR_TYPE = (a: Attr) => (a.f !== undefined ? 1 : a.i !== undefined ? 2 : a.floats ? 6 : 7);
const tensor = (t: Init) =>
  t.type === 10 || t.type === 16
    ? { name: t.name, dims: t.dims, data_type: t.type, int32_data: t.values }
    : t.type === 7
      ? { name: t.name, dims: t.dims, data_type: 7, int64_data: t.values.map(String) }
      : t.type === 3
        ? { name: t.name, dims: t.dims, data_type: 3, int32_data: t.values }
        : { name: t.name, dims: t.dims, data_type: 1, float_data: t.values };

function model(
  nodes: Node[],
  inits: Init[],
  opts: { opset?: number; sparse?: { name: string; dims: number[]; indices: number[]; values: number[] }[]; output?: string; inputs?: number } = {},
): Uint8Array {
  const obj = {
    ir_version: 8,
    opset_import: [{ domain: '', version: opts.opset ?? 13 }],
    graph: {
      name: 'g',
      node: nodes.map((n, k) => ({
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `${n.op.toLowerCase()}${k}`,
        op_type: n.op,
        domain: n.domain ?? '',
        attribute: (n.attrs ?? []).map((a) => ({ ...a, type: ATTR_TYPE(a) })),
      })),
      initializer: inits.map(tensor),
      sparse_initializer: (opts.sparse ?? []).map((s) => ({
        values: { name: s.name, dims: [s.values.length], data_type: 1, float_data: s.values },
        indices: { name: s.name + '_idx', dims: [s.indices.length], data_type: 7, int64_data: s.indices.map(String) },
        dims: s.dims,
      })),
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'N' }, { dim_value: opts.inputs ?? 3 }] } } } }],
      output: [{ name: opts.output ?? 'y', type: { tensor_type: { elem_type: 1 } } }],
    },
  };
  return ModelProto.encode(ModelProto.fromObject(obj)).finish();
}

// a 3 → 4 (relu) → 2 network: W [out, in]
const W1 = [0.5, -1, 0.25, 1, 0.5, -0.5, -0.75, 0.2, 1, 0.3, 0.3, -0.3];
const b1 = [0.1, -0.2, 0.05, 0];
const W2 = [1, -1, 0.5, 2, -0.5, 0.25, 1, -1];
const b2 = [0.3, -0.1];
const X = [
  [1, 2, 3],
  [-1, 0.5, 2],
  [0.2, -0.4, 0.9],
  [3, -2, 1],
];
const T = (w: number[], out: number, inn: number) => Array.from({ length: w.length }, (_, k) => w[(k % out) * inn + Math.floor(k / out)]); // [out,in] → [in,out]

function forward(x: number[][], pre = (v: number[]) => v, W = [W1, W2], B = [b1, b2]): number[][] {
  return x.map((row) => {
    let h = pre(row);
    [
      [4, 3],
      [2, 4],
    ].forEach(([out, inn], l) => {
      h = Array.from({ length: out }, (_, o) => {
        let s = B[l][o];
        for (let i = 0; i < inn; i++) s += W[l][o * inn + i] * h[i];
        return l === 0 ? Math.max(0, s) : s;
      });
    });
    return h;
  });
}

const gemm = (x: string, w: string, b: string, y: string, name: string): Node => ({
  op: 'Gemm',
  inputs: [x, w, b],
  outputs: [y],
  name,
  attrs: [{ name: 'transB', i: 1 }],
});
const mlpNodes = (x = 'x', y = 'y'): Node[] => [
  gemm(x, 'W1', 'b1', 'z1', 'fc1'),
  { op: 'Relu', inputs: ['z1'], outputs: ['h1'], name: 'relu1' },
  gemm('h1', 'W2', 'b2', y, 'fc2'),
];
const mlpInits = (): Init[] => [
  { name: 'W1', dims: [4, 3], values: W1 },
  { name: 'b1', dims: [4], values: b1 },
  { name: 'W2', dims: [2, 4], values: W2 },
  { name: 'b2', dims: [2], values: b2 },
];

async function viaOrt(bytes: Uint8Array, x: number[][], output = 'y'): Promise<number[][]> {
  const rt = ort();
  const s = await rt.InferenceSession.create(bytes);
  const r = await s.run({ x: new rt.Tensor('float32', Float32Array.from(x.flat()), [x.length, x[0].length]) });
  await s.release();
  const d = Array.from(r[output].data as Float32Array);
  const C = d.length / x.length;
  return x.map((_, i) => d.slice(i * C, (i + 1) * C));
}

const imp = (bytes: Uint8Array) => importModel(bytes, { file: 'g.onnx' });

describe('import: graph variants, against a plain forward pass and onnxruntime-node', () => {
  it('Sub/Div before the first layer become the stored standardisation (x − mean)/scale', async () => {
    const mean = [0.5, -1, 2],
      scale = [2, 0.5, 4];
    const bytes = model(
      [{ op: 'Sub', inputs: ['x', 'mean'], outputs: ['xc'] }, { op: 'Div', inputs: ['xc', 'scale'], outputs: ['xs'] }, ...mlpNodes('xs')],
      [...mlpInits(), { name: 'mean', dims: [1, 3], values: mean }, { name: 'scale', dims: [3], values: scale }],
    );
    const { model: m } = imp(bytes);
    expect(Array.from(m.preprocessing.mean!)).toEqual(mean);
    expect(Array.from(m.preprocessing.scale!)).toEqual(scale);
    const want = forward(X, (v) => v.map((x, j) => (x - mean[j]) / scale[j]));
    expect(maxAbsDiff(ourLogits(m, X), want)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourLogits(m, X), await viaOrt(bytes, X))).toBeLessThanOrEqual(1e-5);
  });

  it('MatMul + Add(bias first) + Mul by a per-output constant fold into one layer', async () => {
    const k = [2, -0.5, 1, 3];
    const bytes = model(
      [
        { op: 'MatMul', inputs: ['x', 'W1t'], outputs: ['m1'] },
        { op: 'Add', inputs: ['b1', 'm1'], outputs: ['z1'] },
        { op: 'Mul', inputs: ['z1', 'k'], outputs: ['s1'] },
        { op: 'Relu', inputs: ['s1'], outputs: ['h1'] },
        gemm('h1', 'W2', 'b2', 'y', 'fc2'),
      ],
      [
        { name: 'W1t', dims: [3, 4], values: T(W1, 4, 3) },
        { name: 'b1', dims: [1, 4], values: b1 },
        { name: 'k', dims: [4], values: k },
        { name: 'W2', dims: [2, 4], values: W2 },
        { name: 'b2', dims: [2], values: b2 },
      ],
    );
    const { model: m } = imp(bytes);
    expect(m.layers.length).toBe(2);
    const want = forward(X, undefined, [W1.map((w, i) => w * k[Math.floor(i / 3)]), W2], [b1.map((b, o) => b * k[o]), b2]);
    expect(maxAbsDiff(ourLogits(m, X), want)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourLogits(m, X), await viaOrt(bytes, X))).toBeLessThanOrEqual(1e-5);
  });

  it('sparse initializers (COO, linear indices) import as their dense matrices', async () => {
    const Wp = W1.map((w, i) => (i % 3 === 1 ? 0 : w)); // a pruned W1
    const nz = Wp.flatMap((w, i) => (w !== 0 ? [i] : []));
    const bytes = model(
      mlpNodes(),
      mlpInits().filter((t) => t.name !== 'W1'),
      { sparse: [{ name: 'W1', dims: [4, 3], indices: nz, values: nz.map((i) => Wp[i]) }] },
    );
    const { model: m } = imp(bytes);
    expect(Array.from(m.layers[0].weight)).toEqual(Wp.map(Math.fround));
    expect(maxAbsDiff(ourLogits(m, X), forward(X, undefined, [Wp, W2]))).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourLogits(m, X), await viaOrt(bytes, X))).toBeLessThanOrEqual(1e-5);
  });

  it('weights behind Transpose, Identity and Constant(value_floats) are folded', async () => {
    const bytes = model(
      [
        { op: 'Transpose', inputs: ['W1t'], outputs: ['W1'], attrs: [{ name: 'perm', ints: [1, 0] }] },
        { op: 'Constant', inputs: [], outputs: ['b1c'], attrs: [{ name: 'value_floats', floats: b1 }] },
        { op: 'Identity', inputs: ['b1c'], outputs: ['b1'] },
        ...mlpNodes(),
      ],
      [
        { name: 'W1t', dims: [3, 4], values: T(W1, 4, 3) },
        { name: 'W2', dims: [2, 4], values: W2 },
        { name: 'b2', dims: [2], values: b2 },
      ],
    );
    const { model: m } = imp(bytes);
    expect(maxAbsDiff(ourLogits(m, X), forward(X))).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(ourLogits(m, X), await viaOrt(bytes, X))).toBeLessThanOrEqual(1e-5);
  });

  it('a PyTorch-style binary classifier (one output, Sigmoid) becomes logits [0, z]: softmax gives [1 − σ(z), σ(z)]', async () => {
    const Wb = W2.slice(0, 4),
      bb = [0.2];
    const bytes = model(
      [...mlpNodes('x', 'z').slice(0, 2), gemm('h1', 'Wb', 'bb', 'z', 'out'), { op: 'Sigmoid', inputs: ['z'], outputs: ['y'], name: 'sig' }],
      [...mlpInits().slice(0, 2), { name: 'Wb', dims: [1, 4], values: Wb }, { name: 'bb', dims: [1], values: bb }],
    );
    const { model: m, summary } = imp(bytes);
    expect(m.layers.at(-1)!.outFeatures).toBe(2);
    expect(m.preprocessing.labelNames).toEqual(['0', '1']);
    expect(summary.notes.join()).toMatch(/two-class head/);
    const p1 = ourLogits(m, X).map((z) => [1 / (1 + Math.exp(z[0] - z[1]))]); // softmax([z0, z1])[1]
    expect(maxAbsDiff(p1, await viaOrt(bytes, X))).toBeLessThanOrEqual(1e-6);
  });

  it('sparse initializers with [nnz, rank] coordinates', () => {
    const nz = [
      [0, 0],
      [1, 2],
      [3, 1],
    ];
    const bytes = model(
      mlpNodes(),
      mlpInits().filter((t) => t.name !== 'W1'),
    );
    const obj = ModelProto.toObject(ModelProto.decode(bytes), { longs: String }) as { graph: { sparse_initializer?: unknown[] } };
    obj.graph.sparse_initializer = [
      {
        values: { name: 'W1', dims: [3], data_type: 1, float_data: [0.5, -2, 4] },
        indices: { name: 'W1_idx', dims: [3, 2], data_type: 7, int64_data: nz.flat().map(String) },
        dims: [4, 3],
      },
    ];
    const { model: m } = imp(ModelProto.encode(ModelProto.fromObject(obj)).finish());
    const want = new Array(12).fill(0);
    want[0] = 0.5;
    want[1 * 3 + 2] = -2;
    want[3 * 3 + 1] = 4;
    expect(Array.from(m.layers[0].weight)).toEqual(want);
  });

  it('a sparse initializer whose dense size exceeds what prunekit can hold is refused before allocating', () => {
    const bytes = model(
      mlpNodes(),
      mlpInits().filter((t) => t.name !== 'W1'),
      { sparse: [{ name: 'W1', dims: [1 << 15, 1 << 13], indices: [5], values: [1] }] },
    );
    expect(() => imp(bytes)).toThrow(/sparse initializer 'W1': shape \[32768,8192\] has 268435456 elements densely, more than the 134217728 \(2\^27\)/);
  });

  it('BFLOAT16 weights (int32_data bit patterns) are widened exactly', () => {
    const bf16 = (x: number) => new Uint32Array(Float32Array.of(x).buffer)[0] >>> 16; // truncation: exact for these values
    const vals = [0.5, -1, 0.25, 1, 0.5, -0.5, -0.75, 0.1875, 1, 0.3125, 0.3125, -0.3125];
    const bytes = model(
      [{ op: 'Cast', inputs: ['W1h'], outputs: ['W1'], attrs: [{ name: 'to', i: 1 }] }, ...mlpNodes()],
      [{ name: 'W1h', dims: [4, 3], values: vals.map(bf16), type: 16 }, ...mlpInits().filter((t) => t.name !== 'W1')],
    );
    expect(Array.from(imp(bytes).model.layers[0].weight)).toEqual(vals);
  });
});

describe('import: graph variants that are refused, by node', () => {
  const inits = mlpInits();
  it.each<[string, Node[], Init[], RegExp]>([
    [
      'a Relu before the final Softmax',
      [...mlpNodes('x', 'z'), { op: 'Relu', inputs: ['z'], outputs: ['r'], name: 'relu_out' }, { op: 'Softmax', inputs: ['r'], outputs: ['y'] }],
      inits,
      /the last layer \(Gemm 'fc2'\) is followed by relu; prunekit's last layer gives logits/,
    ],
    [
      'Dropout in training mode',
      [{ op: 'Dropout', inputs: ['x', '', 'train'], outputs: ['xd'], name: 'drop' }, ...mlpNodes('xd')],
      [...inits, { name: 'train', dims: [], values: [1], type: 3 }],
      /Dropout 'drop': training_mode is true/,
    ],
    [
      'MatMul W·x',
      [
        { op: 'MatMul', inputs: ['W1', 'x'], outputs: ['z'], name: 'mm' },
        { op: 'Relu', inputs: ['z'], outputs: ['y'] },
      ],
      inits,
      /MatMul 'mm': multiplies a constant by the data \(W·x\); supported: the data first/,
    ],
    [
      'Gemm with transA',
      [
        {
          op: 'Gemm',
          inputs: ['x', 'W1', 'b1'],
          outputs: ['y'],
          name: 'g',
          attrs: [
            { name: 'transA', i: 1 },
            { name: 'transB', i: 1 },
          ],
        },
      ],
      inits,
      /Gemm 'g': transA = 1 would transpose the batch/,
    ],
    [
      'ArgMax over the batch axis',
      [...mlpNodes('x', 'z'), { op: 'ArgMax', inputs: ['z'], outputs: ['y'], name: 'am', attrs: [{ name: 'axis', i: 0 }] }],
      inits,
      /ArgMax 'am': axis 0: expected the class axis/,
    ],
    [
      'a Reshape that is not [-1, width]',
      [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['xr'], name: 'rs' }, ...mlpNodes('xr')],
      [...inits, { name: 'shape', dims: [2], values: [3, -1], type: 7 }],
      /Reshape 'rs': reshapes to \[3,-1\]; only \[-1, 3\] or \[0, 3\]/,
    ],
    [
      'a Reshape to [0, 3] with allowzero = 1 (a literal zero-size batch)',
      [{ op: 'Reshape', inputs: ['x', 'shape'], outputs: ['xr'], name: 'rz', attrs: [{ name: 'allowzero', i: 1 }] }, ...mlpNodes('xr')],
      [...inits, { name: 'shape', dims: [2], values: [0, 3], type: 7 }],
      /Reshape 'rz': reshapes to \[0,3\]/,
    ],
    [
      'a computed Reshape whose first dimension is not the batch',
      [
        { op: 'Shape', inputs: ['x'], outputs: ['shp'] },
        { op: 'Gather', inputs: ['shp', 'one'], outputs: ['d1'], attrs: [{ name: 'axis', i: 0 }] },
        { op: 'Unsqueeze', inputs: ['d1', 'zero'], outputs: ['d1u'] },
        { op: 'Concat', inputs: ['d1u', 'minus1'], outputs: ['target'], attrs: [{ name: 'axis', i: 0 }] },
        { op: 'Reshape', inputs: ['x', 'target'], outputs: ['xr'], name: 'rc' },
        ...mlpNodes('xr'),
      ],
      [
        ...inits,
        { name: 'one', dims: [], values: [1], type: 7 },
        { name: 'zero', dims: [1], values: [0], type: 7 },
        { name: 'minus1', dims: [1], values: [-1], type: 7 },
      ],
      /Reshape 'rc': reshapes to \[3,-1\]/,
    ],
    ['a Shape nobody uses', [{ op: 'Shape', inputs: ['x'], outputs: ['shp'], name: 'sh' }, ...mlpNodes()], inits, /Shape 'sh' is not on the chain/],
    [
      'a Gather on the data',
      [{ op: 'Gather', inputs: ['x', 'idx'], outputs: ['xg'], name: 'ga' }, ...mlpNodes('xg')],
      [...inits, { name: 'idx', dims: [3], values: [2, 1, 0], type: 7 }],
      /Gather 'ga': not supported here/,
    ],
    [
      'Flatten over the batch',
      [{ op: 'Flatten', inputs: ['x'], outputs: ['xf'], name: 'fl', attrs: [{ name: 'axis', i: 0 }] }, ...mlpNodes('xf')],
      inits,
      /Flatten 'fl': axis 0 flattens across the batch/,
    ],
    [
      'an Add after an activation',
      [
        gemm('x', 'W1', 'b1', 'z1', 'fc1'),
        { op: 'Relu', inputs: ['z1'], outputs: ['h1'], name: 'relu1' },
        { op: 'Add', inputs: ['h1', 'b1'], outputs: ['h2'], name: 'shift' },
        gemm('h2', 'W2', 'b2', 'y', 'fc2'),
      ],
      inits,
      /Add 'shift': follows the activation of layer 0/,
    ],
    [
      'two activations in a row',
      [
        gemm('x', 'W1', 'b1', 'z1', 'fc1'),
        { op: 'Relu', inputs: ['z1'], outputs: ['h1'] },
        { op: 'Tanh', inputs: ['h1'], outputs: ['h2'], name: 'tanh2' },
        gemm('h2', 'W2', 'b2', 'y', 'fc2'),
      ],
      inits,
      /Tanh 'tanh2': a second activation after layer 0 \(Gemm 'fc1', already relu\)/,
    ],
    [
      'BatchNormalization on the input',
      [{ op: 'BatchNormalization', inputs: ['x', 'g', 'b', 'm', 'v'], outputs: ['xb'], name: 'bn' }, ...mlpNodes('xb')],
      [...inits, ...['g', 'b', 'm', 'v'].map((n) => ({ name: n, dims: [3], values: [1, 1, 1] }))],
      /BatchNormalization 'bn': comes before the first linear layer/,
    ],
    [
      'a Cast of the data to an integer type',
      [{ op: 'Cast', inputs: ['x'], outputs: ['xi'], name: 'toint', attrs: [{ name: 'to', i: 7 }] }, ...mlpNodes('xi')],
      inits,
      /Cast 'toint': casts the data to INT64/,
    ],
    [
      'INT8 (quantized) weights',
      mlpNodes(),
      [{ name: 'W1', dims: [4, 3], values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], type: 3 }, ...inits.slice(1)],
      /Gemm 'fc1': its weight B 'W1' is INT8; weights must be FLOAT, FLOAT16, BFLOAT16 or DOUBLE \(quantized models are not supported\)/,
    ],
    ['no linear layer', [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r' }], [], /Relu 'r': an activation before the first linear layer/],
    [
      'a Gemm whose bias C is per sample',
      [gemm('x', 'W1', 'C', 'y', 'fc1')],
      [...inits, { name: 'C', dims: [2, 4], values: new Array(8).fill(0) }],
      /Gemm 'fc1': its bias C has shape \[2,4\]; expected one value or one per output \(4\)/,
    ],
    [
      'a dangling second computation',
      [...mlpNodes(), { op: 'Relu', inputs: ['W1'], outputs: ['junk'], name: 'dangling' }],
      inits,
      /Relu 'dangling' is not on the chain from the input to the output/,
    ],
  ])('%s', (_what, nodes, ini, message) => {
    expect(() => imp(model(nodes, ini))).toThrow(message);
  });
});
