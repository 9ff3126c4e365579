/**
 * ONNX → a chain of dense layers (src/import/network.ts), for `prunekit import`.
 *
 * The file is decoded with the official onnx-ml.proto schema (./schema.ts); no byte is decoded by
 * hand. The graph is then followed from its one data input, node by node, as long as it is a
 * single chain — the shape exporters write for MLP classifiers:
 *
 *   [input transform]  (Sub/Add/Mul/Div by constants, ai.onnx.ml Scaler)
 *   per layer:  Gemm, or MatMul + Add      [BatchNormalization]   [Relu | Tanh | Sigmoid]
 *   no-ops anywhere:  Identity, Cast (to a float type), Flatten(axis 1), Dropout, and Reshape to
 *     [batch, features], its shape a constant or computed from Shape(x) (./shape.ts)
 *   classifier head after the logits (./head.ts):  Softmax | LogSoftmax, ArgMax,
 *     ArrayFeatureExtractor over the class labels, ZipMap, Identity/Cast/Reshape; on a layer with one
 *     output, the two-class head Sigmoid [→ Sub(1, p) → Concat], which becomes logits [0, z].
 *
 * Weights are initializers, sparse initializers or Constant nodes (also behind a Cast, Identity or
 * Transpose; ./constants.ts), in FLOAT, FLOAT16, BFLOAT16 or DOUBLE; everything is computed in float64 and rounded to
 * f32 once (src/import/network.ts). Anything else — a Conv, a residual Add, a branch, an op not
 * listed — is an ImportError naming the op, the node and what is supported.
 */
import type { ActName } from '../../nn/model.js';
import { ImportError } from '../errors.js';
import type { ImportedLayer, ImportedNetwork } from '../network.js';
import { attr, attrFloat, attrInt, describe, type ModelObject, type NodeObject, type ValueInfoObject } from './proto.js';
import { collectConstants } from './constants.js';
import { readHead } from './head.js';
import { onnxProto } from '../../onnx/schema.js';
import { evalShape, type Dim } from './shape.js';
import { BODY_OPS, CONST_OPS, HEAD_OPS, isDefaultDomain, isMlDomain, ML_OPS, SHAPE_OPS, SUPPORTED } from './ops.js';
import { DT, dtypeName, isFloatType, type Constant } from './tensor.js';
import { FEATURES_KEY, LABELS_KEY } from '../../onnx/export.js';

/** The opsets of the default domain this importer reads. */
export const MIN_OPSET = 9;
export const MAX_OPSET = 21;

const ACTIVATIONS: Record<string, ActName> = { Relu: 'relu', Tanh: 'tanh', Sigmoid: 'logistic' };

// ---- decoding ---------------------------------------------------------------------------------

function decode(bytes: Uint8Array, file: string): ModelObject {
  if (bytes.length === 0) throw new ImportError(`${file}: the file is empty`);
  const { ModelProto } = onnxProto();
  let msg;
  try {
    msg = ModelProto.decode(bytes);
  } catch (e) {
    throw new ImportError(`${file}: not a valid ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  return ModelProto.toObject(msg, { longs: Number }) as ModelObject;
}

function checkOpsets(m: ModelObject, file: string): number {
  const ops = m.opset_import ?? [];
  const main = ops.find((o) => isDefaultDomain(o.domain));
  if (!main)
    throw new ImportError(
      `${file}: the model imports no opset of the default ONNX domain (opset_import lists ${ops.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ') || 'nothing'})`,
    );
  const v = main.version ?? 0;
  if (v < MIN_OPSET || v > MAX_OPSET)
    throw new ImportError(`${file}: the model is written for opset ${v}; prunekit imports opsets ${MIN_OPSET} to ${MAX_OPSET}`);
  return v;
}

// ---- the walk ------------------------------------------------------------------------------------

/** One input-transform step before the first layer, resolved once the input width is known. */
type PreOp = { op: 'add' | 'mul'; k: Float64Array; node: string } | { op: 'scaler'; offset: Float64Array; scale: Float64Array; node: string };

interface Walk {
  file: string;
  constants: Map<string, Constant>;
  layers: ImportedLayer[];
  /** The last layer still takes a bias, a BatchNormalization or its activation. */
  open: boolean;
  pre: PreOp[];
  /** Features of the current tensor (product of its non-batch dimensions), when known. */
  width: number | undefined;
  /** The current tensor's full shape ['N', …] (null: an unknown dimension), for Shape nodes. */
  dims: Dim[] | undefined;
  /** The node writing each tensor, and the shape-arithmetic nodes a Reshape used. */
  producers: Map<string, NodeObject>;
  shapeNodes: Set<NodeObject>;
  notes: string[];
}

export interface OnnxImportOptions {
  /** The file name, for messages. */
  file: string;
}

export function readOnnx(bytes: Uint8Array, opts: OnnxImportOptions): ImportedNetwork {
  const { file } = opts;
  const model = decode(bytes, file);
  const g = model.graph;
  if (!g) throw new ImportError(`${file}: the ONNX model has no graph`);
  const opset = checkOpsets(model, file);
  const nodes = g.node ?? [];
  if (nodes.length === 0) throw new ImportError(`${file}: the graph has no nodes`);

  const unsupported = nodes.filter((n) => {
    const op = n.op_type ?? '';
    if (isMlDomain(n.domain)) return !ML_OPS.has(op);
    return !isDefaultDomain(n.domain) || !(BODY_OPS.has(op) || HEAD_OPS.has(op) || CONST_OPS.has(op) || SHAPE_OPS.has(op));
  });
  if (unsupported.length) {
    const list = unsupported
      .slice(0, 5)
      .map((n) => `${describe(n)}${isDefaultDomain(n.domain) ? '' : ` (domain ${n.domain})`}`)
      .join(', ');
    throw new ImportError(
      `${file}: unsupported op${unsupported.length > 1 ? 's' : ''} ${list}${unsupported.length > 5 ? `, … (${unsupported.length} in all)` : ''}. ` +
        `prunekit imports MLPs: ${SUPPORTED}`,
    );
  }

  const { constants, folded } = collectConstants(g, file);
  const dataInputs = (g.input ?? []).filter((i) => !constants.has(i.name ?? ''));
  if (dataInputs.length !== 1) {
    throw new ImportError(
      `${file}: the graph has ${dataInputs.length} data inputs (${dataInputs.map((i) => `'${i.name}'`).join(', ') || 'none'}); ` +
        'prunekit imports models with one input, the features, and every weight stored in the file (an initializer or a Constant)',
    );
  }
  const input = dataInputs[0];
  const dims = inputShape(input, file);
  const width = dims?.slice(1).every((d) => typeof d === 'number') ? (dims.slice(1) as number[]).reduce((a, b) => a * b, 1) : undefined;
  const elem = input.type?.tensor_type?.elem_type;
  const notes = elem && elem !== DT.FLOAT ? [`the graph's input is ${dtypeName(elem)}; the imported model computes in f32`] : [];

  const consumers = new Map<string, NodeObject[]>();
  for (const n of nodes) {
    if (folded.has(n) || n.op_type === 'Shape') continue; // Shape reads no values, only the shape
    for (const x of new Set(n.input ?? [])) {
      if (x === '' || constants.has(x)) continue;
      if (!consumers.has(x)) consumers.set(x, []);
      consumers.get(x)!.push(n);
    }
  }
  const graphOutputs = new Set((g.output ?? []).map((o) => o.name ?? ''));

  // Follow the chain from the input: each tensor feeds exactly one node, until the logits, where
  // the graph ends or the classifier head takes over.
  const producers = new Map<string, NodeObject>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producers.set(o, n);
  const w: Walk = { file, constants, layers: [], open: false, pre: [], width, dims, producers, shapeNodes: new Set(), notes };
  const body = new Set<NodeObject>();
  let cur = input.name ?? '';
  while (!atLogits(cur, consumers.get(cur) ?? [], w, consumers, graphOutputs)) {
    const users = consumers.get(cur)!;
    if (users.length > 1) throw branchError(cur, users, w, false);
    const node = users[0];
    if (body.has(node)) throw new ImportError(`${file}: ${describe(node)} is reached twice: the graph has a cycle`);
    body.add(node);
    cur = step(node, cur, w, opset);
  }
  if (w.layers.length === 0) throw new ImportError(`${file}: no Gemm or MatMul layer found between the input '${input.name}' and the output`);
  const [mean, scale] = resolvePre(w);

  const head = readHead(nodes, new Set([...body, ...w.shapeNodes]), folded, cur, w, graphOutputs);
  return {
    layers: w.layers,
    mean,
    scale,
    labels: head.labels ?? metadataNames(model, LABELS_KEY, 'class names', file),
    features: metadataNames(model, FEATURES_KEY, 'input feature names', file),
    notes: [...w.notes, ...head.notes],
    source: {
      producer: [model.producer_name, model.producer_version].filter(Boolean).join(' ') || undefined,
      ir_version: model.ir_version,
      opset,
      graph: g.name || undefined,
      input: input.name,
      output: head.output,
    },
  };
}

/** Names `prunekit export` wrote into metadata_props under `key` (a JSON array of strings), or null. */
function metadataNames(model: ModelObject, key: string, what: string, file: string): string[] | null {
  const entry = (model.metadata_props ?? []).find((p) => p.key === key);
  if (!entry) return null;
  let names: unknown;
  try {
    names = JSON.parse(entry.value ?? '');
  } catch {
    throw new ImportError(`${file}: metadata_props '${key}' is not valid JSON (expected an array of ${what})`);
  }
  if (!Array.isArray(names) || !names.every((l) => typeof l === 'string')) throw new ImportError(`${file}: metadata_props '${key}' is not an array of ${what}`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ImportError(`${file}: metadata_props '${key}' names ${JSON.stringify(twice)} twice; ${what} must be distinct`);
  return names;
}

/** The input's shape ['N', d1, …] (null where a dimension is not fixed), or undefined if the graph gives none. */
function inputShape(input: ValueInfoObject, file: string): Dim[] | undefined {
  const tt = input.type?.tensor_type;
  const elem = tt?.elem_type ?? 0;
  if (elem !== 0 && !isFloatType(elem))
    throw new ImportError(`${file}: the input '${input.name}' is ${dtypeName(elem)}; prunekit models take floating-point features`);
  const dims = tt?.shape?.dim;
  if (!dims) return undefined;
  if (dims.length < 2)
    throw new ImportError(`${file}: the input '${input.name}' has rank ${dims.length}; prunekit imports models whose input is a batch [N, features…]`);
  return ['N', ...dims.slice(1).map((d) => (d.dim_value && d.dim_value >= 1 ? d.dim_value : null))];
}

/** Ops that only ever belong to the classifier head (after the logits). */
const HEAD_ONLY = new Set(['Softmax', 'LogSoftmax', 'ArgMax', 'Concat']);
const isHeadOnly = (u: NodeObject, w: Walk, consumers: Map<string, NodeObject[]>): boolean =>
  (isDefaultDomain(u.domain) && HEAD_ONLY.has(u.op_type ?? '')) || (isMlDomain(u.domain) && u.op_type !== 'Scaler') || isBinaryHead(u, w, consumers);

/**
 * Whether the chain ends at `cur`: it is a graph output, unused, or read by the classifier head.
 * A tensor that ends the chain and also feeds a layer is a branch.
 */
function atLogits(cur: string, users: NodeObject[], w: Walk, consumers: Map<string, NodeObject[]>, graphOutputs: Set<string>): boolean {
  const head = (u: NodeObject) => isHeadOnly(u, w, consumers);
  if (users.length > 0 && !graphOutputs.has(cur) && !users.some(head)) return false;
  const onward = users.filter((u) => !head(u) && !HEAD_OPS.has(u.op_type ?? ''));
  if (onward.length) throw branchError(cur, users, w, graphOutputs.has(cur));
  return true;
}

function branchError(cur: string, users: NodeObject[], w: Walk, isOutput: boolean): ImportError {
  const merge = users.find(
    (u) => ['Add', 'Sub', 'Mul', 'Div', 'Concat', 'Sum'].includes(u.op_type ?? '') && (u.input ?? []).filter((x) => x && !w.constants.has(x)).length > 1,
  );
  const where = `${w.file}: tensor '${cur}'${w.layers.length ? ` (after layer ${w.layers.length - 1}, ${w.layers.at(-1)!.origin})` : ''}`;
  const uses = `${users.map(describe).join(', ')}${isOutput ? ' and is a graph output' : ''}`;
  if (merge) {
    return new ImportError(
      `${where} feeds ${uses}: ${describe(merge)} combines two computed tensors (${(merge.input ?? []).filter((x) => x && !w.constants.has(x)).join(', ')}) — ` +
        'a residual connection or a branch, which prunekit cannot import: it imports a single chain of layers',
    );
  }
  return new ImportError(`${where} feeds ${uses}: the graph branches here; prunekit imports a single chain of layers (${SUPPORTED})`);
}

/**
 * A two-class head: a Sigmoid on a layer with one output that no further layer reads — PyTorch's
 * binary classifiers, and skl2onnx's, which goes on to concatenate [1 − p, p].
 */
function isBinaryHead(u: NodeObject, w: Walk, consumers: Map<string, NodeObject[]>): boolean {
  if (u.op_type !== 'Sigmoid' || !w.open || w.layers.at(-1)?.outFeatures !== 1) return false;
  return !(consumers.get(u.output?.[0] ?? '') ?? []).some((c) => ['Gemm', 'MatMul', 'BatchNormalization'].includes(c.op_type ?? ''));
}

function constantInput(n: NodeObject, i: number, w: Walk, what: string): Constant {
  const name = n.input?.[i] ?? '';
  const c = w.constants.get(name);
  if (!c)
    throw new ImportError(
      `${w.file}: ${describe(n)}: its ${what} '${name}' is not a constant; prunekit needs weights stored in the file (initializers or Constant nodes)`,
    );
  if (!c.values) throw new ImportError(`${w.file}: ${describe(n)}: its ${what} '${name}' holds strings, expected numbers`);
  return c;
}

function weightInput(n: NodeObject, i: number, w: Walk, what: string): Constant {
  const c = constantInput(n, i, w, what);
  if (!isFloatType(c.dataType))
    throw new ImportError(
      `${w.file}: ${describe(n)}: its ${what} '${n.input![i]}' is ${dtypeName(c.dataType)}; weights must be FLOAT, FLOAT16, BFLOAT16 or DOUBLE (quantized models are not supported)`,
    );
  return c;
}

/** A per-output constant (bias, BatchNormalization parameter): shape [], [1], [n] or [1, n], broadcast to n values. */
function perOutput(c: Constant, n: number, node: NodeObject, what: string, w: Walk): Float64Array {
  const v = c.values!;
  const okShape = c.dims.length <= 1 || (c.dims.length === 2 && c.dims[0] === 1);
  if (okShape && v.length === n) return Float64Array.from(v);
  if (okShape && v.length === 1) return new Float64Array(n).fill(v[0]);
  throw new ImportError(`${w.file}: ${describe(node)}: its ${what} has shape [${c.dims}]; expected one value or one per output (${n})`);
}

function dataIs(n: NodeObject, cur: string, w: Walk, i = 0): void {
  if (n.input?.[i] !== cur)
    throw new ImportError(`${w.file}: ${describe(n)}: expected the data '${cur}' as input ${i}, found it at input ${(n.input ?? []).indexOf(cur)}`);
}

function addLayer(w: Walk, n: NodeObject, weight: Float64Array, inF: number, outF: number, bias: Float64Array, shapeNote: string): void {
  if (w.width !== undefined && w.width !== inF) {
    throw new ImportError(
      `${w.file}: ${describe(n)} takes ${inF} inputs (${shapeNote}) but its input has ${w.width} features` +
        (w.layers.length ? ` (the outputs of layer ${w.layers.length - 1}, ${w.layers.at(-1)!.origin})` : ''),
    );
  }
  w.layers.push({ inFeatures: inF, outFeatures: outF, weight, bias, activation: 'identity', origin: describe(n) });
  w.open = true;
  w.width = outF;
  w.dims = ['N', outF];
}

/** One node on the chain; returns the tensor that carries the data on. */
function step(n: NodeObject, cur: string, w: Walk, opset: number): string {
  const op = n.op_type ?? '';
  const out = n.output?.[0] ?? '';
  const last = w.layers.at(-1);
  const fail = (why: string): never => {
    throw new ImportError(`${w.file}: ${describe(n)}: ${why}`);
  };

  if (isMlDomain(n.domain)) {
    // Scaler: y = (x − offset) · scale
    if (w.layers.length) fail('a Scaler after the first layer cannot be stored; prunekit keeps the input transform before the first layer');
    dataIs(n, cur, w);
    const offset = Float64Array.from(attr(n, 'offset')?.floats ?? [0]);
    const scale = Float64Array.from(attr(n, 'scale')?.floats ?? [1]);
    w.pre.push({ op: 'scaler', offset: offset.length ? offset : Float64Array.of(0), scale: scale.length ? scale : Float64Array.of(1), node: describe(n) });
    return out;
  }
  switch (op) {
    case 'Identity':
      dataIs(n, cur, w);
      return out;
    case 'Dropout': {
      // inference: the identity. A constant training_mode = true would make it random.
      dataIs(n, cur, w);
      const t = n.input?.[2];
      if (t) {
        const c = constantInput(n, 2, w, 'training_mode');
        if (c.values![0]) fail('training_mode is true; prunekit imports inference graphs');
      }
      return out;
    }
    case 'Cast': {
      dataIs(n, cur, w);
      const to = attrInt(n, 'to', 0);
      if (!isFloatType(to)) fail(`casts the data to ${dtypeName(to)}; only casts between float types are no-ops prunekit can drop`);
      if (to === DT.FLOAT16 || to === DT.BFLOAT16) w.notes.push(`${describe(n)} to ${dtypeName(to)} dropped: prunekit computes in f32`);
      return out;
    }
    case 'Flatten': {
      dataIs(n, cur, w);
      const axis = attrInt(n, 'axis', 1);
      if (axis !== 1) fail(`axis ${axis} flattens across the batch; only axis 1 (keep the batch, flatten the features) is supported`);
      w.dims = ['N', w.width ?? null];
      return out;
    }
    case 'Reshape': {
      // to [batch, features]: a no-op on prunekit's flattened rows
      dataIs(n, cur, w);
      const target = reshapeTarget(n, w);
      const [b, f] = target ?? [];
      // the batch: the symbol N, −1, or 0 (copy), unless allowzero = 1 (opset 14+) makes 0 literal
      const batchOk = b === 'N' || b === -1 || (b === 0 && !attrInt(n, 'allowzero', 0));
      const featuresOk = f === -1 ? b !== -1 : typeof f === 'number' && f > 0 && (w.width === undefined || f === w.width);
      if (target?.length !== 2 || !batchOk || !featuresOk) {
        fail(
          `reshapes to [${target ? target.map(String) : 'a shape prunekit cannot evaluate'}]; only [-1, ${w.width ?? 'features'}] or [0, ${w.width ?? 'features'}] ` +
            '(batch × features, a no-op) is supported, given as a constant or computed from Shape(x) with Shape, Gather, Unsqueeze, Squeeze, Concat, Slice, Cast, Mul',
        );
      }
      if (typeof f === 'number' && f > 0) w.width = f;
      w.dims = ['N', w.width ?? null];
      return out;
    }
    case 'Gemm': {
      // Y = α·A'·B' + β·C (A' = A or Aᵀ by transA, B' likewise)
      dataIs(n, cur, w);
      if (attrInt(n, 'transA', 0)) fail('transA = 1 would transpose the batch of samples; supported: the data as input A with transA = 0');
      const B = weightInput(n, 1, w, 'weight B');
      if (B.dims.length !== 2) fail(`its weight B has shape [${B.dims}], expected a matrix`);
      const transB = attrInt(n, 'transB', 0),
        alpha = attrFloat(n, 'alpha', 1),
        beta = attrFloat(n, 'beta', 1);
      const [outF, inF] = transB ? B.dims : [B.dims[1], B.dims[0]];
      const W = transB ? B.values!.map((x) => alpha * x) : transposeScaled(B.values!, inF, outF, alpha);
      const cName = n.input?.[2];
      const bias = cName ? perOutput(weightInput(n, 2, w, 'bias C'), outF, n, 'bias C', w).map((x) => beta * x) : new Float64Array(outF);
      addLayer(w, n, W, inF, outF, bias, `B is [${B.dims}], transB = ${transB}`);
      if (alpha !== 1 || beta !== 1) w.notes.push(`${describe(n)}: α = ${alpha}, β = ${beta} folded into its weights and bias`);
      return out;
    }
    case 'MatMul': {
      // Y = X·B, B [in, out]
      if (n.input?.[1] === cur) fail('multiplies a constant by the data (W·x); supported: the data first (x·W, W [in, out])');
      dataIs(n, cur, w);
      const B = weightInput(n, 1, w, 'weight');
      if (B.dims.length !== 2) fail(`its weight has shape [${B.dims}], expected a matrix [in, out]`);
      const [inF, outF] = B.dims;
      addLayer(w, n, transposeScaled(B.values!, inF, outF, 1), inF, outF, new Float64Array(outF), `weight is [${B.dims}]`);
      return out;
    }
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div': {
      const ins = n.input ?? [];
      const di = ins.indexOf(cur);
      if (ins.length !== 2 || di < 0) fail('expected two inputs, one of them the data');
      const other = ins[1 - di];
      if (!w.constants.has(other)) {
        throw new ImportError(
          `${w.file}: ${describe(n)} combines two computed tensors (${ins.join(', ')}): a residual connection or a branch, which prunekit cannot import; it imports a single chain of layers`,
        );
      }
      if ((op === 'Sub' || op === 'Div') && di !== 0)
        fail(`computes constant ${op === 'Sub' ? '−' : '/'} data; only data ${op === 'Sub' ? '−' : '/'} constant is supported`);
      const c = constantInput(n, 1 - di, w, 'operand');
      // as an addend or a factor: x − k = x + (−k), x / k = x · (1/k)
      const k = c.values!.map((x) => (op === 'Sub' ? -x : op === 'Div' ? 1 / x : x));
      const kind = op === 'Add' || op === 'Sub' ? 'add' : 'mul';
      if (!w.layers.length) {
        w.pre.push({ op: kind, k, node: describe(n) });
      } else if (w.open) {
        // on the layer's outputs: into its bias, or its rows and bias
        const kk = perOutput({ ...c, values: k }, last!.outFeatures, n, 'operand', w);
        if (kind === 'add') for (let o = 0; o < last!.outFeatures; o++) last!.bias[o] += kk[o];
        else scaleRows(last!, kk);
      } else {
        fail(`follows the activation of layer ${w.layers.length - 1}; prunekit layers are act(W·x + b), with nothing between an activation and the next layer`);
      }
      return out;
    }
    case 'BatchNormalization': {
      // y = γ·(z − μ)/√(σ² + ε) + β, folded into z = W·x + b (Ioffe & Szegedy 2015, inference)
      dataIs(n, cur, w);
      if (!w.open)
        fail(
          w.layers.length
            ? `follows the activation of layer ${w.layers.length - 1}; only a BatchNormalization directly after a linear layer can be folded into it`
            : 'comes before the first linear layer; only a BatchNormalization directly after a linear layer can be folded into it',
        );
      if (opset >= 14 && attrInt(n, 'training_mode', 0)) fail('training_mode = 1; prunekit imports inference graphs');
      const nOut = last!.outFeatures;
      const [gamma, beta, mu, variance] = [1, 2, 3, 4].map((i, j) =>
        perOutput(weightInput(n, i, w, ['scale', 'B', 'mean', 'var'][j]), nOut, n, ['scale', 'B', 'mean', 'var'][j], w),
      );
      const eps = attrFloat(n, 'epsilon', 1e-5);
      const s = gamma.map((g, o) => g / Math.sqrt(variance[o] + eps));
      for (let o = 0; o < nOut; o++) last!.bias[o] -= mu[o];
      scaleRows(last!, s);
      for (let o = 0; o < nOut; o++) last!.bias[o] += beta[o];
      w.notes.push(`${describe(n)} folded into layer ${w.layers.length - 1}: W' = s·W, b' = s·(b − μ) + β, s = γ/√(σ² + ε)`);
      return out;
    }
    case 'Relu':
    case 'Tanh':
    case 'Sigmoid': {
      dataIs(n, cur, w);
      if (!w.layers.length) fail('an activation before the first linear layer cannot be imported');
      if (!w.open)
        fail(
          `a second activation after layer ${w.layers.length - 1} (${last!.origin}, already ${last!.activation}); prunekit applies one activation per layer`,
        );
      last!.activation = ACTIVATIONS[op];
      w.open = false;
      return out;
    }
  }
  return fail(`not supported here. prunekit imports MLPs: ${SUPPORTED}`);
}

/** A Reshape's target shape: a constant, or evaluated from the shape arithmetic that computes it (./shape.ts). */
function reshapeTarget(n: NodeObject, w: Walk): Dim[] | null {
  const name = n.input?.[1] ?? '';
  const c = w.constants.get(name);
  if (c) return c.values ? Array.from(c.values) : null;
  const used = new Set<NodeObject>();
  const v = evalShape(name, {
    producer: (t) => w.producers.get(t),
    constant: (t) => w.constants.get(t),
    dataShape: (t) => (t === n.input?.[0] ? w.dims : undefined),
    used,
  });
  for (const u of used) w.shapeNodes.add(u);
  return v;
}

/** B [rows × cols] → α·Bᵀ [cols × rows]. */
function transposeScaled(b: Float64Array, rows: number, cols: number, alpha: number): Float64Array {
  const t = new Float64Array(b.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = alpha * b[r * cols + c];
  return t;
}

/** Multiplies output o of a layer (row o of W and b[o]) by k[o]. */
function scaleRows(l: ImportedLayer, k: Float64Array): void {
  for (let o = 0; o < l.outFeatures; o++) {
    for (let i = 0; i < l.inFeatures; i++) l.weight[o * l.inFeatures + i] *= k[o];
    l.bias[o] *= k[o];
  }
}

/**
 * The input transform as prunekit stores it. The steps compose to x' = a·x + c per feature
 * (Scaler: (x − offset)·scale); prunekit's x' = (x − mean)/scale, so scale = 1/a, mean = −c/a.
 */
function resolvePre(w: Walk): [Float64Array | null, Float64Array | null] {
  if (!w.pre.length) return [null, null];
  const F = w.layers[0].inFeatures;
  const a = new Float64Array(F).fill(1),
    c = new Float64Array(F);
  const wide = (v: Float64Array, node: string, what: string) => {
    if (v.length === F) return v;
    if (v.length === 1) return new Float64Array(F).fill(v[0]);
    throw new ImportError(`${w.file}: ${node}: its ${what} has ${v.length} values; the first layer takes ${F} features (expected 1 or ${F})`);
  };
  for (const p of w.pre) {
    if (p.op === 'add') {
      const k = wide(p.k, p.node, 'operand');
      for (let j = 0; j < F; j++) c[j] += k[j];
    } else if (p.op === 'mul') {
      const k = wide(p.k, p.node, 'operand');
      for (let j = 0; j < F; j++) {
        a[j] *= k[j];
        c[j] *= k[j];
      }
    } else if (p.op === 'scaler') {
      const off = wide(p.offset, p.node, 'offset'),
        s = wide(p.scale, p.node, 'scale');
      for (let j = 0; j < F; j++) {
        c[j] = (c[j] - off[j]) * s[j];
        a[j] *= s[j];
      }
    }
  }
  for (let j = 0; j < F; j++) {
    if (a[j] === 0 || !Number.isFinite(a[j]) || !Number.isFinite(c[j])) {
      throw new ImportError(
        `${w.file}: the input transform (${w.pre.map((p) => p.node).join(', ')}) maps feature ${j} to ${a[j]}·x + ${c[j]}; it must scale every feature by a finite non-zero factor`,
      );
    }
  }
  const mean = c.map((cj, j) => -cj / a[j]);
  const scale = a.map((aj) => 1 / aj);
  w.notes.push(`input transform (${w.pre.map((p) => p.node).join(', ')}) stored as the model's standardisation (x − mean)/scale`);
  return [mean, scale];
}
