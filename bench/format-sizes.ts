/**
 * The sizes table in FORMAT.md: a 784-300-100-10 ReLU MLP with He-initialised random weights
 * (seed 1), every layer pruned by magnitude to 90% (oneshot, per layer), compacted with f32, f16
 * and 5-bit k-means values. Sizes only (no timing), so the figures are exact and reproducible:
 *   npx tsx bench/format-sizes.ts [--json]
 */
import { compact, createMLP, encodeMLP, encodeModel, pruneModel } from '../src/index.js';

const model = createMLP({ sizes: [784, 300, 100, 10], activation: 'relu', seed: 1 });
const { model: pruned } = await pruneModel(model, {}, { amount: { sparsity: 0.9 }, criterion: 'magnitude', scope: 'layer', schedule: 'oneshot' });

const rows = (['f32', 'f16', 'kmeans'] as const).map((values) => {
  const { compact: c, report } = compact(pruned, { values, bits: 5 });
  return {
    values,
    bytes: encodeModel(c).length,
    denseBytes: report.dense_bytes,
    layouts: report.layers.map((l) => `${l.format}${l.index ? ` ${l.index}` : ''}`),
  };
});
const trainingFileBytes = encodeMLP(pruned).length;

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ trainingFileBytes, rows }, null, 2));
} else {
  console.log(`training-model file (masked, f32 + u8 masks): ${trainingFileBytes.toLocaleString('en-US')} B`);
  console.log('| values | layouts | file bytes | vs dense f32 |');
  for (const r of rows)
    console.log(
      `| ${r.values} | ${r.layouts.join(', ')} | ${r.bytes.toLocaleString('en-US')} | ${(r.bytes / r.denseBytes).toFixed(3)} (dense ${r.denseBytes.toLocaleString('en-US')} B) |`,
    );
}
