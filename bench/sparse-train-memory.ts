/**
 * Memory a training network holds, dense path vs sparse path, for LeNet-300-100 (784-300-100-10)
 * with every layer masked at one sparsity (random pattern; only the count of nonzeros matters):
 *   per layer   `Network.heldBytes`: kernel (wasm) bytes of its weight-side buffers — dense: W, ∂L/∂W,
 *               momentum and the f32 mask, out × in each; sparse: CSR values and indices, the transposed
 *               copy and its permutation, gradient and momentum per nonzero, row pointers — plus the
 *               bias, its gradient and momentum; host bytes (a sparse layer's positions).
 *   network     the kernel arena a whole Network takes at batch 64 (layers plus activations, ∂L/∂Z
 *               and input staging), every masked layer dense vs every one sparse.
 * Sizes, not timings: one run gives the figures.
 *
 *   npx tsx bench/sparse-train-memory.ts [--sparsity 0.9,0.98] [--batch 64] [--json]
 */
import { parseArgs } from 'node:util';
import { loadKernelsSync } from '../src/kernels/index.js';
import { createMLP } from '../src/nn/model.js';
import { Network } from '../src/nn/network.js';
import { Rng } from '../src/util/rng.js';

const { values: flags } = parseArgs({ options: { sparsity: { type: 'string' }, batch: { type: 'string' }, json: { type: 'boolean' } } });
const sparsities = (flags.sparsity ?? '0.9,0.98').split(',').map(Number);
const B = Number(flags.batch ?? 64);
const sizes = [784, 300, 100, 10];
const k = loadKernelsSync();

function maskedLeNet(sparsity: number) {
  const m = createMLP({ sizes, activation: 'relu', seed: 1 });
  const rng = new Rng(2);
  for (const l of m.layers) {
    const n = l.weight.length,
      keep = Math.round((1 - sparsity) * n);
    const order = rng.shuffle(Int32Array.from({ length: n }, (_, i) => i));
    l.mask = new Uint8Array(n);
    for (let q = 0; q < keep; q++) l.mask[order[q]] = 1;
    for (let j = 0; j < n; j++) if (!l.mask[j]) l.weight[j] = 0;
  }
  return m;
}

/** A Network built on the kernel arena, measured, released. */
function measure(sparsity: number, sparseBelow: number) {
  const m = maskedLeNet(sparsity);
  const mark = k.heapTop();
  try {
    const net = new Network(k, m, B, { sparseBelow });
    return { arena: k.heapTop() - mark, layers: m.layers.map((l, i) => ({ nnz: l.mask!.reduce((a, v) => a + v, 0), ...net.heldBytes(i) })) };
  } finally {
    k.reset(mark);
  }
}

const rows = sparsities.map((s) => {
  const dense = measure(s, 0),
    sparse = measure(s, 1);
  return {
    sparsity: s,
    batch: B,
    layers: dense.layers.map((d, i) => ({
      shape: `${sizes[i + 1]}×${sizes[i]}`,
      nnz: d.nnz,
      denseBytes: d.wasm,
      sparseBytes: sparse.layers[i].wasm,
      sparseHostBytes: sparse.layers[i].host,
    })),
    denseNetworkBytes: dense.arena,
    sparseNetworkBytes: sparse.arena,
  };
});

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
if (flags.json) console.log(JSON.stringify(rows, null, 2));
else
  for (const r of rows) {
    console.log(`sparsity ${r.sparsity}, batch ${r.batch}`);
    for (const l of r.layers)
      console.log(
        `  ${l.shape.padEnd(8)} nnz ${String(l.nnz).padStart(6)}  dense ${kb(l.denseBytes).padStart(11)}  sparse ${kb(l.sparseBytes).padStart(10)} (+ host ${kb(l.sparseHostBytes)})  ${(l.sparseBytes / l.denseBytes).toFixed(3)}×`,
      );
    console.log(
      `  whole network (arena): dense ${kb(r.denseNetworkBytes)}, sparse ${kb(r.sparseNetworkBytes)}, ${(r.sparseNetworkBytes / r.denseNetworkBytes).toFixed(3)}×`,
    );
  }
