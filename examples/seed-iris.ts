/**
 * The seed article's example, done right.
 *
 * The seed trains scikit-learn's MLPClassifier(hidden_layer_sizes=(10, 10), alpha=1e-4, solver='sgd')
 * on iris, computes θ = np.percentile(|W₀|, 95) for the FIRST layer, builds M = |W₀| ≥ θ and then
 * writes `model.coefs_[0] = W[mask]` — which flattens the kept weights into a 1-D array and breaks
 * the layer (its shape no longer matches the inputs). Pruning is P_cut = P ⊙ M: the layer keeps its
 * 4×10 shape and the pruned weights become exactly 0. That is what this example does, then it
 * reports accuracy before and after (and after a short masked fine-tune, which the seed skips).
 *
 * Run: npx tsx examples/seed-iris.ts [--seed N] [--json]
 */
import { loadData } from '../src/data/index.js';
import { createMLP, sparsityOf } from '../src/nn/model.js';
import { evaluate, train } from '../src/nn/train.js';
import { pruneModel } from '../src/prune/prune.js';
import { trainerContext } from '../src/prune/trainer.js';

export interface SeedResult {
  denseAccuracy: number;
  prunedAccuracy: number;
  finetunedAccuracy: number;
  /** Weights kept in the first layer (≈ 5% of 40). */
  keptFirstLayer: number;
  firstLayerShape: [number, number];
  sparsity: number;
  /** First-layer weights: trained (dense), right after pruning, after fine-tuning. */
  firstLayer: { dense: Float32Array; pruned: Float32Array; finetuned: Float32Array };
}

export async function runSeedExample(seed = 42): Promise<SeedResult> {
  const data = await loadData('iris', { seed, testFraction: 0.2 }); // standardised on the training split
  const sizes = [data.train.nFeatures, 10, 10, data.train.labelNames.length];
  const model = createMLP(
    { sizes, activation: 'relu', seed },
    {
      mean: data.mean,
      scale: data.scale,
      featureNames: data.train.featureNames,
      labelNames: data.train.labelNames,
    },
  );
  // sklearn-like SGD: alpha = 1e-4 (L2), momentum 0.9, small batches; iris is 120 training rows.
  const cfg = { epochs: 200, batchSize: 16, lr: 0.05, momentum: 0.9, alpha: 1e-4, seed };
  await train(model, data, cfg);
  const denseAccuracy = evaluate(model, data.test).accuracy;

  // Step 2–4 of the seed: score |W|, θ = 95th percentile of the first layer, keep |w| ≥ θ.
  const ctx = trainerContext(data, { train: cfg, trainMetrics: false });
  const pruned = await pruneModel(model, ctx, { amount: { percentile: 95 }, criterion: 'magnitude', layers: [0] });
  const prunedAccuracy = evaluate(pruned.model, data.test).accuracy;
  const prunedFirst = pruned.model.layers[0].weight.slice();

  // Beyond the seed: a short masked fine-tune (pruned weights stay exactly 0).
  await train(pruned.model, data, { ...cfg, epochs: 50 });
  const finetunedAccuracy = evaluate(pruned.model, data.test).accuracy;

  const L0 = pruned.model.layers[0];
  return {
    denseAccuracy,
    prunedAccuracy,
    finetunedAccuracy,
    keptFirstLayer: L0.weight.reduce((n, w) => n + (w !== 0 ? 1 : 0), 0),
    firstLayerShape: [L0.outFeatures, L0.inFeatures],
    sparsity: sparsityOf(pruned.model).total,
    firstLayer: { dense: model.layers[0].weight.slice(), pruned: prunedFirst, finetuned: L0.weight.slice() },
  };
}

const isMain = /seed-iris\.(ts|js)$/.test(process.argv[1] ?? '');
if (isMain) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--seed');
  const r = await runSeedExample(i >= 0 ? Number(args[i + 1]) : 42);
  if (args.includes('--json')) console.log(JSON.stringify({ ...r, firstLayer: undefined }, null, 2));
  else {
    const p = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(`iris, MLP 4-10-10-3 (relu), SGD alpha=1e-4`);
    console.log(`dense test accuracy:                      ${p(r.denseAccuracy)}`);
    console.log(
      `first layer pruned at the 95th percentile: ${r.keptFirstLayer} of ${r.firstLayerShape[0] * r.firstLayerShape[1]} weights kept, shape ${r.firstLayerShape.join('×')} unchanged`,
    );
    console.log(`pruned test accuracy:                     ${p(r.prunedAccuracy)}`);
    console.log(`after 50 epochs of masked fine-tuning:    ${p(r.finetunedAccuracy)}`);
  }
}
