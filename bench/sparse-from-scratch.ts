/**
 * Sparse training from scratch against dense training, in one process, in rotated order per round:
 * LeNet-300-100 on the built-in MNIST split with the demo's dense configuration (20 epochs, batch 64,
 * lr 0.1 cosine, Nesterov 0.9, alpha 0.1, seed 42); RigL and SET at 90% sparsity (ERK densities,
 * ΔT 100, drop fraction 0.3). Prints test accuracy and training seconds of each run.
 *
 *   npx tsx bench/sparse-from-scratch.ts [--rounds 2] [--sparsity 0.9]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { loadData } from '../src/data/index.js';
import { createMLP } from '../src/nn/model.js';
import { trainSparse } from '../src/nn/dst.js';
import { evaluate, train, type TrainConfig } from '../src/nn/train.js';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string' }, sparsity: { type: 'string' } } });
const rounds = Number(flags.rounds ?? 2),
  sparsity = Number(flags.sparsity ?? 0.9);
const data = await loadData('mnist', { seed: 42 });
const cfg: Partial<TrainConfig> = { epochs: 20, batchSize: 64, lr: 0.1, momentum: 0.9, nesterov: true, alpha: 0.1, schedule: 'cosine', seed: 42 };
const model = () => createMLP({ sizes: [784, 300, 100, 10], activation: 'relu', seed: 42 });
const runs = {
  dense: async () => {
    const m = model();
    return { m, r: await train(m, data, cfg) };
  },
  rigl: async () => {
    const m = model();
    return { m, r: await trainSparse(m, data, cfg, { sparsity, method: 'rigl' }) };
  },
  set: async () => {
    const m = model();
    return { m, r: await trainSparse(m, data, cfg, { sparsity, method: 'set' }) };
  },
};
const names = Object.keys(runs) as (keyof typeof runs)[];
const seconds: Record<string, number[]> = { dense: [], rigl: [], set: [] };
console.log(
  `dense vs sparse from scratch at ${sparsity * 100}%; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length];
    const { m, r } = await runs[name]();
    seconds[name].push(r.seconds);
    console.log(
      `round ${round + 1} ${name}: test accuracy ${(evaluate(m, data.test).accuracy * 100).toFixed(2)}%, ${r.seconds.toFixed(1)} s for ${r.epochs.length} epochs`,
    );
  }
  console.log(
    `round ${round + 1} time vs dense: rigl ${(seconds.rigl[round] / seconds.dense[round]).toFixed(2)}×, set ${(seconds.set[round] / seconds.dense[round]).toFixed(2)}×`,
  );
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
