/**
 * Paired A/B benchmark of two kernel builds in one process: the same pruned weights uploaded to
 * build A (e.g. a saved copy of the previous wasm) and build B (default: this checkout's build of
 * the same flavour), each forward pass timed in the same interleaved rounds, and B's speed-up over
 * A paired per round (src/report/latency.ts). Outputs of A and B are compared before timing.
 * This is how a kernel change earns its place (BENCHMARKS.md, "Tried, did not help").
 *
 *   npx tsx bench/kernel-ab.ts OLD.wasm [NEW.wasm] [--flavor simd] [--layers 1024,4096,1024]
 *                              [--sparsity 0,0.9] [--batch 1,64] [--format dense,csr] [--runs 15] [--min-run-ms 5]
 *                              [--clock wall|cpu] [--plain-a]
 *
 * --clock cpu times each run by this process's CPU time (process.cpuUsage) instead of wall time:
 * on a machine shared with other busy processes it leaves out the time they held the core.
 * Dense layers run the inference GEMM `f32_gemm_scratch` where a build has it, else `f32_gemm`;
 * --plain-a makes build A run `f32_gemm` (one build against itself then times the scratch copy alone).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  Act,
  allocF32,
  layerForward,
  panelFloats,
  loadKernelsSync,
  uploadCsr,
  uploadDense,
  type F32Buf,
  type Kernels,
  type LayerOnDevice,
  type WasmFlavor,
} from '../src/kernels/index.js';
import { createMLP, type MLP } from '../src/nn/model.js';
import { pruneEachLayer } from '../src/report/bench.js';
import { pairedRatio, timeInterleaved, type Variant } from '../src/report/latency.js';
import { denseToCsr } from '../src/sparse/csr.js';
import { Rng } from '../src/util/rng.js';

const { values: a, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    flavor: { type: 'string', default: 'simd' },
    layers: { type: 'string', default: '1024,4096,1024' },
    sparsity: { type: 'string', default: '0,0.9' },
    batch: { type: 'string', default: '1,64' },
    runs: { type: 'string', default: '15' },
    format: { type: 'string', default: 'dense,csr' },
    'min-run-ms': { type: 'string', default: '5' },
    clock: { type: 'string', default: 'wall' },
    'plain-a': { type: 'boolean', default: false },
  },
});
const flavor = a.flavor as WasmFlavor;
const fileA = positionals[0];
if (!fileA) throw new Error('usage: npx tsx bench/kernel-ab.ts OLD.wasm [NEW.wasm] [--flavor …] [--layers …] [--sparsity …] [--batch …]');
const fileB = positionals[1] ?? fileURLToPath(new URL(`../wasm/kernels-${flavor}.wasm`, import.meta.url));
const load = (file: string) => loadKernelsSync({ module: new WebAssembly.Module(readFileSync(file)), moduleFlavor: flavor });
const layers = a.layers!.split(',').map(Number),
  sparsities = a.sparsity!.split(',').map(Number),
  batches = a.batch!.split(',').map(Number);

/** One model on one build: its layers in one format, and activation buffers per batch. */
function upload(k: Kernels, m: MLP, format: 'dense' | 'csr', plain: boolean): LayerOnDevice[] {
  const runs = plain || typeof k.f32_gemm_scratch !== 'function' ? 0 : 1;
  return m.layers.map((L) =>
    format === 'dense'
      ? uploadDense(k, L.weight, L.bias, L.outFeatures, L.inFeatures, runs)
      : uploadCsr(k, denseToCsr(L.weight, L.outFeatures, L.inFeatures, L.inFeatures <= 65536 ? 'u16' : 'u32'), L.bias),
  );
}
function forward(k: Kernels, net: LayerOnDevice[], acts: F32Buf[], batch: number): () => void {
  // the CSR SpMM's packing scratch (builds before it ignore the argument)
  const panel = allocF32(k, panelFloats(Math.max(...layers.slice(0, -1))));
  return () => {
    for (let l = 0; l < net.length; l++) layerForward(k, net[l], acts[l], acts[l + 1], batch, l === net.length - 1 ? Act.identity : Act.relu, panel);
  };
}

const builds = { A: load(fileA), B: load(fileB) };
const full = createMLP({ sizes: layers, activation: 'relu', seed: 1 });
const rng = new Rng(2);
const variants: Variant[] = [];
const pairs: string[] = [];
for (const s of sparsities) {
  const m = pruneEachLayer(full, s);
  for (const batch of batches) {
    const x = Float32Array.from({ length: layers[0] * batch }, () => rng.next());
    for (const format of a.format!.split(',') as ('dense' | 'csr')[]) {
      const outs: Float32Array[] = [];
      for (const [name, k] of Object.entries(builds)) {
        const net = upload(k, m, format, name === 'A' && a['plain-a']!);
        const acts = layers.map((n, i) => allocF32(k, n * batch, i === 0 ? x : undefined));
        const fn = forward(k, net, acts, batch);
        fn();
        outs.push(new Float32Array(k.memory.buffer, acts.at(-1)!.ptr, layers.at(-1)! * batch).slice());
        variants.push({ name: `${s}/${batch}/${format}/${name}`, fn });
      }
      let diff = 0,
        scale = 1;
      for (let i = 0; i < outs[0].length; i++) {
        diff = Math.max(diff, Math.abs(outs[0][i] - outs[1][i]));
        scale = Math.max(scale, Math.abs(outs[0][i]));
      }
      if (!(diff <= 1e-4 * scale)) throw new Error(`${s}/${batch}/${format}: builds A and B disagree by ${diff}`);
      pairs.push(`${s}/${batch}/${format}`);
    }
  }
}
if (a.clock !== 'wall' && a.clock !== 'cpu') throw new Error(`--clock: expected wall or cpu, got ${a.clock}`);
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const timings = await timeInterleaved(variants, { runs: Number(a.runs), minRunMs: Number(a['min-run-ms']), clock: a.clock === 'cpu' ? cpuMs : undefined });
const T = (n: string) => timings.find((t) => t.name === n)!;
console.log(
  `A = ${fileA}\nB = ${fileB}\nlayers ${layers.join('-')}, flavour ${flavor}, ${a.clock} clock; speed-up = A time / B time, paired per round (> 1: B faster)`,
);
for (const p of pairs) {
  const A = T(`${p}/A`),
    B = T(`${p}/B`);
  console.log(
    `${p.padEnd(16)} A ${A.median_us.toFixed(1).padStart(10)} µs  B ${B.median_us.toFixed(1).padStart(10)} µs  B speed-up ${pairedRatio(A, B).toFixed(3)}× (by min ${(A.min_us / B.min_us).toFixed(3)}×)`,
  );
}
