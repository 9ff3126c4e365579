/**
 * RigL recipe search: LeNet-300-100 at 90% sparsity on the built-in MNIST split, the demo's dense
 * configuration (20 epochs, batch 64, lr 0.1 cosine, Nesterov 0.9, alpha 0.1) changed per named
 * variant, one run per seed. `--variants` is JSON: name → { dst: DstOptions fields, train:
 * TrainConfig fields } (either may be omitted; `dst.method: 'dense'` trains the dense model
 * instead). Prints test and training accuracy per run and each variant's list.
 *
 *   npx tsx bench/sparse-recipe-sweep.ts --seeds 42,1,2,3,4 \
 *     --variants '{"paper":{"dst":{"gradientBatch":64}},"lr0.2":{"train":{"lr":0.2}}}'
 */
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/index.js';
import { createMLP } from '../src/nn/model.js';
import { trainSparse, type DstOptions } from '../src/nn/dst.js';
import { evaluate, train, type TrainConfig } from '../src/nn/train.js';

const { values: flags } = parseArgs({ options: { seeds: { type: 'string' }, variants: { type: 'string' } } });
const seeds = (flags.seeds ?? '42,1,2').split(',').map(Number);
const variants = JSON.parse(flags.variants ?? '{"default":{}}') as Record<
  string,
  { dst?: Partial<Omit<DstOptions, 'method'>> & { method?: DstOptions['method'] | 'dense' }; train?: Partial<TrainConfig> }
>;
const data = await loadData('mnist', { seed: 42 });
const base: Partial<TrainConfig> = { epochs: 20, batchSize: 64, lr: 0.1, momentum: 0.9, nesterov: true, alpha: 0.1, schedule: 'cosine' };
for (const [name, v] of Object.entries(variants)) {
  const accs: string[] = [];
  for (const seed of seeds) {
    const m = createMLP({ sizes: [784, 300, 100, 10], activation: 'relu', seed });
    const cfg = { ...base, ...v.train, seed };
    const { method = 'rigl', ...dst } = v.dst ?? {};
    const t0 = performance.now();
    if (method === 'dense') await train(m, data, cfg);
    else await trainSparse(m, data, cfg, { sparsity: 0.9, ...dst, method });
    accs.push((evaluate(m, data.test).accuracy * 100).toFixed(2));
    console.log(
      `${name} seed ${seed}: test ${accs.at(-1)}%, train ${(evaluate(m, data.train).accuracy * 100).toFixed(2)}%, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  console.log(`== ${name}: ${accs.join(' ')}`);
}
