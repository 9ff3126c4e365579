/**
 * Load time of a format_version 2 file with this tree's decoder against another tree's, paired in
 * one process (a before/after measurement of a change to the decoder).
 *
 *   git archive <commit> src wasm | tar -x -C /tmp/before
 *   npx tsx bench/load-v2-compare.ts --model FILE.prunekit.safetensors --before /tmp/before [--runs 400]
 *
 * Each run times `loadModelSync` + the first prediction of one sample for three cases in rotating
 * order: FILE's version 1 twin (this tree), FILE with the other tree's runtime, FILE with this
 * tree's. Reports the medians and the medians of the per-run ratios, as bench/load-v2.ts.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModelSync } from '../src/runtime/index.js';
import { decodeModel, encodeModel } from '../src/sparse/format.js';

const args = process.argv.slice(2);
const opt = (name: string, def?: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const path = opt('--model');
const before = opt('--before');
if (!path || !before) throw new Error('usage: npx tsx bench/load-v2-compare.ts --model FILE --before DIR [--runs 400]');
const runs = Number(opt('--runs', '400'));
const old = (await import(pathToFileURL(resolve(before, 'src/runtime/index.ts')).href)) as { loadModelSync: typeof loadModelSync };

const model = decodeModel(readFileSync(path));
const v1 = encodeModel({ ...model, storage: undefined });
const v2 = encodeModel(model);
const x = new Float32Array(model.layers[0].inFeatures).fill(0.5);
const time = (load: typeof loadModelSync, bytes: Uint8Array) => {
  const t0 = performance.now();
  load(bytes).predict(x);
  return performance.now() - t0;
};
const cases = [() => time(loadModelSync, v1), () => time(old.loadModelSync, v2), () => time(loadModelSync, v2)];
for (let i = 0; i < 30; i++) for (const c of cases) c(); // compile the kernels, let V8 tier up the decoders
const t: number[][] = [[], [], []];
for (let i = 0; i < runs; i++) {
  for (let j = 0; j < 3; j++) {
    const k = (i + j) % 3;
    t[k].push(cases[k]());
  }
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ratio = (a: number[], b: number[]) => median(a.map((v, i) => v / b[i]));
console.log(
  `${path}: median of ${runs} runs: version 1 ${median(t[0]).toFixed(3)} ms; version 2 before ${median(t[1]).toFixed(3)} ms ` +
    `(${ratio(t[1], t[0]).toFixed(2)}×), after ${median(t[2]).toFixed(3)} ms (${ratio(t[2], t[0]).toFixed(2)}×); after/before ${ratio(t[2], t[1]).toFixed(2)}`,
);
