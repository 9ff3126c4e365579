/**
 * Why obs loses to magnitude with the iterative schedule: variants that take obs apart, each run
 * with `prunekit prune`'s defaults (5 geometric rounds × 5 fine-tuning epochs, lr cosine-decayed in
 * each round, the model's own SGD settings) on the built-in MNIST split. Prints one JSON line.
 *
 *   npx tsx bench/obs-iterative.ts MODEL SPARSITY VARIANT [BLOCK]
 *
 * VARIANT:
 *   magnitude-alloc   per-layer counts from a global magnitude threshold on the current weights;
 *                     obs chooses which weights within each layer and corrects the rest
 *   no-correction     one global threshold over the obs saliencies w²/[H⁻¹]_qq, plain P ⊙ M
 *   magnitude-masks   global magnitude masks, then obs corrects the kept weights for exactly them
 *   file:RUN.json     per-layer counts of each round copied from a magnitude run's `prune --json`;
 *                     obs chooses and corrects within each layer
 *   last-round        global magnitude in every round but the last, plain global obs in the last
 *   kfac, kfac-diag   obs with its saliency carried to the loss by K-FAC's output factor G (src/prune/kfac.ts):
 *                     ε = w²/(2[G⁻¹]_rr[A⁻¹]_cc), or G_rr·w²/(2[A⁻¹]_cc); global threshold, corrected
 *   kfac-no-correction, kfac-diag-no-correction   the same thresholds, plain P ⊙ M
 *   energy            the layer-wise saliency divided by the layer's mean output energy ‖Wx + b‖², corrected
 *   fisher-no-correction   global threshold on the empirical block-Fisher saliency (src/prune/fisher.ts,
 *                     blocks of BLOCK weights, default 16), plain P ⊙ M (`prune --obs-curvature fisher` corrects)
 *   fisher-alloc      per-layer counts from that global threshold; magnitude chooses within each layer
 * (plain obs and plain magnitude are `prune --criterion obs|magnitude`.)
 */
import { readFileSync } from 'node:fs';
import { loadSplitForModel } from '../src/cli/common.js';
import type { MLP } from '../src/nn/model.js';
import { loadModel } from '../src/nn/io.js';
import { CRITERIA, scoreModel } from '../src/prune/criteria.js';
import { pruneLayer } from '../src/prune/mask.js';
import type { ObsCurvature } from '../src/prune/kfac.js';
import { layerInputs, obsPrune } from '../src/prune/obs.js';
import { geometricSparsities, iterative } from '../src/prune/schedule.js';
import { planMasks } from '../src/prune/scope.js';
import type { Amount } from '../src/prune/threshold.js';
import { trainerContext } from '../src/prune/trainer.js';

const [modelPath, sparsity, variant] = [process.argv[2], Number(process.argv[3]), process.argv[4] ?? 'magnitude-alloc'];
const model = loadModel(modelPath);
const prov = (model.provenance as { train: Record<string, number> }).train;
const data = await loadSplitForModel('mnist', model, { finetunes: true });
const train = { lr: prov.lr, batchSize: prov.batchSize, momentum: prov.momentum, alpha: prov.alpha, schedule: 'cosine' as const, seed: prov.seed };
const ctx = trainerContext(data, { train });
const calibration = ctx.calibration!;
const pruned = (m: Uint8Array) => m.length - m.reduce((a, b) => a + b, 0);

/** obs chooses `counts[l]` pruned weights in layer l (adaptively, per block) and corrects the others. */
function obsWithCounts(m: MLP, counts: number[], inputs: { calibration: typeof calibration; seed: number }): void {
  const scores = scoreModel(m, 'obs', inputs);
  const masks = m.layers.map((_, l) => planMasks(m, scores, { count: counts[l] }, { scope: 'layer', layers: [l] })[l]);
  CRITERIA.obs.prune!(m, { kind: 'masks', masks }, inputs);
}

/** Divides each layer's saliencies by its mean output energy ‖W x + b‖² on the calibration inputs (per row). */
function normaliseByOutputEnergy(m: MLP, scores: Float32Array[]): void {
  const X = layerInputs(m, calibration);
  const n = calibration.nSamples;
  m.layers.forEach((L, l) => {
    let e = 0;
    const d = L.inFeatures;
    for (let s = 0; s < n; s++)
      for (let r = 0; r < L.outFeatures; r++) {
        let z = L.bias[r];
        for (let i = 0; i < d; i++) z += L.weight[r * d + i] * X[l][s * d + i];
        e += z * z;
      }
    const scale = (n * L.outFeatures) / e;
    for (let i = 0; i < scores[l].length; i++) scores[l][i] *= scale;
  });
}

let round = 0;
function pruneTo(m: MLP, amount: Amount): void {
  const inputs = { calibration, seed: prov.seed + round++ };
  if (variant === 'last-round') {
    const name = round === 5 ? 'obs' : 'magnitude';
    const masks = planMasks(m, scoreModel(m, name, inputs), amount, { scope: 'global' });
    if (name === 'obs') CRITERIA.obs.prune!(m, { kind: 'masks', masks }, inputs);
    else masks.forEach((mask, l) => pruneLayer(m.layers[l], mask!));
  } else if (variant === 'kfac' || variant === 'kfac-diag' || variant === 'energy') {
    const curved = { ...inputs, obsCurvature: (variant === 'energy' ? 'layer' : variant) as ObsCurvature };
    const scores = scoreModel(m, 'obs', curved);
    if (variant === 'energy') normaliseByOutputEnergy(m, scores);
    CRITERIA.obs.prune!(m, { kind: 'masks', masks: planMasks(m, scores, amount, { scope: 'global' }) }, curved);
  } else if (variant === 'kfac-no-correction' || variant === 'kfac-diag-no-correction') {
    const curved = { ...inputs, obsCurvature: variant === 'kfac-no-correction' ? ('kfac' as const) : ('kfac-diag' as const) };
    planMasks(m, scoreModel(m, 'obs', curved), amount, { scope: 'global' }).forEach((mask, l) => pruneLayer(m.layers[l], mask!));
  } else if (variant === 'fisher-no-correction') {
    const curved = { ...inputs, obsCurvature: 'fisher' as const, obsBlock: process.argv[5] ? Number(process.argv[5]) : undefined };
    planMasks(m, scoreModel(m, 'obs', curved), amount, { scope: 'global' }).forEach((mask, l) => pruneLayer(m.layers[l], mask!));
  } else if (variant === 'fisher-alloc') {
    const curved = { ...inputs, obsCurvature: 'fisher' as const, obsBlock: process.argv[5] ? Number(process.argv[5]) : undefined };
    const counts = planMasks(m, scoreModel(m, 'obs', curved), amount, { scope: 'global' }).map((mask) => pruned(mask!));
    const mag = scoreModel(m, 'magnitude', inputs);
    m.layers.forEach((L, l) => pruneLayer(L, planMasks(m, mag, { count: counts[l] }, { scope: 'layer', layers: [l] })[l]!));
  } else if (variant === 'no-correction') {
    planMasks(m, scoreModel(m, 'obs', inputs), amount, { scope: 'global' }).forEach((mask, l) => pruneLayer(m.layers[l], mask!));
  } else if (variant === 'magnitude-masks') {
    const masks = planMasks(m, scoreModel(m, 'magnitude', inputs), amount, { scope: 'global' });
    obsPrune(
      m,
      masks.map((mask) => ({ kind: 'fixed' as const, mask: mask! })),
      { calibration },
    );
  } else if (variant === 'magnitude-alloc') {
    obsWithCounts(
      m,
      planMasks(m, scoreModel(m, 'magnitude', inputs), amount, { scope: 'global' }).map((mask) => pruned(mask!)),
      inputs,
    );
  } else if (variant.startsWith('file:')) {
    const steps = JSON.parse(readFileSync(variant.slice(5), 'utf8')).steps.filter((s: { phase: string }) => s.phase === 'pruned');
    obsWithCounts(
      m,
      (steps[round - 1].layers as { weights: number; nonzeros: number }[]).map((L) => L.weights - L.nonzeros),
      inputs,
    );
  } else throw new Error(`unknown variant ${variant}`);
}

const r = await iterative(model, { pruneTo, fineTune: ctx.fineTune, evaluate: ctx.evaluate }, geometricSparsities(sparsity, 5), 5);
const last = r.steps.at(-1)!;
console.log(JSON.stringify({ model: modelPath, sparsity, variant, accuracy: last.accuracy, layers: last.layers.map((L) => L.sparsity) }));
