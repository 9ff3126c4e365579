/**
 * Writes the built-in MNIST split (the same 7,996 / 2,004 digits every prunekit figure uses) as raw
 * little-endian arrays for reference.py, so PyTorch trains and prunes on exactly our data:
 *   npx tsx bench/torch-reference/export-split.ts [DIR]     (default .scratch/torch-reference)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadData } from '../../src/index.js';

const dir = process.argv[2] ?? '.scratch/torch-reference';
mkdirSync(dir, { recursive: true });
const data = await loadData('mnist');
for (const [name, d] of [
  ['train', data.train],
  ['test', data.test],
] as const) {
  writeFileSync(join(dir, `${name}-x.f32`), new Uint8Array(d.features.buffer, d.features.byteOffset, d.features.byteLength));
  writeFileSync(join(dir, `${name}-y.i32`), new Uint8Array(d.labels.buffer, d.labels.byteOffset, d.labels.byteLength));
}
writeFileSync(
  join(dir, 'meta.json'),
  JSON.stringify({ nFeatures: data.train.nFeatures, train: data.train.nSamples, test: data.test.nSamples, standardised: data.mean !== null }),
);
console.log(`export-split: ${data.train.nSamples} train + ${data.test.nSamples} test samples → ${dir}`);
