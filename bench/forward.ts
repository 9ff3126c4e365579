/**
 * benny suite: one LeNet-300-100 forward pass (784-300-100-10, ReLU hidden), dense vs CSR (u16),
 * at 90% magnitude sparsity, batch 1 and 64 — the same comparison as `prunekit bench`, timed by
 * benchmark.js (through benny) instead of our harness, as a cross-check. Prints medians.
 *
 *   npx tsx bench/forward.ts [sparsity]
 */
import b from 'benny';
import { Act, allocF32, layerForward, loadKernelsSync, uploadCsr, uploadDense, type LayerOnDevice } from '../src/kernels/index.js';
import { createMLP } from '../src/nn/model.js';
import { pruneEachLayer } from '../src/report/bench.js';
import { denseToCsr } from '../src/sparse/csr.js';
import { Rng } from '../src/util/rng.js';

const sparsity = Number(process.argv[2] ?? 0.9);
const sizes = [784, 300, 100, 10];
const k = loadKernelsSync();
const rng = new Rng(1);
const dense: LayerOnDevice[] = [],
  csr: LayerOnDevice[] = [];
// He-initialised weights (seed 1), each layer pruned by magnitude as `prunekit bench` does
for (const L of pruneEachLayer(createMLP({ sizes, activation: 'relu', seed: 1 }), sparsity).layers) {
  dense.push(uploadDense(k, L.weight, L.bias, L.outFeatures, L.inFeatures));
  csr.push(uploadCsr(k, denseToCsr(L.weight, L.outFeatures, L.inFeatures, 'u16'), L.bias));
}

const cases: Parameters<typeof b.suite>[1][] = [];
for (const batch of [1, 64]) {
  const acts = sizes.map((n) => allocF32(k, n * batch));
  new Float32Array(k.memory.buffer, acts[0].ptr, sizes[0] * batch).forEach((_, i, a) => {
    a[i] = rng.next();
  });
  const forward = (net: LayerOnDevice[]) => () => {
    for (let l = 0; l < net.length; l++) layerForward(k, net[l], acts[l], acts[l + 1], batch, l === net.length - 1 ? Act.identity : Act.relu);
  };
  cases.push(b.add(`dense batch ${batch}`, forward(dense)), b.add(`csr batch ${batch}`, forward(csr)));
}

await b.suite(
  `LeNet-300-100 forward, ${sparsity * 100}% sparse, kernels: ${k.flavor}`,
  ...cases,
  b.complete((summary) => {
    for (const r of summary.results) {
      console.log(`${r.name.padEnd(16)} median ${(r.details.median * 1e6).toFixed(1).padStart(8)} µs   (±${r.margin}%, ${r.samples} samples)`);
    }
  }),
);
