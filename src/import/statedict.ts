/**
 * A safetensors state dict (what `safetensors.torch.save_file(model.state_dict())` writes) → a
 * chain of dense layers.
 *
 * - Each layer is a pair `{prefix}.weight` + `{prefix}.bias` (`{prefix}.kernel` is read as the
 *   weight too, Keras' name). The weight is `[out, in]` (PyTorch's nn.Linear), or `[in, out]` with
 *   layout 'in-out' (Keras kernels, scikit-learn's `coefs_`).
 * - A layer pruned with torch.nn.utils.prune stores `{prefix}.weight_orig` and `{prefix}.weight_mask`
 *   instead of the weight: the weight is orig ⊙ mask, and the mask becomes the layer's prunekit mask.
 * - Layers are ordered by their prefixes compared naturally (`0` < `2` < `10`, `fc1` < `fc2` <
 *   `fc10`); if that order does not chain by shape (out of one = in of the next) but exactly one
 *   order does, that order is used.
 * - A state dict records no activations: they are given (one for all hidden layers, or one each).
 * - Any other tensor (BatchNorm statistics, embeddings…), a weight without a bias, or layers that
 *   do not chain are refused, naming the tensors.
 */
import { decodeSafetensors, FormatError, type Tensor } from '../util/safetensors.js';
import type { ActName } from '../nn/model.js';
import { ImportError } from './errors.js';
import type { ImportedLayer, ImportedNetwork } from './network.js';
import { bf16BitsToF64, f16BitsToF64 } from './values.js';

export type WeightLayout = 'out-in' | 'in-out';

export interface StateDictOptions {
  /** For messages. */
  file: string;
  layout?: WeightLayout;
  /** One activation for every hidden layer, or one per hidden layer. */
  activations?: ActName[];
}

/** Compares strings with their digit runs as numbers: "fc2" < "fc10", "layers.2" < "layers.10". */
export function naturalCompare(a: string, b: string): number {
  const split = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = split(a),
    y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const dx = /^\d/.test(x[i]),
      dy = /^\d/.test(y[i]);
    if (dx && dy && Number(x[i]) !== Number(y[i])) return Number(x[i]) - Number(y[i]);
    if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

function values(name: string, t: Tensor, file: string): Float64Array {
  switch (t.dtype) {
    case 'F64':
      return Float64Array.from(t.data as Float64Array);
    case 'F32':
      return Float64Array.from(t.data as Float32Array);
    case 'F16':
      return f16BitsToF64(t.data as Uint16Array);
    case 'BF16':
      return bf16BitsToF64(t.data as Uint16Array);
    default:
      throw new ImportError(`${file}: tensor '${name}' is ${t.dtype}; weights must be F32, F16, BF16 or F64`);
  }
}

interface Pair {
  prefix: string;
  weightName: string;
  biasName: string;
  maskName?: string;
  inF: number;
  outF: number;
}

/** The one order in which the layers chain by shape, or null (none, or more than one). */
function chainByShape(pairs: Pair[]): Pair[] | null {
  const orders: Pair[][] = [];
  const extend = (chain: Pair[], left: Pair[]) => {
    if (orders.length > 1) return;
    if (left.length === 0) {
      orders.push(chain);
      return;
    }
    for (const p of left) {
      if (chain.length === 0 || chain.at(-1)!.outF === p.inF)
        extend(
          [...chain, p],
          left.filter((q) => q !== p),
        );
    }
  };
  if (pairs.length <= 8) extend([], pairs); // a brute-force search; state dicts of MLPs are short
  return orders.length === 1 ? orders[0] : null;
}

export function readStateDict(bytes: Uint8Array, opts: StateDictOptions): ImportedNetwork {
  const { file } = opts;
  const layout = opts.layout ?? 'out-in';
  let tensors: Map<string, Tensor>;
  let metadata: Record<string, string>;
  try {
    ({ tensors, metadata } = decodeSafetensors(bytes, { requireAligned: false }));
  } catch (e) {
    if (e instanceof FormatError) throw new ImportError(`${file}: ${e.message}`);
    throw e;
  }
  if (metadata.format === 'prunekit') throw new ImportError(`${file}: this is already a prunekit model file; use it directly`);
  if (tensors.size === 0) throw new ImportError(`${file}: the state dict holds no tensors`);

  // group `{prefix}.weight|kernel` (or `.weight_orig` + `.weight_mask`) with `{prefix}.bias`
  type Role = 'weight' | 'orig' | 'mask' | 'bias';
  const ROLE: Record<string, Role> = { weight: 'weight', kernel: 'weight', weight_orig: 'orig', weight_mask: 'mask', bias: 'bias' };
  const groups = new Map<string, Partial<Record<Role, string>>>();
  const extra: string[] = [];
  for (const name of tensors.keys()) {
    const m = /^(?:(.*)\.)?(weight|kernel|weight_orig|weight_mask|bias)$/.exec(name);
    if (!m) {
      extra.push(name);
      continue;
    }
    const prefix = m[1] ?? '',
      role = ROLE[m[2]];
    const g = groups.get(prefix) ?? {};
    if (g[role]) throw new ImportError(`${file}: tensors '${g[role]}' and '${name}' are both the ${role} of layer '${prefix}'`);
    g[role] = name;
    groups.set(prefix, g);
  }
  if (extra.length) {
    throw new ImportError(
      `${file}: tensors ${extra.map((n) => `'${n}'`).join(', ')} are not part of a linear layer (expected only {prefix}.weight and {prefix}.bias pairs; a state dict with BatchNorm statistics, embeddings or other modules is not an MLP prunekit can import)`,
    );
  }
  const pairs: Pair[] = [];
  for (const [prefix, g] of groups) {
    const dot = prefix ? prefix + '.' : '';
    if (g.weight && g.orig) throw new ImportError(`${file}: layer '${prefix}' has both '${g.weight}' and '${g.orig}'`);
    if (g.orig && !g.mask) throw new ImportError(`${file}: tensor '${g.orig}' has no matching mask '${dot}weight_mask'`);
    const weightName = g.weight ?? g.orig;
    if (!weightName) throw new ImportError(`${file}: tensor '${g.bias ?? g.mask}' has no matching weight '${dot}weight'`);
    if (!g.bias) throw new ImportError(`${file}: tensor '${weightName}' has no matching bias '${dot}bias' (every layer needs one)`);
    const w = tensors.get(weightName)!,
      b = tensors.get(g.bias)!;
    if (w.shape.length !== 2)
      throw new ImportError(`${file}: tensor '${weightName}' has shape [${w.shape}], expected a matrix ${layout === 'out-in' ? '[out, in]' : '[in, out]'}`);
    if (g.mask && tensors.get(g.mask)!.shape.join() !== w.shape.join()) {
      throw new ImportError(`${file}: tensor '${g.mask}' has shape [${tensors.get(g.mask)!.shape}], its weight '${weightName}' [${w.shape}]`);
    }
    const [outF, inF] = layout === 'out-in' ? w.shape : [w.shape[1], w.shape[0]];
    if (b.shape.length !== 1 || b.shape[0] !== outF) {
      throw new ImportError(
        `${file}: tensor '${g.bias}' has shape [${b.shape}], expected [${outF}] (the outputs of '${weightName}' ${layout === 'out-in' ? '[out, in]' : '[in, out]'} = [${w.shape}])` +
          (b.shape.length === 1 && b.shape[0] === w.shape[1] && w.shape[0] !== w.shape[1]
            ? `; the weights look like ${layout === 'out-in' ? 'in-out' : 'out-in'}: try --layout ${layout === 'out-in' ? 'in-out' : 'out-in'}`
            : ''),
      );
    }
    if (inF < 1 || outF < 1) throw new ImportError(`${file}: tensor '${weightName}' has an empty shape [${w.shape}]`);
    pairs.push({ prefix, weightName, biasName: g.bias, maskName: g.mask, inF, outF });
  }
  pairs.sort((a, b) => naturalCompare(a.prefix, b.prefix));
  const breakAt = pairs.findIndex((p, i) => i > 0 && pairs[i - 1].outF !== p.inF);
  let order = pairs;
  let note: string | null = null;
  if (breakAt >= 0) {
    const byShape = chainByShape(pairs);
    if (!byShape) {
      const a = pairs[breakAt - 1],
        b = pairs[breakAt];
      throw new ImportError(
        `${file}: the layers do not chain: '${a.weightName}' gives ${a.outF} outputs but the next layer '${b.weightName}' takes ${b.inF} inputs ` +
          `(layout ${layout}; order by the numbers in the names: ${pairs.map((p) => p.prefix).join(', ')})`,
      );
    }
    order = byShape;
    note = `layers ordered by shape (${order.map((p) => p.prefix).join(' → ')}): the order of their names does not chain`;
  }

  const acts = opts.activations ?? [];
  const nHidden = order.length - 1;
  if (nHidden > 0 && acts.length === 0)
    throw new ImportError(
      `${file}: a state dict records no activation functions; give one (--activation relu|tanh|logistic|identity) or one per hidden layer (${nHidden})`,
    );
  if (acts.length > 1 && acts.length !== nHidden) throw new ImportError(`${file}: ${acts.length} activations given for ${nHidden} hidden layers`);

  const toOutIn = (v: Float64Array, p: Pair): Float64Array => {
    // [in, out] → [out, in]
    if (layout === 'out-in') return v;
    const t = new Float64Array(v.length);
    for (let r = 0; r < p.inF; r++) for (let c = 0; c < p.outF; c++) t[c * p.inF + r] = v[r * p.outF + c];
    return t;
  };
  const layers: ImportedLayer[] = order.map((p, i) => {
    const weight = toOutIn(values(p.weightName, tensors.get(p.weightName)!, file), p);
    const bias = values(p.biasName, tensors.get(p.biasName)!, file);
    const activation: ActName = i === nHidden ? 'identity' : acts.length === 1 ? acts[0] : acts[i];
    const layer: ImportedLayer = { inFeatures: p.inF, outFeatures: p.outF, weight, bias, activation, origin: p.prefix || '(no prefix)' };
    if (p.maskName) {
      // torch.nn.utils.prune: weight = weight_orig ⊙ weight_mask
      const m = toOutIn(values(p.maskName, tensors.get(p.maskName)!, file), p);
      layer.mask = new Uint8Array(m.length);
      for (let j = 0; j < m.length; j++) {
        if (m[j] !== 0 && m[j] !== 1) throw new ImportError(`${file}: tensor '${p.maskName}' holds ${m[j]}, expected 0 or 1`);
        layer.mask[j] = m[j];
        if (!m[j]) weight[j] = 0;
      }
    }
    return layer;
  });
  const dtypes = [...new Set([...tensors.values()].map((t) => t.dtype))];
  return {
    layers,
    mean: null,
    scale: null,
    labels: null,
    notes: [
      ...(note ? [note] : []),
      ...(order.some((p) => p.maskName) ? ['weight_orig ⊙ weight_mask (torch.nn.utils.prune) imported as masked weights'] : []),
      ...(dtypes.some((d) => d !== 'F32') ? [`${dtypes.join('/')} tensors converted to f32`] : []),
    ],
    source: { tensors: [...tensors.keys()], layout, dtypes },
  };
}
