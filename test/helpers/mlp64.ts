/**
 * An independent float64 MLP for checking the pruning math: forward pass, softmax cross-entropy and
 * the per-sample backward pass written out by hand (no kernels, no Network). Its gradients are
 * themselves checked against finite differences in test/prune-history.test.ts.
 */
import type { ActName } from '../../src/kernels/types.js';
import type { MLP } from '../../src/nn/model.js';

const act: Record<ActName, (z: number) => number> = {
  identity: (z) => z,
  relu: (z) => Math.max(0, z),
  tanh: Math.tanh,
  logistic: (z) => 1 / (1 + Math.exp(-z)),
};
/** act'(z) written in terms of the output a = act(z). */
const dact: Record<ActName, (a: number) => number> = {
  identity: () => 1,
  relu: (a) => (a > 0 ? 1 : 0),
  tanh: (a) => 1 - a * a,
  logistic: (a) => a * (1 - a),
};

/** Weights and biases as float64 arrays, layer by layer. */
export interface Params64 {
  W: Float64Array[];
  b: Float64Array[];
}

export function params64(m: MLP): Params64 {
  return { W: m.layers.map((L) => Float64Array.from(L.weight)), b: m.layers.map((L) => Float64Array.from(L.bias)) };
}

/** One sample's loss −log softmax(z)_y and its gradients ∂ℓ/∂W, ∂ℓ/∂b. */
export function sampleGrad64(m: MLP, p: Params64, x: ArrayLike<number>, y: number): { loss: number; gW: Float64Array[]; gb: Float64Array[] } {
  const acts: number[][] = [Array.from(x)];
  m.layers.forEach((L, l) => {
    const a = acts[l],
      out: number[] = [];
    for (let r = 0; r < L.outFeatures; r++) {
      let z = p.b[l][r];
      for (let c = 0; c < L.inFeatures; c++) z += p.W[l][r * L.inFeatures + c] * a[c];
      out.push(act[L.activation](z));
    }
    acts.push(out);
  });
  const logits = acts.at(-1)!;
  const max = Math.max(...logits);
  const lse = Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
  let dz = logits.map((v, c) => Math.exp(v - lse) - (c === y ? 1 : 0));
  const gW = m.layers.map((L) => new Float64Array(L.weight.length));
  const gb = m.layers.map((L) => new Float64Array(L.bias.length));
  for (let l = m.layers.length - 1; l >= 0; l--) {
    const L = m.layers[l],
      a = acts[l];
    for (let r = 0; r < L.outFeatures; r++) {
      gb[l][r] = dz[r];
      for (let c = 0; c < L.inFeatures; c++) gW[l][r * L.inFeatures + c] = dz[r] * a[c];
    }
    if (l > 0) {
      const prev = m.layers[l - 1];
      dz = a.map((ac, c) => {
        let s = 0;
        for (let r = 0; r < L.outFeatures; r++) s += p.W[l][r * L.inFeatures + c] * dz[r];
        return s * dact[prev.activation](ac);
      });
    }
  }
  return { loss: lse - logits[y], gW, gb };
}

/** Mean loss and mean gradients over `rows` of a row-major dataset. */
export function batchGrad64(
  m: MLP,
  p: Params64,
  features: Float32Array,
  labels: Int32Array,
  rows: number[],
): { loss: number; gW: Float64Array[]; gb: Float64Array[] } {
  const F = m.layers[0].inFeatures;
  const gW = m.layers.map((L) => new Float64Array(L.weight.length));
  const gb = m.layers.map((L) => new Float64Array(L.bias.length));
  let loss = 0;
  for (const n of rows) {
    const s = sampleGrad64(m, p, features.subarray(n * F, (n + 1) * F), labels[n]);
    loss += s.loss / rows.length;
    s.gW.forEach((g, l) => g.forEach((v, j) => (gW[l][j] += v / rows.length)));
    s.gb.forEach((g, l) => g.forEach((v, j) => (gb[l][j] += v / rows.length)));
  }
  return { loss, gW, gb };
}
