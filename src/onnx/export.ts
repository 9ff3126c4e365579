/**
 * Export a prunekit model (a training-model file's MLP, or a compact file's CompactModel) to ONNX,
 * built as protobufjs messages from the official schema (./schema.ts) — no byte is written by hand.
 *
 * The graph (opset 13, IR version 7 — both supported by every onnxruntime since 1.8):
 *
 *   input [N, in] ─ Sub(mean) ─ Mul(1/scale) ─ Gemm(W₀, b₀, transB=1) ─ act₀ ─ … ─ Gemm(W_L, b_L) ─┬─ logits [N, out]
 *                                                                                                  └─ Softmax ─ probabilities [N, out]
 *
 * - Standardisation is x' = (x − mean) · (1/scale) with 1/scale rounded to f32 once: exactly the
 *   f32 arithmetic of the runtime (src/runtime/model.ts), so both give the same x' bit for bit.
 *   Sub/Mul appear only when the model stores a mean/scale.
 * - Each layer is Gemm(X, W, b, transB = 1) with W row-major [out, in] as PyTorch exports
 *   nn.Linear, or (option `op: 'matmul'`) MatMul(X, Wᵀ) + Add(b) as Keras/tf2onnx do.
 * - Activations: relu → Relu, tanh → Tanh, logistic → Sigmoid, identity → none.
 * - With `sparse`, a weight matrix with zeros is stored as a `sparse_initializer` (COO,
 *   SparseTensorProto) whenever that is smaller than the dense tensor: `values` FLOAT [nnz] holds
 *   exactly the nonzero weights in row-major order and `indices` INT64 [nnz] their linearised
 *   positions r·cols + c (ascending, as the spec requires), stored as packed varints, so an index
 *   costs 1–4 bytes instead of 8. onnxruntime densifies sparse initializers when it loads the model.
 * - metadata_props: `prunekit.labels` and `prunekit.features`, JSON arrays of the class names
 *   (index i = logit i) and input feature names (index j = input column j), when the model has them.
 */
import { onnxProto } from './schema.js';
import type { MLP } from '../nn/model.js';
import { decodeMLP } from '../nn/io.js';
import { type CompactModel, decodeModel, denseWeight } from '../sparse/format.js';
import { decodeSafetensors, FormatError } from '../util/safetensors.js';
import type { ActName } from '../nn/model.js';

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;
export const INPUT_NAME = 'input';
export const LOGITS_NAME = 'logits';
export const PROBABILITIES_NAME = 'probabilities';
export const LABELS_KEY = 'prunekit.labels';
export const FEATURES_KEY = 'prunekit.features';
const MAX_PROTOBUF_BYTES = 2 ** 31;

export interface OnnxExportOptions {
  /** Store weight matrices with zeros as COO sparse initializers when smaller (default false). */
  sparse?: boolean;
  /** Linear layers as Gemm (default, transB = 1) or MatMul + Add. */
  op?: 'gemm' | 'matmul';
  /** Add the final Softmax output `probabilities` (default true). */
  probabilities?: boolean;
  /** The batch dimension: a symbolic name (default 'N') or a fixed size. */
  batch?: string | number;
  /** Input name (default 'input'). */
  inputName?: string;
}

export interface OnnxLayerReport {
  in: number;
  out: number;
  activation: ActName;
  /** How the weight matrix is stored in the ONNX file. */
  storage: 'dense' | 'sparse';
  nonzeros: number;
}

export interface OnnxExportReport {
  opset: number;
  irVersion: number;
  bytes: number;
  input: string;
  outputs: string[];
  preprocessing: boolean;
  layers: OnnxLayerReport[];
}

/** One linear layer as the exporter sees it: y = act(W x + b), W row-major [out, in] in f32. */
interface PlainLayer {
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array;
  activation: ActName;
}

/** onnx.TensorProto.DataType values, fixed by the ONNX spec. */
const FLOAT = 1;
const INT64 = 7;
const ACTIVATION_OP: Record<ActName, string | null> = { identity: null, relu: 'Relu', tanh: 'Tanh', logistic: 'Sigmoid' };

function isCompact(m: MLP | CompactModel): m is CompactModel {
  return 'layout' in m.layers[0];
}

/** Every layer as a dense f32 [out, in] matrix (compact files: CSR densified, f16 and k-means codes decoded). */
function plainLayers(m: MLP | CompactModel): PlainLayer[] {
  if (isCompact(m)) {
    return m.layers.map((L) => ({ inFeatures: L.inFeatures, outFeatures: L.outFeatures, weight: denseWeight(L), bias: L.bias, activation: L.activation }));
  }
  return m.layers.map((L) => ({ inFeatures: L.inFeatures, outFeatures: L.outFeatures, weight: L.weight, bias: L.bias, activation: L.activation }));
}

/**
 * A prunekit model file of either kind, decoded and validated: a training-model file (metadata
 * kind "masked", src/nn/io.ts) or a compact file (kind "compact", src/sparse/format.ts).
 */
export function decodeAnyModel(bytes: Uint8Array, source = 'model'): MLP | CompactModel {
  const kind = decodeSafetensors(bytes).metadata.kind;
  if (kind === 'masked') return decodeMLP(bytes, source);
  if (kind === 'compact') {
    try {
      return decodeModel(bytes);
    } catch (e) {
      throw new FormatError(`${source}: ${(e as Error).message}`);
    }
  }
  throw new FormatError(`${source}: not a prunekit model file (metadata kind is ${JSON.stringify(kind)}, expected "masked" or "compact")`);
}

/** Little-endian f32 bytes (TensorProto.raw_data is always little-endian). */
function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const raw = new Uint8Array(values.length * 4);
  const dv = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) dv.setFloat32(i * 4, values[i], true);
  return raw;
}

const floatTensor = (name: string, dims: number[], values: ArrayLike<number>) => ({ name, dims, data_type: FLOAT, raw_data: f32Bytes(values) });

/** Row-major rows×cols → cols×rows. */
export function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c];
  return t;
}

/** Bytes of a protobuf varint holding v ≥ 0 (7 bits per byte). */
function varintLength(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 0x80);
    n++;
  }
  return n;
}

/**
 * The COO form of a row-major matrix when it is smaller than the dense one, else null: values
 * [nnz] and linearised indices r·cols + c [nnz], ascending.
 */
function cooIfSmaller(name: string, dims: [number, number], w: Float32Array) {
  const idx: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i] !== 0) idx.push(i);
  let sparseBytes = 4 * idx.length;
  for (const i of idx) sparseBytes += varintLength(i);
  if (sparseBytes >= 4 * w.length) return null;
  return {
    dims,
    values: floatTensor(
      name,
      [idx.length],
      idx.map((i) => w[i]),
    ),
    indices: { name: `${name}_indices`, dims: [idx.length], data_type: INT64, int64_data: idx },
  };
}

/**
 * The ONNX ModelProto of a model, as bytes, plus a report of what was written. Deterministic: the
 * same model and options give the same bytes.
 */
export function exportOnnx(model: MLP | CompactModel, opts: OnnxExportOptions = {}): { bytes: Uint8Array; report: OnnxExportReport } {
  const layers = plainLayers(model);
  if (layers.length === 0) throw new RangeError('exportOnnx: the model has no layers');
  layers.forEach((L, i) => {
    if (L.inFeatures < 1 || L.outFeatures < 1)
      throw new RangeError(`exportOnnx: layer ${i} is ${L.outFeatures}×${L.inFeatures}; ONNX export needs every layer to have inputs and outputs`);
    if (L.weight.length !== L.inFeatures * L.outFeatures || L.bias.length !== L.outFeatures) {
      throw new RangeError(`exportOnnx: layer ${i}: weight ${L.weight.length} / bias ${L.bias.length} values do not match ${L.outFeatures}×${L.inFeatures}`);
    }
    if (i > 0 && layers[i - 1].outFeatures !== L.inFeatures)
      throw new RangeError(`exportOnnx: layer ${i} takes ${L.inFeatures} inputs, layer ${i - 1} gives ${layers[i - 1].outFeatures}`);
  });
  // A protobuf message (the whole ONNX file, without external data) is limited to 2 GiB.
  const denseBytes = layers.reduce((sum, L) => sum + 4 * (L.weight.length + L.bias.length), 0);
  if (!opts.sparse && denseBytes >= MAX_PROTOBUF_BYTES) {
    throw new RangeError(`exportOnnx: ${denseBytes} bytes of weights do not fit in one ONNX file (protobuf's 2 GiB limit); try --sparse for a pruned model`);
  }
  const op = opts.op ?? 'gemm';
  const batch = opts.batch ?? 'N';
  const withProba = opts.probabilities ?? true;
  const inputName = opts.inputName ?? INPUT_NAME;
  const nIn = layers[0].inFeatures,
    nOut = layers.at(-1)!.outFeatures;

  const initializer: object[] = [];
  const sparseInitializer: object[] = [];
  const node: object[] = [];
  const addNode = (opType: string, input: string[], output: string[], attribute: object[] = []) => {
    node.push({ op_type: opType, name: `${opType.toLowerCase()}_${node.length}`, input, output, attribute });
  };

  // Standardisation: x' = (x − mean) · (1/scale), the runtime's exact f32 arithmetic.
  let x = inputName;
  const { mean, scale, labelNames, featureNames } = model.preprocessing;
  if (mean) {
    initializer.push(floatTensor('preprocessing_mean', [nIn], mean));
    addNode('Sub', [x, 'preprocessing_mean'], ['centred']);
    x = 'centred';
  }
  if (scale) {
    initializer.push(
      floatTensor(
        'preprocessing_inv_scale',
        [nIn],
        Float32Array.from(scale, (s) => 1 / s),
      ),
    );
    addNode('Mul', [x, 'preprocessing_inv_scale'], ['standardised']);
    x = 'standardised';
  }

  const layerReports: OnnxLayerReport[] = layers.map((L, i) => {
    const last = i === layers.length - 1;
    const act = ACTIVATION_OP[L.activation];
    const linearOut = last && !act ? LOGITS_NAME : `linear_${i}`;
    // Gemm takes W as stored ([out, in], transB = 1); MatMul needs Wᵀ ([in, out]).
    const [w, dims] =
      op === 'gemm'
        ? [L.weight, [L.outFeatures, L.inFeatures] as [number, number]]
        : [transpose(L.weight, L.outFeatures, L.inFeatures), [L.inFeatures, L.outFeatures] as [number, number]];
    const wName = `layers_${i}_weight`,
      bName = `layers_${i}_bias`;
    const coo = opts.sparse ? cooIfSmaller(wName, dims, w) : null;
    if (coo) sparseInitializer.push(coo);
    else initializer.push(floatTensor(wName, dims, w));
    initializer.push(floatTensor(bName, [L.outFeatures], L.bias));
    if (op === 'gemm') {
      addNode(
        'Gemm',
        [x, wName, bName],
        [linearOut],
        [
          { name: 'transB', type: 'INT', i: 1 },
          { name: 'alpha', type: 'FLOAT', f: 1 },
          { name: 'beta', type: 'FLOAT', f: 1 },
        ],
      );
    } else {
      addNode('MatMul', [x, wName], [`matmul_${i}`]);
      addNode('Add', [`matmul_${i}`, bName], [linearOut]);
    }
    x = linearOut;
    if (act) {
      const out = last ? LOGITS_NAME : `hidden_${i}`;
      addNode(act, [x], [out]);
      x = out;
    }
    let nonzeros = 0;
    for (let j = 0; j < L.weight.length; j++) if (L.weight[j] !== 0) nonzeros++;
    return { in: L.inFeatures, out: L.outFeatures, activation: L.activation, storage: coo ? 'sparse' : 'dense', nonzeros };
  });
  if (withProba) addNode('Softmax', [LOGITS_NAME], [PROBABILITIES_NAME], [{ name: 'axis', type: 'INT', i: -1 }]);

  const batchDim = typeof batch === 'number' ? { dim_value: batch } : { dim_param: batch };
  const valueInfo = (name: string, width: number) => ({
    name,
    type: { tensor_type: { elem_type: FLOAT, shape: { dim: [batchDim, { dim_value: width }] } } },
  });
  const outputs = withProba ? [LOGITS_NAME, PROBABILITIES_NAME] : [LOGITS_NAME];
  const metadata: { key: string; value: string }[] = [];
  if (labelNames.length) metadata.push({ key: LABELS_KEY, value: JSON.stringify(labelNames) });
  if (featureNames.length) metadata.push({ key: FEATURES_KEY, value: JSON.stringify(featureNames) });

  const { ModelProto } = onnxProto();
  const proto = ModelProto.fromObject({
    ir_version: ONNX_IR_VERSION,
    producer_name: 'prunekit',
    producer_version: '0.1.0',
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    metadata_props: metadata,
    graph: {
      name: 'prunekit_mlp',
      doc_string: 'MLP exported by prunekit: standardisation, linear layers, activations; logits and softmax probabilities.',
      node,
      initializer,
      sparse_initializer: sparseInitializer,
      input: [valueInfo(inputName, nIn)],
      output: outputs.map((o) => valueInfo(o, nOut)),
    },
  });
  const writer = ModelProto.encode(proto);
  if (writer.len >= MAX_PROTOBUF_BYTES) throw new RangeError(`exportOnnx: ${writer.len} bytes do not fit in one ONNX file (protobuf's 2 GiB limit)`);
  const bytes = writer.finish();
  return {
    bytes,
    report: {
      opset: ONNX_OPSET,
      irVersion: ONNX_IR_VERSION,
      bytes: bytes.length,
      input: inputName,
      outputs,
      preprocessing: !!(mean || scale),
      layers: layerReports,
    },
  };
}
