/**
 * RigL recipe search: LeNet-300-100 at 90% sparsity on the built-in MNIST split, the demo's dense
 * configuration (20 epochs, batch 64, lr 0.1 cosine, Nesterov 0.9, alpha 0.1) changed per named
 * variant, one run per seed. `--variants` is JSON, or a .json file of it: name → { dst: DstOptions
 * fields, train: TrainConfig fields } (either may be omitted; `dst.method: 'dense'` trains the
 * dense model instead); `--only a,b` runs some of them. Prints test and training accuracy per run
 * and each variant's list. The variants in BENCHMARKS.md: bench/sparse-recipe-variants.json.
 *
 *   npx tsx bench/sparse-recipe-sweep.ts --seeds 42,1,2,3,4 --variants bench/sparse-recipe-variants.json [--only paper,lr0.2]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadData } from '../src/data/index.js';
import { createMLP } from '../src/nn/model.js';
import { trainSparse, type DstOptions } from '../src/nn/dst.js';
import { evaluate, train, type TrainConfig } from '../src/nn/train.js';

const { values: flags } = parseArgs({ options: { seeds: { type: 'string' }, variants: { type: 'string' }, only: { type: 'string' } } });
const seeds = (flags.seeds ?? '42,1,2').split(',').map(Number);
const spec = flags.variants ?? '{"default":{}}';
const variants = JSON.parse(spec.endsWith('.json') ? readFileSync(spec, 'utf8') : spec) as Record<
  string,
  { dst?: Partial<Omit<DstOptions, 'method'>> & { method?: DstOptions['method'] | 'dense' }; train?: Partial<TrainConfig> }
>;
const data = await loadData('mnist', { seed: 42 });
const base: Partial<TrainConfig> = { epochs: 20, batchSize: 64, lr: 0.1, momentum: 0.9, nesterov: true, alpha: 0.1, schedule: 'cosine' };
const only = flags.only?.split(',');
for (const [name, v] of Object.entries(variants)) {
  if (only && !only.includes(name)) continue;
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
