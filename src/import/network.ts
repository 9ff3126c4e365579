/**
 * What every importer produces before it becomes a prunekit MLP: a chain of dense layers in float64
 * (so that folding BatchNormalization or Gemm's α/β into them rounds once, at the end), the input
 * transform x' = (x − mean) / scale, class labels if the source names them, and notes on what
 * was folded or dropped. `toMLP` checks the chain and rounds to the f32 training model.
 */
import type { ActName, Layer, MLP } from '../nn/model.js';
import { ImportError } from './errors.js';

export interface ImportedLayer {
  inFeatures: number;
  outFeatures: number;
  /** out × in, row-major (y = W x + b), as prunekit stores it. */
  weight: Float64Array;
  bias: Float64Array;
  activation: ActName;
  /** 1 kept, 0 pruned (a state dict pruned with torch.nn.utils.prune); pruned weights are 0. */
  mask?: Uint8Array;
  /** Where it came from, for messages: a node name or a tensor prefix. */
  origin: string;
}

export interface ImportedNetwork {
  layers: ImportedLayer[];
  /** x' = (x − mean) / scale per input feature; null: inputs are used as they are. */
  mean: Float64Array | null;
  scale: Float64Array | null;
  /** Class labels found in the source (a classifier head), or null. */
  labels: string[] | null;
  /** Input feature names found in the source (`prunekit export` writes them), or null. */
  features?: string[] | null;
  /** Human-readable notes: what was folded, dropped or converted. */
  notes: string[];
  /** Facts about the source for the provenance (producer, opset, …). */
  source: Record<string, unknown>;
}

export interface ToMlpOptions {
  /** Where the network came from, for messages. */
  file: string;
  /** --labels: used when the source names no classes; must agree when it does. */
  labels?: string[];
}

/** Rounds to f32; a value that is not finite there (NaN, ±Inf, or beyond f32's range) is an error. */
function toF32(values: Float64Array, what: string, file: string): Float32Array {
  const out = Float32Array.from(values);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new ImportError(
        `${file}: ${what} holds ${values[i]} at index ${i}${Number.isFinite(values[i]) ? ' (beyond the f32 range)' : ''}; weights must be finite`,
      );
    }
  }
  return out;
}

export function toMLP(net: ImportedNetwork, opts: ToMlpOptions): MLP {
  const { file } = opts;
  const L = net.layers;
  if (L.length === 0) throw new ImportError(`${file}: no linear layer found`);
  L.forEach((l, i) => {
    if (l.weight.length !== l.inFeatures * l.outFeatures || l.bias.length !== l.outFeatures) {
      throw new ImportError(
        `${file}: layer ${i} (${l.origin}) has ${l.weight.length} weights and ${l.bias.length} biases for ${l.outFeatures}×${l.inFeatures}`,
      );
    }
    if (i > 0 && l.inFeatures !== L[i - 1].outFeatures) {
      throw new ImportError(
        `${file}: layer ${i} (${l.origin}) takes ${l.inFeatures} inputs but layer ${i - 1} (${L[i - 1].origin}) gives ${L[i - 1].outFeatures}`,
      );
    }
  });
  if (L.at(-1)!.activation !== 'identity') {
    throw new ImportError(
      `${file}: the last layer (${L.at(-1)!.origin}) is followed by ${L.at(-1)!.activation}; prunekit's last layer gives logits (no activation; softmax is applied by the loss)`,
    );
  }
  const nOut = L.at(-1)!.outFeatures;
  const nIn = L[0].inFeatures;
  let labels = net.labels;
  if (labels && labels.length !== nOut)
    throw new ImportError(`${file}: the classifier names ${labels.length} classes (${labels.join(', ')}) but the last layer has ${nOut} outputs`);
  if (opts.labels) {
    if (opts.labels.length !== nOut) throw new ImportError(`${file}: --labels gives ${opts.labels.length} labels, the model has ${nOut} outputs`);
    if (labels?.some((x, i) => x !== opts.labels![i])) {
      throw new ImportError(`${file}: the model names its classes (${labels.join(', ')}); --labels gives (${opts.labels.join(', ')})`);
    }
    labels = opts.labels;
  }
  const features = net.features ?? null;
  if (features && features.length !== nIn) throw new ImportError(`${file}: the model names ${features.length} input features but the first layer takes ${nIn}`);
  if ((net.mean && net.mean.length !== nIn) || (net.scale && net.scale.length !== nIn)) {
    throw new ImportError(`${file}: the input transform has ${net.mean?.length ?? net.scale?.length} features, the first layer takes ${nIn}`);
  }
  const layers: Layer[] = L.map((l, i) => ({
    inFeatures: l.inFeatures,
    outFeatures: l.outFeatures,
    activation: l.activation,
    weight: toF32(l.weight, `layer ${i} (${l.origin}) weight`, file),
    bias: toF32(l.bias, `layer ${i} (${l.origin}) bias`, file),
    ...(l.mask ? { mask: l.mask } : {}),
  }));
  const mean = net.mean ? toF32(net.mean, 'the input offset', file) : null;
  const scale = net.scale ? toF32(net.scale, 'the input scale', file) : null;
  if (scale) {
    for (let j = 0; j < scale.length; j++) if (scale[j] === 0) throw new ImportError(`${file}: the input scale of feature ${j} is 0`);
  }
  return {
    layers,
    preprocessing: {
      mean: mean ?? (scale ? new Float32Array(nIn) : null),
      scale: scale ?? (mean ? new Float32Array(nIn).fill(1) : null),
      featureNames: features ?? [],
      labelNames: labels ?? Array.from({ length: nOut }, (_, i) => String(i)),
    },
    provenance: {},
  };
}
