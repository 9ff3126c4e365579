/**
 * The MLP as plain data: what training produces, pruning edits, compaction stores.
 * Weights are row-major `out × in` (`y = W x + b`). A pruned layer keeps its full-shape `weight`
 * plus a `mask` (1 keep, 0 pruned; P_cut = P ⊙ M); pruned weights are exactly 0 in `weight`.
 * Compaction (dropping dead neurons, CSR) is a separate, explicit step (src/compact).
 */
import type { ActName } from '../kernels/types.js';
import type { SplitDataset } from '../data/types.js';
import { Rng } from '../util/rng.js';
import { cloneHistory, type TrainingHistory } from './history.js';
import { assertNetworkFits } from './budget.js';
import { countNonzero } from '../util/stats.js';

export type { ActName };

export interface Layer {
  inFeatures: number;
  outFeatures: number;
  /** out × in, row-major. */
  weight: Float32Array;
  bias: Float32Array;
  /** Same length as weight; 1 = kept, 0 = pruned. Absent: nothing pruned. */
  mask?: Uint8Array;
  /** Activation after this layer; the last layer is 'identity' (softmax lives in the loss). */
  activation: ActName;
}

/** Preprocessing fitted on the training split and stored with the model. */
export interface Preprocessing {
  /** x' = (x − mean) / scale per feature; null when inputs are used as they are. */
  mean: Float32Array | null;
  scale: Float32Array | null;
  featureNames: string[];
  labelNames: string[];
}

export interface MLP {
  layers: Layer[];
  preprocessing: Preprocessing;
  /** Free-form provenance: data source, training config, pruning steps. Stored in the file's metadata. */
  provenance: Record<string, unknown>;
  /** The training trajectory some criteria and schedules need (range, movement, w₀, rewind point); see history.ts. */
  history?: TrainingHistory;
}

export interface InitOptions {
  /** Layer widths including input and output, e.g. [784, 300, 100, 10]. */
  sizes: number[];
  activation: ActName;
  seed: number;
  /** 'auto': He for relu, Glorot otherwise. */
  init?: 'auto' | 'he' | 'glorot';
  /**
   * Refuse sizes that could not be trained in wasm memory even one sample at a time (default true);
   * false for a caller that checks what its own use allocates, as the inference bench does.
   */
  budgetCheck?: boolean;
}

/** Hidden widths only: the input and output sizes and the preprocessing come from the data. */
export interface FromDataOptions {
  /** Hidden layer widths, e.g. [10, 10]; [] for a linear softmax model. */
  hidden: number[];
  /** Default 'relu'. */
  activation?: ActName;
  /** Default 1. */
  seed?: number;
  init?: InitOptions['init'];
}

/**
 * A fresh MLP. Glorot/Xavier uniform (Glorot & Bengio 2010): U(±√(6/(in+out))), for tanh,
 * logistic, identity; He normal (He et al. 2015): N(0, 2/in), for ReLU. Biases start at 0.
 *
 *   createMLP({ hidden: [10, 10] }, data)   // sizes [features, 10, 10, classes], data's standardisation and names
 *   createMLP({ sizes: [4, 10, 10, 3], activation: 'relu', seed: 1 }, preprocessing?)
 */
export function createMLP(opts: FromDataOptions, data: SplitDataset): MLP;
export function createMLP(opts: InitOptions, preprocessing?: Preprocessing): MLP;
export function createMLP(opts: InitOptions | FromDataOptions, second?: Preprocessing | SplitDataset): MLP {
  if ('hidden' in opts) {
    const data = second as SplitDataset | undefined;
    if (!data?.train) throw new TypeError('createMLP({ hidden }, data): data must be a dataset from loadData (with a train split)');
    const { train } = data;
    return createMLP(
      { sizes: [train.nFeatures, ...opts.hidden, train.labelNames.length], activation: opts.activation ?? 'relu', seed: opts.seed ?? 1, init: opts.init },
      { mean: data.mean, scale: data.scale, featureNames: [...train.featureNames], labelNames: [...train.labelNames] },
    );
  }
  const preprocessing = second as Preprocessing | undefined;
  const { sizes, activation, seed } = opts;
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`createMLP: layer sizes must be ≥ 2 positive integers, got [${sizes.join(', ')}]`);
  }
  // Refuse before filling gigabytes: a model that cannot be trained or run in wasm memory even one sample at a time.
  if (opts.budgetCheck !== false) assertNetworkFits({ sizes, batch: 1, masks: false }, 'createMLP');
  const rng = new Rng(seed);
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const inn = sizes[i],
      out = sizes[i + 1];
    const isLast = i + 2 === sizes.length;
    const scheme = opts.init && opts.init !== 'auto' ? opts.init : activation === 'relu' ? 'he' : 'glorot';
    const weight = new Float32Array(out * inn);
    if (scheme === 'he') {
      const std = Math.sqrt(2 / inn);
      for (let j = 0; j < weight.length; j++) weight[j] = rng.normal() * std;
    } else {
      const limit = Math.sqrt(6 / (inn + out));
      for (let j = 0; j < weight.length; j++) weight[j] = rng.uniform(-limit, limit);
    }
    layers.push({ inFeatures: inn, outFeatures: out, weight, bias: new Float32Array(out), activation: isLast ? 'identity' : activation });
  }
  return {
    layers,
    preprocessing: preprocessing ?? { mean: null, scale: null, featureNames: [], labelNames: Array.from({ length: sizes.at(-1)! }, (_, i) => String(i)) },
    provenance: {},
  };
}

/** Deep copy (weights, masks and all). */
export function cloneMLP(m: MLP): MLP {
  return {
    layers: m.layers.map((l) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice(), mask: l.mask?.slice() })),
    preprocessing: { ...m.preprocessing, mean: m.preprocessing.mean?.slice() ?? null, scale: m.preprocessing.scale?.slice() ?? null },
    provenance: structuredClone(m.provenance),
    history: m.history && cloneHistory(m.history),
  };
}

/** Layer widths including input: [in, h1, …, out]. */
export function layerSizes(m: MLP): number[] {
  return [m.layers[0].inFeatures, ...m.layers.map((l) => l.outFeatures)];
}

/** Fraction of weights that are zero in each layer and overall (masked or not). */
export function sparsityOf(m: MLP): { layers: number[]; total: number } {
  let zeros = 0,
    total = 0;
  const layers = m.layers.map((l) => {
    const z = l.weight.length - countNonzero(l.weight);
    zeros += z;
    total += l.weight.length;
    return l.weight.length ? z / l.weight.length : 0;
  });
  return { layers, total: total ? zeros / total : 0 };
}
