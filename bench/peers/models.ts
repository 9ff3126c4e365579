/**
 * The weights every engine runs: LeNet-300-100 (784-300-100-10, ReLU) by default, or any chain of
 * layer sizes (--layers), He-initialised from a seed, then magnitude-pruned per layer (the |w|
 * smallest fraction of each layer set to 0, as in Han et al. 2015), plus the trained-and-pruned
 * demo model when its file exists (LeNet shape only).
 */
import { existsSync } from 'node:fs';
import type { CsrArrays } from '../../src/kernels/checked.js';
import { createMLP, type MLP } from '../../src/nn/model.js';
import { loadModel } from '../../src/nn/io.js';
import { Rng } from '../../src/util/rng.js';
import { denseToCsr } from '../../src/sparse/csr.js';

export const LENET = [784, 300, 100, 10];
export const SPARSITIES = [0, 0.5, 0.8, 0.9, 0.95, 0.98];
export const DEMO_MODEL = 'report/model-pruned.safetensors';

export interface BenchModel {
  /** 'lenet-random', 'random-A-B-…' (another shape) or 'demo'. */
  source: string;
  /** Target per-layer sparsity (demo: its measured overall sparsity). */
  sparsity: number;
  model: MLP;
}

/**
 * Zeros the `fraction` of weights with the smallest |w| in every layer (ties broken by position:
 * among equal |w| the lower index goes first). The cut value is found with one native sort of the
 * magnitudes (no comparator: seconds, not minutes, on a 4096 × 4096 layer).
 */
export function magnitudePrune(model: MLP, fraction: number): MLP {
  if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`magnitudePrune: fraction must be in [0, 1), got ${fraction}`);
  for (const L of model.layers) {
    const k = Math.round(fraction * L.weight.length);
    const mask = new Uint8Array(L.weight.length).fill(1);
    if (k > 0) {
      const cut = Float32Array.from(L.weight, Math.abs).sort()[k - 1]; // the k-th smallest |w|
      let below = 0;
      for (const w of L.weight) if (Math.abs(w) < cut) below++;
      let ties = k - below; // how many weights with |w| = cut go, lowest index first
      for (let i = 0; i < L.weight.length; i++) {
        const a = Math.abs(L.weight[i]);
        if (a < cut || (a === cut && ties-- > 0)) {
          L.weight[i] = 0;
          mask[i] = 0;
        }
      }
    }
    L.mask = mask;
  }
  return model;
}

/** The source name of a random model: 'lenet-random' for LeNet-300-100, else 'random-A-B-…'. */
export const randomSource = (sizes: readonly number[]): string => (sizes.join() === LENET.join() ? 'lenet-random' : `random-${sizes.join('-')}`);
/** Whether a group's model is a seeded random one (the targets are judged on those, not the demo model). */
export const isRandomSource = (source: string): boolean => source === 'lenet-random' || source.startsWith('random-');

/** A random MLP of the given sizes (ReLU hidden, identity out) with small random biases (so that bias handling is checked too). */
export function randomModel(sizes: readonly number[], seed: number, sparsity: number): MLP {
  // inference only: run.ts checked what the bench allocates (src/report/bench-budget.ts), not what training would
  const m = createMLP({ sizes: [...sizes], activation: 'relu', seed, budgetCheck: false });
  const rng = new Rng(seed + 1);
  for (const L of m.layers) for (let i = 0; i < L.bias.length; i++) L.bias[i] = rng.uniform(-0.1, 0.1);
  return magnitudePrune(m, sparsity);
}

/** The random LeNet-300-100. */
export function lenet(seed: number, sparsity: number): MLP {
  return randomModel(LENET, seed, sparsity);
}

/** Random models of `sizes` at every sparsity, then (LeNet shape only) the demo model if its file is there. */
export function benchModels(seed: number, sparsities = SPARSITIES, log: (s: string) => void = () => {}, sizes: readonly number[] = LENET): BenchModel[] {
  const out: BenchModel[] = sparsities.map((s) => ({ source: randomSource(sizes), sparsity: s, model: randomModel(sizes, seed, s) }));
  if (sizes.join() !== LENET.join()) return out;
  if (existsSync(DEMO_MODEL)) {
    try {
      const model = loadModel(DEMO_MODEL);
      let z = 0,
        n = 0;
      for (const L of model.layers) {
        n += L.weight.length;
        for (const w of L.weight) if (w === 0) z++;
      }
      out.push({ source: 'demo', sparsity: n ? z / n : 0, model });
    } catch (e) {
      log(`peers: skipping ${DEMO_MODEL}: ${(e as Error).message}`);
    }
  } else {
    log(`peers: ${DEMO_MODEL} not found: the trained-and-pruned demo model is skipped`);
  }
  return out;
}

/** A layer's weights in CSR with the kernels' index type (u16: every layer here has < 65536 inputs). */
export function toCsr(weight: Float32Array, rows: number, cols: number): CsrArrays {
  return denseToCsr(weight, rows, cols, cols <= 0x10000 ? 'u16' : 'u32');
}

export const nonzeros = (m: MLP): number => m.layers.reduce((s, L) => s + L.weight.reduce((a, w) => a + (w !== 0 ? 1 : 0), 0), 0);
export const weightCount = (m: MLP): number => m.layers.reduce((s, L) => s + L.weight.length, 0);

/** Plain-TS forward in f64 on row-major samples [batch][in] → [batch][out]: the independent reference. */
export function referenceForward(m: MLP, x: Float32Array, batch: number): Float64Array {
  let h: Float64Array = Float64Array.from(x);
  for (const L of m.layers) {
    const y = new Float64Array(batch * L.outFeatures);
    for (let s = 0; s < batch; s++) {
      for (let o = 0; o < L.outFeatures; o++) {
        let acc = L.bias[o];
        const row = o * L.inFeatures;
        for (let i = 0; i < L.inFeatures; i++) acc += L.weight[row + i] * h[s * L.inFeatures + i];
        y[s * L.outFeatures + o] = L.activation === 'relu' ? Math.max(0, acc) : acc;
      }
    }
    h = y;
  }
  return h;
}
