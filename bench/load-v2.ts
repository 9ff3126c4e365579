/**
 * Load time of a format_version 2 file against the same model in version 1, paired in one process.
 *
 *   npx tsx bench/load-v2.ts --model FILE.prunekit.safetensors [--runs 200] [--json]
 *
 * FILE is any compact file; its version 1 twin is the same decoded model written without its
 * version 2 storage (plain indices, one byte per code), its version 2 twin the same model with the
 * storage FILE has (a version 1 FILE is given relative 5-bit indices and Huffman streams). Each run
 * times, with performance.now(), `loadModelSync(bytes)` (decode and validate — for version 2 also
 * unpacking codes, Huffman decoding and rebuilding the CSR arrays from relative indices — upload,
 * warm-up) plus the first prediction of one sample. The kernels are compiled once before; then
 * each run times both files back to back (which goes first alternates), so both see the same
 * machine load. Reports the median of each, and the median of the per-run ratios v2/v1 (robust to
 * load spikes on a shared machine).
 */
import { readFileSync } from 'node:fs';
import { loadModelSync } from '../src/runtime/index.js';
import { decodeModel, encodeModel } from '../src/sparse/format.js';

const args = process.argv.slice(2);
const opt = (name: string, def?: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const path = opt('--model');
if (!path) throw new Error('usage: npx tsx bench/load-v2.ts --model FILE [--runs 200] [--json]');
const runs = Number(opt('--runs', '200'));

const model = decodeModel(readFileSync(path));
const v1 = encodeModel({ ...model, storage: undefined });
const storage = model.storage ?? {
  version: 2 as const,
  layers: model.layers.map(() => ({ index: 'delta' as const, gapBits: 5, entropy: 'huffman' as const })),
};
const v2 = encodeModel({ ...model, storage });

const x = new Float32Array(model.layers[0].inFeatures).fill(0.5);
const time = (bytes: Uint8Array) => {
  const t0 = performance.now();
  const m = loadModelSync(bytes);
  m.predict(x);
  return performance.now() - t0;
};
for (let i = 0; i < 20; i++) {
  time(v1);
  time(v2);
} // compile the kernels, let V8 tier up the decoders
const t1: number[] = [],
  t2: number[] = [],
  ratios: number[] = [];
for (let i = 0; i < runs; i++) {
  let a: number, b: number;
  if (i % 2) {
    a = time(v1);
    b = time(v2);
  } else {
    b = time(v2);
    a = time(v1);
  }
  t1.push(a);
  t2.push(b);
  ratios.push(b / a);
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const result = { model: path, runs, v1: { bytes: v1.length, ms: median(t1) }, v2: { bytes: v2.length, ms: median(t2) }, ratio: median(ratios) };
if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
else
  console.log(
    `${path}: load + first prediction, median of ${runs} paired runs: version 1 ${result.v1.ms.toFixed(3)} ms (${v1.length} B), version 2 ${result.v2.ms.toFixed(3)} ms (${v2.length} B): ${result.ratio.toFixed(2)}× (median of the per-run ratios)`,
  );
