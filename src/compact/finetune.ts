/**
 * Fine-tuning the shared weights of k-means weight sharing (Deep Compression, Han, Mao & Dally,
 * ICLR 2016, §3.3). Each layer's nonzero weights are clustered into ≤ 2^bits centroids c_k
 * (kmeans.ts); the weights then are W_j = c_{a(j)}, so by the chain rule the gradient of a centroid
 * is the sum of the gradients of the weights that share it:
 *   ∂L/∂c_k = Σ_{j : a(j) = k} ∂L/∂W_j
 * and SGD updates the centroids (and the biases) with it, the assignments a fixed. Pruned weights
 * stay 0. The result is an MLP whose nonzero weights take at most 2^bits values per layer, so
 * `compact --values kmeans:bits` stores it without further loss.
 */
import type { Dataset } from '../data/types.js';
import { viewF32 } from '../kernels/checked.js';
import type { Kernels } from '../kernels/types.js';
import { cloneMLP, type MLP } from '../nn/model.js';
import { Network } from '../nn/network.js';
import { defaultKernels } from '../nn/train.js';
import { Rng } from '../util/rng.js';
import { kmeansQuantize } from './kmeans.js';

export interface CentroidFineTuneOptions {
  /** Bits per code: ≤ 2^bits centroids per layer (1…8). */
  bits: number;
  epochs: number;
  /** Step size for the summed centroid gradients (default 0.001: a centroid's gradient sums many weights'). */
  lr?: number;
  batchSize?: number;
  seed?: number;
  kernels?: Kernels;
  /** After each epoch: its mean training loss. */
  onEpoch?: (epoch: number, loss: number) => void;
}

interface SharedLayer {
  /** Positions of the nonzero weights and the centroid each one shares. */
  positions: Uint32Array;
  assign: Uint8Array;
  centroids: Float64Array;
}

function share(weight: Float32Array, bits: number): SharedLayer {
  const positions = Uint32Array.from({ length: weight.length }, (_, j) => j).filter((j) => weight[j] !== 0);
  const { codebook, codes } = kmeansQuantize(
    Float32Array.from(positions, (j) => weight[j]),
    bits,
  );
  return { positions, assign: codes, centroids: Float64Array.from(codebook) };
}

/** The weights as the shared centroids give them (f32, as the file will store them). */
function writeShared(target: Float32Array, s: SharedLayer): void {
  for (let n = 0; n < s.positions.length; n++) target[s.positions[n]] = Math.fround(s.centroids[s.assign[n]]);
}

/** Quantizes every layer to ≤ 2^bits shared values and fine-tunes them on `train`; the input model is not changed. */
export function fineTuneCentroids(model: MLP, train: Dataset, opts: CentroidFineTuneOptions): { model: MLP; losses: number[] } {
  const { bits, epochs } = opts;
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`fine-tune: epochs must be a whole number ≥ 0, got ${epochs}`);
  const lr = opts.lr ?? 0.001;
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`fine-tune: learning rate must be > 0, got ${lr}`);
  if (train.nFeatures !== model.layers[0].inFeatures)
    throw new RangeError(`fine-tune: the data (${train.source}) has ${train.nFeatures} features, the model expects ${model.layers[0].inFeatures}`);
  const out = cloneMLP(model);
  const shared = out.layers.map((l) => share(l.weight, bits));
  out.layers.forEach((l, i) => writeShared(l.weight, shared[i]));
  const losses: number[] = [];
  if (epochs === 0 || train.nSamples === 0) return { model: out, losses };
  const k = opts.kernels ?? defaultKernels();
  const B = Math.max(1, Math.min(opts.batchSize ?? 64, train.nSamples));
  const mark = k.heapTop();
  try {
    const net = new Network(k, out, B);
    const rng = new Rng(opts.seed ?? 0);
    const order = Int32Array.from({ length: train.nSamples }, (_, i) => i);
    for (let e = 0; e < epochs; e++) {
      rng.shuffle(order);
      let lossSum = 0,
        seen = 0;
      for (let start = 0; start + B <= train.nSamples; start += B) {
        const rows = order.subarray(start, start + B);
        net.setInput(train.features, train.nFeatures, rows, B);
        net.forward(B);
        lossSum += net.lossAndGrad(train.labels, rows, B, true).lossSum;
        seen += B;
        net.backward(B);
        shared.forEach((s, i) => {
          // read at the kept positions only: on the dense path the kernel's dW itself (a view),
          // not weightGrad's masked copy of the whole matrix, made anew every step
          const at = net.gradientAt(i);
          const g = at.positions ? net.weightGrad(i) : at.grads;
          const grad = new Float64Array(s.centroids.length);
          for (let n = 0; n < s.positions.length; n++) grad[s.assign[n]] += g[s.positions[n]]; // ∂L/∂c_k = Σ_{a(j)=k} ∂L/∂W_j
          for (let c = 0; c < grad.length; c++) s.centroids[c] -= lr * grad[c];
          const b = viewF32(k, net.layers[i].b),
            db = viewF32(k, net.layers[i].db);
          for (let r = 0; r < b.length; r++) b[r] -= lr * db[r];
          writeShared(net.weightView(i), s);
        });
      }
      const loss = lossSum / Math.max(1, seen);
      if (!Number.isFinite(loss)) throw new RangeError(`fine-tune: the loss became ${loss} in epoch ${e + 1}; try a smaller learning rate`);
      losses.push(loss);
      opts.onEpoch?.(e + 1, loss);
    }
    net.syncToModel();
  } finally {
    k.reset(mark);
  }
  out.layers.forEach((l, i) => writeShared(l.weight, shared[i]));
  return { model: out, losses };
}
