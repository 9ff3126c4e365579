/**
 * How much of a training epoch `train --threads N` can split: the CPU time of the kernels it splits
 * over threads (src/kernels/split-kernels.ts: the forward, input-gradient and weight-gradient
 * products) against the whole epoch's, on one thread. Amdahl's bound for N threads is then
 * 1 / ((1 − f) + f / N).
 *
 *   npx tsx bench/train-split-fraction.ts [--layers 1024,4096,1024] [--batch 64] [--samples 1024] [--epochs 2]
 *
 * Each kernel call is wrapped in process.cpuUsage (µs resolution; the products take milliseconds),
 * on random data shaped for the layers; one line of JSON per epoch (the first includes tier-up).
 */
import { parseArgs } from 'node:util';
import { loadKernelsSync } from '../src/kernels/load.js';
import type { Kernels } from '../src/kernels/types.js';
import { createMLP } from '../src/nn/model.js';
import { train } from '../src/nn/train.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({ options: { layers: { type: 'string' }, batch: { type: 'string' }, samples: { type: 'string' }, epochs: { type: 'string' } } });
const sizes = (values.layers ?? '1024,4096,1024').split(',').map(Number);
const batch = Number(values.batch ?? 64),
  n = Number(values.samples ?? 1024),
  epochs = Number(values.epochs ?? 2);

const SPLIT = new Set([
  'f32_gemv',
  'f32_gemm',
  'f32_gemm_tn',
  'f32_gemm_nt_grad',
  'f32_spmm_csr_u16',
  'f32_spmm_csr_u32',
  'f32_csr_weight_grad_u16',
  'f32_csr_weight_grad_u32',
]);
const cpu = { split: 0, other: 0 };
const k = loadKernelsSync({ flavor: 'simd' });
const timed = { ...k } as Record<string, unknown>;
for (const [name, fn] of Object.entries(k)) {
  if (!name.startsWith('f32_')) continue;
  timed[name] = (...a: number[]) => {
    const t = process.cpuUsage();
    const r = (fn as (...a: number[]) => unknown)(...a);
    const d = process.cpuUsage(t);
    cpu[SPLIT.has(name) ? 'split' : 'other'] += d.user + d.system;
    return r;
  };
}

const F = sizes[0],
  C = sizes.at(-1)!,
  r = new Rng(1);
const data = {
  features: Float32Array.from({ length: n * F }, () => r.uniform(-1, 1)),
  labels: Int32Array.from({ length: n }, () => r.int(C)),
  nSamples: n,
  nFeatures: F,
  featureNames: [],
  labelNames: Array.from({ length: C }, (_, i) => `c${i}`),
  source: 'random',
};
const model = createMLP({ sizes, activation: 'relu', seed: 1 });
let t0 = process.cpuUsage();
await train(
  model,
  { train: data },
  { epochs, batchSize: batch, lr: 0.05, momentum: 0.9, nesterov: true, alpha: 0.1, sparse: 'off' },
  {
    kernels: timed as unknown as Kernels,
    onEpoch: (rec) => {
      const d = process.cpuUsage(t0),
        all = (d.user + d.system) / 1e6;
      const f = cpu.split / 1e6 / all;
      console.log(
        JSON.stringify({
          epoch: rec.epoch,
          cpu_s: all,
          split_s: cpu.split / 1e6,
          otherKernels_s: cpu.other / 1e6,
          splitFraction: f,
          amdahlBound2: 1 / (1 - f + f / 2),
        }),
      );
      cpu.split = cpu.other = 0;
      t0 = process.cpuUsage();
    },
  },
);
