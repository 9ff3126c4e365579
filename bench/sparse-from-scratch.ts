/**
 * Sparse training from scratch against dense training, paired in one process: LeNet-300-100 on the
 * built-in MNIST split with the demo's dense configuration (20 epochs, batch 64, lr 0.1 cosine,
 * Nesterov 0.9, alpha 0.1); RigL and SET at 90% sparsity with `prunekit train --sparsity 0.9
 * --method rigl|set`'s defaults (ERK densities, ΔT 100, drop fraction 0.3 cosine-decayed to 0 at
 * 75% of training, RigL's dense gradient on 256 samples) in the same configuration at learning
 * rate --sparse-lr (default 0.2: the sparse networks' best of those tried, BENCHMARKS.md). For
 * each seed (the model's initialisation, the mask and the shuffle; the data split stays seed 42)
 * the three run back to back, in an order rotated per seed. Prints test accuracy and training
 * seconds of each run (the whole `train` / `trainSparse` call, mask set-up and updates included),
 * wall-clock and CPU (user + system of this process: steadier than wall time on a machine shared
 * with other jobs), each sparse run's times over its seed's dense run's, and a summary.
 *
 *   npx tsx bench/sparse-from-scratch.ts [--seeds 42,1,2] [--sparsity 0.9] [--sparse-lr 0.2]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { loadData } from '../src/data/index.js';
import { createMLP } from '../src/nn/model.js';
import { trainSparse } from '../src/nn/dst.js';
import { evaluate, train, type TrainConfig } from '../src/nn/train.js';

const { values: flags } = parseArgs({ options: { seeds: { type: 'string' }, sparsity: { type: 'string' }, 'sparse-lr': { type: 'string' } } });
const seeds = (flags.seeds ?? '42,1,2').split(',').map(Number),
  sparsity = Number(flags.sparsity ?? 0.9),
  sparseLr = Number(flags['sparse-lr'] ?? 0.2);
const data = await loadData('mnist', { seed: 42 });
const base: Partial<TrainConfig> = { epochs: 20, batchSize: 64, lr: 0.1, momentum: 0.9, nesterov: true, alpha: 0.1, schedule: 'cosine' };
const runs = {
  dense: (seed: number) => {
    const m = createMLP({ sizes: [784, 300, 100, 10], activation: 'relu', seed });
    return { m, done: train(m, data, { ...base, seed }) };
  },
  rigl: (seed: number) => {
    const m = createMLP({ sizes: [784, 300, 100, 10], activation: 'relu', seed });
    return { m, done: trainSparse(m, data, { ...base, lr: sparseLr, seed }, { sparsity, method: 'rigl' }) };
  },
  set: (seed: number) => {
    const m = createMLP({ sizes: [784, 300, 100, 10], activation: 'relu', seed });
    return { m, done: trainSparse(m, data, { ...base, lr: sparseLr, seed }, { sparsity, method: 'set' }) };
  },
};
type Name = keyof typeof runs;
const names = Object.keys(runs) as Name[];
const acc: Record<Name, number[]> = { dense: [], rigl: [], set: [] },
  seconds: Record<Name, number[]> = { dense: [], rigl: [], set: [] },
  cpuSeconds: Record<Name, number[]> = { dense: [], rigl: [], set: [] };
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
console.log(`dense (lr ${base.lr}) vs sparse from scratch (lr ${sparseLr}) at ${sparsity * 100}%, seeds ${seeds.join(', ')}; load average ${load()}`);
for (const [i, seed] of seeds.entries()) {
  for (let j = 0; j < names.length; j++) {
    const name = names[(i + j) % names.length];
    const t0 = performance.now(),
      c0 = process.cpuUsage();
    const { m, done } = runs[name](seed);
    const r = await done;
    const c = process.cpuUsage(c0);
    seconds[name].push((performance.now() - t0) / 1000);
    cpuSeconds[name].push((c.user + c.system) / 1e6);
    acc[name].push(evaluate(m, data.test).accuracy * 100);
    console.log(
      `seed ${seed} ${name}: test accuracy ${acc[name].at(-1)!.toFixed(2)}%, ${seconds[name].at(-1)!.toFixed(1)} s (${cpuSeconds[name].at(-1)!.toFixed(1)} CPU s) for ${r.epochs.length} epochs`,
    );
  }
  console.log(`seed ${seed} time vs dense: rigl ${(seconds.rigl[i] / seconds.dense[i]).toFixed(2)}×, set ${(seconds.set[i] / seconds.dense[i]).toFixed(2)}×`);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const name of names) {
  const ratios = seconds[name].map((s, i) => s / seconds.dense[i]),
    cpuRatios = cpuSeconds[name].map((s, i) => s / cpuSeconds.dense[i]);
  console.log(
    `${name}: test accuracy ${acc[name].map((a) => a.toFixed(2)).join(' / ')}% (mean ${mean(acc[name]).toFixed(2)}, min ${Math.min(...acc[name]).toFixed(2)}); ` +
      `time vs dense, wall ${ratios.map((x) => x.toFixed(2)).join(' / ')}× (max ${Math.max(...ratios).toFixed(2)}×), ` +
      `CPU ${cpuRatios.map((x) => x.toFixed(2)).join(' / ')}× (max ${Math.max(...cpuRatios).toFixed(2)}×)`,
  );
}
console.log(`load average after: ${load()}`);
