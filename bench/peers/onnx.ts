/**
 * A minimal ONNX encoder: just enough of the protobuf wire format and of onnx.proto to write an
 * MLP (Gemm + Relu per layer) from our weights, so that ONNX engines run exactly the same numbers.
 * No protobuf dependency: ONNX files are plain protobuf messages, and the few fields needed here
 * are written by hand.
 *
 * Protobuf wire format (protobuf.dev/programming-guides/encoding):
 * - every field is a key `(field_number << 3) | wire_type` as a varint, then the value;
 * - wire type 0 = varint (int32/int64/enum; little-endian base-128, high bit = "more bytes");
 * - wire type 2 = length-delimited (string, bytes, embedded message, packed repeated scalars):
 *   a varint byte length, then the bytes.
 *
 * onnx.proto field numbers used (github.com/onnx/onnx/blob/main/onnx/onnx.proto):
 *   ModelProto:        ir_version 1, producer_name 2, graph 7, opset_import 8
 *   OperatorSetIdProto: domain 1, version 2
 *   GraphProto:        node 1, name 2, initializer 5, input 11, output 12
 *   NodeProto:         input 1, output 2, name 3, op_type 4, attribute 5
 *   AttributeProto:    name 1, f 2, i 3, type 20 (FLOAT = 1, INT = 2)
 *   TensorProto:       dims 1, data_type 2 (FLOAT = 1), name 8, raw_data 9 (little-endian)
 *   ValueInfoProto:    name 1, type 2;  TypeProto: tensor_type 1
 *   TypeProto.Tensor:  elem_type 1, shape 2;  TensorShapeProto: dim 1;  Dimension: dim_value 1, dim_param 2
 */

/** A protobuf message under construction: a list of encoded chunks. */
class Msg {
  private chunks: Uint8Array[] = [];
  private size = 0;

  private push(bytes: Uint8Array): this {
    this.chunks.push(bytes);
    this.size += bytes.length;
    return this;
  }

  /** A varint-typed field (wire type 0). Values must be non-negative safe integers. */
  varint(field: number, value: number): this {
    return this.push(varintBytes(field << 3)).push(varintBytes(value));
  }

  /** A length-delimited field (wire type 2): bytes, a string or an embedded message. */
  bytes(field: number, value: Uint8Array | string | Msg): this {
    const b = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Msg ? value.finish() : value;
    return this.push(varintBytes((field << 3) | 2)).push(varintBytes(b.length)).push(b);
  }

  /** A 32-bit field (wire type 5), for `float`. */
  float32(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.push(varintBytes((field << 3) | 5)).push(b);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) { out.set(c, o); o += c.length; }
    return out;
  }
}

/** Base-128 varint of a non-negative safe integer (arithmetic, not bit ops: values may exceed 2³¹). */
export function varintBytes(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: expected a non-negative safe integer, got ${value}`);
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Uint8Array.from(out);
}

const FLOAT = 1; // TensorProto.DataType.FLOAT and TypeProto elem_type
const ATTR_FLOAT = 1, ATTR_INT = 2;

/** An f32 initializer (constant tensor) with row-major dims. */
function tensor(name: string, dims: number[], values: Float32Array): Msg {
  const n = dims.reduce((a, b) => a * b, 1);
  if (values.length !== n) throw new RangeError(`onnx tensor ${name}: ${values.length} values for dims [${dims.join(', ')}] (${n})`);
  const t = new Msg();
  for (const d of dims) t.varint(1, d);
  t.varint(2, FLOAT).bytes(8, name);
  // raw_data is little-endian; copy so that a view into a larger buffer is not written whole
  const raw = new Uint8Array(n * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) dv.setFloat32(i * 4, values[i], true);
  return t.bytes(9, raw);
}

/** A graph input/output: a float tensor; a string dim is symbolic (e.g. 'N' for the batch). */
function valueInfo(name: string, dims: (number | string)[]): Msg {
  const shape = new Msg();
  for (const d of dims) shape.bytes(1, typeof d === 'number' ? new Msg().varint(1, d) : new Msg().bytes(2, d));
  const tensorType = new Msg().varint(1, FLOAT).bytes(2, shape);
  return new Msg().bytes(1, name).bytes(2, new Msg().bytes(1, tensorType));
}

function node(opType: string, inputs: string[], outputs: string[], name: string, attrs: Msg[] = []): Msg {
  const m = new Msg();
  for (const i of inputs) m.bytes(1, i);
  for (const o of outputs) m.bytes(2, o);
  m.bytes(3, name).bytes(4, opType);
  for (const a of attrs) m.bytes(5, a);
  return m;
}

const intAttr = (name: string, v: number) => new Msg().bytes(1, name).varint(20, ATTR_INT).varint(3, v);
const floatAttr = (name: string, v: number) => new Msg().bytes(1, name).varint(20, ATTR_FLOAT).float32(2, v);

/** One dense layer as stored by prunekit: row-major `out × in` weight, `y = act(W x + b)`. */
export interface OnnxLayer {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array;
  activation: 'relu' | 'identity';
}

export interface OnnxMlpOptions {
  /** 'gemm': Gemm(X, W, b, transB = 1) as PyTorch exports nn.Linear; 'matmul': MatMul(X, Wᵀ) + Add(b). */
  op?: 'gemm' | 'matmul';
  /** Batch dimension: a fixed size or a symbolic name (default 'N'). */
  batch?: number | string;
}

/**
 * An ONNX model (IR 7, opset 13) of an MLP: input `x` [N × in] (row-major samples), output `y`
 * [N × out]. The graph computes for each layer y = act(x · Wᵀ + b), the same function as ours.
 */
export function encodeMlpOnnx(layers: readonly OnnxLayer[], opts: OnnxMlpOptions = {}): Uint8Array {
  if (layers.length === 0) throw new RangeError('encodeMlpOnnx: no layers');
  const op = opts.op ?? 'gemm';
  const batch = opts.batch ?? 'N';
  const graph = new Msg();
  let x = 'x';
  layers.forEach((L, i) => {
    if (L.weight.length !== L.inFeatures * L.outFeatures || L.bias.length !== L.outFeatures) {
      throw new RangeError(`encodeMlpOnnx: layer ${i}: weight ${L.weight.length} / bias ${L.bias.length} do not match ${L.outFeatures}×${L.inFeatures}`);
    }
    if (i > 0 && layers[i - 1].outFeatures !== L.inFeatures) throw new RangeError(`encodeMlpOnnx: layer ${i} takes ${L.inFeatures} inputs, layer ${i - 1} gives ${layers[i - 1].outFeatures}`);
    const last = i === layers.length - 1;
    const pre = L.activation === 'relu' ? `z${i}` : last ? 'y' : `h${i}`;
    if (op === 'gemm') {
      graph.bytes(5, tensor(`W${i}`, [L.outFeatures, L.inFeatures], L.weight));
      graph.bytes(5, tensor(`b${i}`, [L.outFeatures], L.bias));
      graph.bytes(1, node('Gemm', [x, `W${i}`, `b${i}`], [pre], `gemm${i}`, [intAttr('transB', 1), floatAttr('alpha', 1), floatAttr('beta', 1)]));
    } else {
      graph.bytes(5, tensor(`Wt${i}`, [L.inFeatures, L.outFeatures], transpose(L.weight, L.outFeatures, L.inFeatures)));
      graph.bytes(5, tensor(`b${i}`, [L.outFeatures], L.bias));
      graph.bytes(1, node('MatMul', [x, `Wt${i}`], [`m${i}`], `matmul${i}`));
      graph.bytes(1, node('Add', [`m${i}`, `b${i}`], [pre], `add${i}`));
    }
    if (L.activation === 'relu') {
      const out = last ? 'y' : `h${i}`;
      graph.bytes(1, node('Relu', [pre], [out], `relu${i}`));
      x = out;
    } else {
      x = pre;
    }
  });
  graph.bytes(2, 'prunekit-mlp');
  graph.bytes(11, valueInfo('x', [batch, layers[0].inFeatures]));
  graph.bytes(12, valueInfo('y', [batch, layers.at(-1)!.outFeatures]));
  return new Msg()
    .varint(1, 7) // IR version 7 goes with opset 13
    .bytes(2, 'prunekit-bench')
    .bytes(7, graph)
    .bytes(8, new Msg().bytes(1, '').varint(2, 13))
    .finish();
}

/** Row-major rows×cols → cols×rows. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}
