/**
 * The batch-1 CSR kernel (`f32_spmv_csr_u16`, ReLU) of two or more builds on one 784-column layer of
 * ~23.5k nonzeros laid out four ways, each build timed by CPU clock in the same interleaved rounds:
 *
 *   npx tsx bench/spmv-rows.ts OLD.wasm NEW.wasm [--flavor simd] [--rounds 61] [--calls 2000]
 *
 * binom78: 300 rows with Binomial(784, 0.1) nonzeros (LeNet-300-100's first layer at 90%);
 * fixed78 / fixed80: every row 78 / 80 nonzeros (the same remainder in every row: the loop exits
 * are predictable); long: 10 rows of 2,352 nonzeros over 4,096 columns (hardly any per-row cost).
 * ns per nonzero of long against binom78 is what a row costs beyond its nonzeros. The outputs of
 * every build are compared bit for bit before timing.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadKernelsSync, type WasmFlavor } from '../src/kernels/index.js';
import { Rng } from '../src/util/rng.js';

const { values: a, positionals: files } = parseArgs({
  allowPositionals: true,
  options: { flavor: { type: 'string', default: 'simd' }, rounds: { type: 'string', default: '61' }, calls: { type: 'string', default: '2000' } },
});
if (files.length < 2) throw new Error('usage: npx tsx bench/spmv-rows.ts OLD.wasm NEW.wasm [more.wasm …] [--flavor simd] [--rounds 61] [--calls 2000]');
const rng = new Rng(1);

function layout(rows: number, cols: number, lens: number[]) {
  const indptr = new Uint32Array(rows + 1);
  for (let r = 0; r < rows; r++) indptr[r + 1] = indptr[r] + lens[r];
  const nnz = indptr[rows],
    indices = new Uint16Array(nnz),
    data = Float32Array.from({ length: nnz }, () => rng.next() - 0.5);
  for (let r = 0; r < rows; r++) {
    const picked = new Set<number>();
    while (picked.size < lens[r]) picked.add(Math.floor(rng.next() * cols));
    [...picked].sort((p, q) => p - q).forEach((c, j) => (indices[indptr[r] + j] = c));
  }
  return { rows, cols, nnz, indptr, indices, data, x: Float32Array.from({ length: cols }, () => rng.next() - 0.5) };
}
const binomial = () => Array.from({ length: 784 }, () => rng.next() < 0.1).filter(Boolean).length;
const layouts = {
  binom78: layout(300, 784, Array.from({ length: 300 }, binomial)),
  fixed78: layout(300, 784, Array(300).fill(78)),
  fixed80: layout(300, 784, Array(300).fill(80)),
  long: layout(10, 4096, Array(10).fill(2352)),
};

const builds = files.map((f) => loadKernelsSync({ module: new WebAssembly.Module(readFileSync(f)), moduleFlavor: a.flavor as WasmFlavor }));
const cases: { name: string; build: number; nnz: number; run: () => void; y: () => Uint32Array; t: number[] }[] = [];
for (const [name, L] of Object.entries(layouts)) {
  builds.forEach((k, build) => {
    const put = (arr: Float32Array | Uint16Array | Uint32Array) => {
      const p = k.alloc(arr.byteLength);
      new Uint8Array(k.memory.buffer, p, arr.byteLength).set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
      return p;
    };
    const D = put(L.data),
      I = put(L.indices),
      P = put(L.indptr),
      B = put(new Float32Array(L.rows)),
      X = put(L.x),
      Y = put(new Float32Array(L.rows));
    const run = () => k.f32_spmv_csr_u16(D, I, P, B, X, Y, L.rows, 1);
    cases.push({ name, build, nnz: L.nnz, run, y: () => new Uint32Array(k.memory.buffer, Y, L.rows).slice(), t: [] });
  });
}
for (const c of cases) c.run();
for (const c of cases) {
  const first = cases.find((o) => o.name === c.name && o.build === 0)!;
  if (c.y().some((v, i) => v !== first.y()[i])) throw new Error(`${c.name}: ${files[c.build]} and ${files[0]} differ`);
}
const calls = Number(a.calls);
for (let round = 0; round < Number(a.rounds); round++)
  for (const c of cases) {
    const t0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) c.run();
    const t = process.cpuUsage(t0);
    c.t.push((t.user + t.system) / calls);
  }
const median = (v: number[]) => [...v].sort((p, q) => p - q)[v.length >> 1];
console.log(`CPU clock, median over ${a.rounds} rounds; speed-up = build 0's time / this build's, paired per round`);
for (const c of cases) {
  const base = cases.find((o) => o.name === c.name && o.build === 0)!;
  const paired = c.build === 0 ? '' : `  speed-up ${median(base.t.map((tb, r) => tb / c.t[r])).toFixed(3)}×`;
  console.log(
    `${c.name.padEnd(8)} ${files[c.build].padEnd(40)} ${median(c.t).toFixed(2).padStart(7)} µs  ${((median(c.t) * 1000) / c.nnz).toFixed(3)} ns/nonzero${paired}`,
  );
}
