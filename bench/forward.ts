/**
 * benny suite: one LeNet-300-100 forward pass (784-300-100-10, ReLU hidden), dense vs CSR (u16),
 * at 90% magnitude sparsity, batch 1 and 64 — the same comparison as `prunekit bench`, timed by
 * benchmark.js (through benny) instead of our harness, as a cross-check. Prints medians.
 *
 *   npx tsx bench/forward.ts [sparsity]
 */
import b from 'benny';
import { Act, allocF32, layerForward, loadKernelsSync, uploadCsr, uploadDense, type LayerOnDevice } from '../src/kernels/index.js';
import { denseToCsr, magnitudePrune } from '../src/cli/commands/bench.js';
import { Rng } from '../src/util/rng.js';

const sparsity = Number(process.argv[2] ?? 0.9);
const sizes = [784, 300, 100, 10];
const k = loadKernelsSync();
const rng = new Rng(1);
const dense: LayerOnDevice[] = [], csr: LayerOnDevice[] = [];
for (let l = 0; l + 1 < sizes.length; l++) {
  const rows = sizes[l + 1], cols = sizes[l];
  const w = magnitudePrune(Float32Array.from({ length: rows * cols }, () => rng.normal() * Math.sqrt(2 / cols)), sparsity);
  const bias = new Float32Array(rows);
  dense.push(uploadDense(k, w, bias, rows, cols));
  csr.push(uploadCsr(k, denseToCsr(w, rows, cols), bias));
}

const cases: Parameters<typeof b.suite>[1][] = [];
for (const batch of [1, 64]) {
  const acts = sizes.map((n) => allocF32(k, n * batch));
  new Float32Array(k.memory.buffer, acts[0].ptr, sizes[0] * batch).forEach((_, i, a) => { a[i] = rng.next(); });
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
