/**
 * Bring your own model, end to end, with the commands a user runs: a PyTorch-trained MLP
 * (examples/byom: torch.onnx.export and the same state dict as safetensors, trained on the
 * digits CSVs beside it) → `prunekit import` → `prune` to 90% (global magnitude, iterative,
 * fine-tuned on the user's train CSV, measured on the user's test CSV) → `compact` → the runtime
 * on the test CSV → `export` to ONNX (dense and --sparse) → onnxruntime and `import` again.
 *
 *   npx tsx bench/byom.ts [--json] [--out DIR]
 *
 * Prints every command it runs and the figures BENCHMARKS.md quotes ("Bring your own model"):
 * import fidelity against PyTorch's logits, accuracy of the source / imported / pruned / compact
 * models, compact size vs the dense f32 file, sparse vs dense ONNX size, onnxruntime-node and
 * -web probabilities vs the runtime's, and the export → import round trip.
 */
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main.js';
import { loadData } from '../src/data/index.js';
import { loadModel } from '../src/nn/io.js';
import type { MLP } from '../src/nn/model.js';
import { loadModelSync } from '../src/runtime/index.js';
import { readModelFile } from '../src/sparse/node.js';

const require = createRequire(import.meta.url);
const { values: flags } = parseArgs({ options: { json: { type: 'boolean' }, out: { type: 'string' } } });
const dir = flags.out ?? mkdtempSync(join(tmpdir(), 'prunekit-byom-'));
mkdirSync(dir, { recursive: true });
const EX = 'examples/byom';
const TRAIN = `${EX}/digits-train.csv`,
  TEST = `${EX}/digits-test.csv`;
const at = (f: string) => join(dir, f);
const log = (s: string) => {
  if (!flags.json) process.stdout.write(s + '\n');
};

/** Runs one prunekit command in-process with --json and returns its parsed output. */
async function prunekit(args: string[]): Promise<Record<string, unknown>> {
  log(`$ prunekit ${args.join(' ')}`);
  let out = '',
    err = '';
  const write = process.stdout.write.bind(process.stdout),
    ewrite = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => {
    out += s;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof process.stderr.write;
  let code: number;
  try {
    code = await main([...args, '--json']);
  } finally {
    process.stdout.write = write;
    process.stderr.write = ewrite;
  }
  if (code !== 0) throw new Error(`prunekit ${args[0]} exited ${code}: ${err.trim()}`);
  return JSON.parse(out) as Record<string, unknown>;
}

/** Plain f64 forward pass: standardisation, layers, activations → logits, row-major n × classes. */
function logits(m: MLP, x: Float32Array, n: number): Float64Array {
  const F = m.layers[0].inFeatures,
    O = m.layers.at(-1)!.outFeatures;
  const out = new Float64Array(n * O);
  const { mean, scale } = m.preprocessing;
  for (let s = 0; s < n; s++) {
    let h = Array.from({ length: F }, (_, f) => (x[s * F + f] - (mean ? mean[f] : 0)) / (scale ? scale[f] : 1));
    for (const L of m.layers) {
      h = Array.from({ length: L.outFeatures }, (_, o) => {
        let z = L.bias[o];
        for (let i = 0; i < L.inFeatures; i++) z += L.weight[o * L.inFeatures + i] * h[i];
        return L.activation === 'relu' ? Math.max(0, z) : L.activation === 'tanh' ? Math.tanh(z) : L.activation === 'logistic' ? 1 / (1 + Math.exp(-z)) : z;
      });
    }
    out.set(h, s * O);
  }
  return out;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};
/** max |a − b| / max(1, |b|): differences relative to the logit's size (f32 keeps ~7 digits). */
const maxRelDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return d;
};
const argmaxRows = (z: ArrayLike<number>, O: number) =>
  Array.from({ length: z.length / O }, (_, s) => {
    let best = 0;
    for (let o = 1; o < O; o++) if (z[s * O + o] > z[s * O + best]) best = o;
    return best;
  });

const reference = JSON.parse(readFileSync(`${EX}/reference.json`, 'utf8')) as { test_accuracy: number; test_predictions: number[]; test_logits: number[][] };
const test = (await loadData(TRAIN, { testData: TEST, standardize: false })).test;
const n = test.nSamples,
  O = 10;
const labelOf = (k: number) => Number(test.labelNames[test.labels[k]]);

// 1. import: ONNX and the state dict, against PyTorch's own logits on the test CSV
const imported = at('digits.safetensors'),
  importedSd = at('digits-sd.safetensors');
await prunekit(['import', '--from', `${EX}/digits-mlp.onnx`, '--out', imported]);
await prunekit(['import', '--from', `${EX}/digits-mlp.safetensors`, '--activation', 'relu', '--out', importedSd]);
const torchLogits = Float64Array.from(reference.test_logits.flat());
const zOnnx = logits(loadModel(imported), test.features, n),
  zSd = logits(loadModel(importedSd), test.features, n);
// baseline: onnxruntime running PyTorch's own ONNX file, against PyTorch (both f32, other sum orders)
const ortNode = require('onnxruntime-node');
const source = await ortNode.InferenceSession.create(readFileSync(`${EX}/digits-mlp.onnx`));
const zOrt = (await source.run({ input: new ortNode.Tensor('float32', test.features, [n, 64]) })).logits.data as Float32Array;
await source.release();
const importFigures = {
  maxAbsLogit: Math.max(...torchLogits.map(Math.abs)),
  onnxMaxLogitDiff: maxAbsDiff(zOnnx, torchLogits),
  onnxMaxRelLogitDiff: maxRelDiff(zOnnx, torchLogits),
  stateDictMaxLogitDiff: maxAbsDiff(zSd, torchLogits),
  stateDictMaxRelLogitDiff: maxRelDiff(zSd, torchLogits),
  onnxruntimeOnSourceMaxLogitDiff: maxAbsDiff(zOrt, torchLogits),
  onnxruntimeOnSourceMaxRelLogitDiff: maxRelDiff(zOrt, torchLogits),
  onnxVsStateDictMaxLogitDiff: maxAbsDiff(zOnnx, zSd),
  predictionsIdentical:
    argmaxRows(zOnnx, O).every((p, s) => p === reference.test_predictions[s]) && argmaxRows(zSd, O).every((p, s) => p === reference.test_predictions[s]),
};

// 2. accuracy on the user's test CSV: source model, imported, pruned, compact (runtime)
const evalImported = await prunekit(['eval', '--model', imported, '--data', TRAIN, '--test-data', TEST]);
const pruned = at('digits-90.safetensors');
const pruneArgs = [
  'prune',
  '--model',
  imported,
  '--data',
  TRAIN,
  '--test-data',
  TEST,
  '--sparsity',
  '0.9',
  '--scope',
  'global',
  '--schedule',
  'iterative',
  '--steps',
  '5',
  '--finetune-epochs',
  '8',
  '--lr',
  '0.01',
  '--lr-schedule',
  'constant',
  '--batch',
  '32',
  '--seed',
  '1',
  '--out',
  pruned,
];
const pr = await prunekit(pruneArgs);
const compactPath = at('digits-90.prunekit');
const cj = await prunekit(['compact', '--model', pruned, '--out', compactPath]);
const runtime = loadModelSync(readModelFile(compactPath));
const runtimePred = runtime.predict(test.features, n);
let correct = 0;
for (let s = 0; s < n; s++) if (Number(runtime.labels[runtimePred[s]]) === labelOf(s)) correct++;
const accuracy = {
  source: reference.test_accuracy,
  imported: evalImported.accuracy as number,
  pruned: pr.accuracy as number,
  compactRuntime: correct / n,
  sparsity: pr.sparsity as number,
};
const sizes = { compactBytes: cj.bytes as number, denseF32Bytes: cj.dense_bytes as number, ratio: (cj.bytes as number) / (cj.dense_bytes as number) };

// 3. export: dense and sparse ONNX of the pruned model; onnxruntime vs the runtime; import again
const denseOnnx = at('digits-90.onnx'),
  sparseOnnx = at('digits-90.sparse.onnx'),
  compactOnnx = at('digits-90.compact.onnx');
await prunekit(['export', '--model', pruned, '--out', denseOnnx]);
await prunekit(['export', '--model', pruned, '--out', sparseOnnx, '--sparse']);
await prunekit(['export', '--model', compactPath, '--out', compactOnnx, '--sparse']);
const want = runtime.predictProba(test.features, n);
const ortDiff: Record<string, number> = {};
for (const pkg of ['onnxruntime-node', 'onnxruntime-web']) {
  const ort = require(pkg);
  if (pkg === 'onnxruntime-web') ort.env.wasm.numThreads = 1;
  for (const [name, file] of [
    ['dense', denseOnnx],
    ['sparse', sparseOnnx],
    ['compact-sparse', compactOnnx],
  ]) {
    const session = await ort.InferenceSession.create(readFileSync(file));
    const got = (await session.run({ input: new ort.Tensor('float32', test.features, [n, 64]) })).probabilities.data as Float32Array;
    ortDiff[`${pkg} ${name}`] = maxAbsDiff(got, want);
    await session.release();
  }
}
const roundTrip = at('digits-90-roundtrip.safetensors');
await prunekit(['import', '--from', sparseOnnx, '--out', roundTrip]);
const prunedModel = loadModel(pruned);
const exportFigures = {
  denseOnnxBytes: statSync(denseOnnx).size,
  sparseOnnxBytes: statSync(sparseOnnx).size,
  sparseOverDense: statSync(sparseOnnx).size / statSync(denseOnnx).size,
  maxProbabilityDiffVsRuntime: ortDiff,
  roundTripMaxLogitDiff: maxAbsDiff(logits(loadModel(roundTrip), test.features, n), logits(prunedModel, test.features, n)),
};

const result = {
  commands: { prune: `prunekit ${pruneArgs.join(' ').replaceAll(dir + '/', '')}` },
  import: importFigures,
  accuracy,
  sizes,
  export: exportFigures,
  testSamples: n,
};
if (flags.json) {
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
} else {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  log('');
  const f = (x: number) => x.toExponential(2);
  log(
    `import (logits up to ${importFigures.maxAbsLogit.toFixed(1)} in size): max |logit − PyTorch| ONNX ${f(importFigures.onnxMaxLogitDiff)} (relative ${f(importFigures.onnxMaxRelLogitDiff)}), ` +
      `state dict ${f(importFigures.stateDictMaxLogitDiff)} (relative ${f(importFigures.stateDictMaxRelLogitDiff)}); ` +
      `onnxruntime on PyTorch's own ONNX file: ${f(importFigures.onnxruntimeOnSourceMaxLogitDiff)} (relative ${f(importFigures.onnxruntimeOnSourceMaxRelLogitDiff)}); ` +
      `ONNX vs state dict import ${f(importFigures.onnxVsStateDictMaxLogitDiff)}; test predictions identical: ${importFigures.predictionsIdentical}`,
  );
  log(
    `test accuracy (${n} rows): PyTorch ${pct(accuracy.source)}, imported ${pct(accuracy.imported)}, pruned to ${pct(accuracy.sparsity)} ${pct(accuracy.pruned)}, compact file in the runtime ${pct(accuracy.compactRuntime)} (Δ vs source ${((accuracy.compactRuntime - accuracy.source) * 100).toFixed(2)} points)`,
  );
  log(`compact file ${sizes.compactBytes} bytes = ${sizes.ratio.toFixed(3)}× the dense f32 file (${sizes.denseF32Bytes} bytes)`);
  log(`ONNX: dense ${exportFigures.denseOnnxBytes} bytes, --sparse ${exportFigures.sparseOnnxBytes} bytes = ${exportFigures.sparseOverDense.toFixed(3)}×`);
  for (const [k, v] of Object.entries(ortDiff)) log(`  ${k}: max |probability − runtime| ${v.toExponential(2)}`);
  log(`export → import round trip: max |logit diff| ${exportFigures.roundTripMaxLogitDiff.toExponential(2)}`);
  log(`files in ${dir}`);
}
