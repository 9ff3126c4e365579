/**
 * The input gradient dX = Wᵀ·dY of a CSR layer, two ways, in one process and interleaved rounds:
 *   scatter     f32_csr_input_grad: for each nonzero (r, c), dX[c] += W[r,c]·dY[r] (one pass over W's CSR);
 *   transposed  a CSR copy of Wᵀ (rows = inputs) run through the forward SpMM (zero bias, identity),
 *               plus the f32_gather_u32 that keeps its values in step after every SGD step.
 * LeNet-300-100's layers at batch 64, random patterns at each sparsity; median of the rounds.
 *
 *   npx tsx bench/sparse-input-grad.ts [--rounds 15]
 */
import { parseArgs } from 'node:util';
import { allocF32, loadKernelsSync, type Kernels } from '../src/kernels/index.js';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string' } } });
const rounds = Number(flags.rounds ?? 15);
const k: Kernels = loadKernelsSync();
const B = 64;
let seed = 1;
const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;

function pattern(rows: number, cols: number, density: number) {
  const indptr = new Uint32Array(rows + 1),
    idx: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (Math.abs(rand()) < density) idx.push(c);
    indptr[r + 1] = idx.length;
  }
  return { indptr, indices: Uint16Array.from(idx) };
}

/** The transpose of a CSR pattern: row pointers over columns, row indices, perm[k'] = position in the original data. */
function transpose(rows: number, cols: number, indptr: Uint32Array, indices: Uint16Array) {
  const count = new Uint32Array(cols + 1);
  for (const c of indices) count[c + 1]++;
  for (let c = 0; c < cols; c++) count[c + 1] += count[c];
  const next = count.slice(0, cols),
    rowsT = new Uint16Array(indices.length),
    perm = new Uint32Array(indices.length);
  for (let r = 0; r < rows; r++)
    for (let q = indptr[r]; q < indptr[r + 1]; q++) {
      const t = next[indices[q]]++;
      rowsT[t] = r;
      perm[t] = q;
    }
  return { indptr: count, indices: rowsT, perm };
}

function put(a: Uint16Array | Uint32Array): number {
  const p = k.alloc(a.byteLength);
  new Uint8Array(k.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return p;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const layers: [number, number][] = [
  [300, 784],
  [100, 300],
  [10, 100],
];
console.log(`input gradient Wᵀ·dY, batch ${B}, ${k.flavor} build, median of ${rounds} interleaved rounds (µs per call, all three LeNet-300-100 layers)`);
for (const sparsity of [0.5, 0.9, 0.98]) {
  const setups = layers.map(([out, inn]) => {
    const p = pattern(out, inn, 1 - sparsity),
      t = transpose(out, inn, p.indptr, p.indices),
      nnz = p.indices.length;
    const data = allocF32(k, nnz, Float32Array.from({ length: nnz }, rand));
    return {
      out,
      inn,
      nnz,
      data,
      ind: put(p.indices),
      ptr: put(p.indptr),
      indT: put(t.indices),
      ptrT: put(t.indptr),
      perm: put(t.perm),
      dataT: allocF32(k, nnz),
      zero: allocF32(k, inn),
      dY: allocF32(k, out * B, Float32Array.from({ length: out * B }, rand)),
      dX: allocF32(k, inn * B),
    };
  });
  const scatter = () => {
    for (const s of setups) k.f32_csr_input_grad_u16(s.data.ptr, s.ind, s.ptr, s.dY.ptr, s.dX.ptr, s.out, s.inn, B);
  };
  const transposed = () => {
    for (const s of setups) {
      k.f32_gather_u32(s.data.ptr, s.perm, s.dataT.ptr, s.nnz);
      k.f32_spmm_csr_u16(s.dataT.ptr, s.indT, s.ptrT, s.zero.ptr, s.dY.ptr, s.dX.ptr, s.inn, B, 0, 0);
    }
  };
  const times: Record<string, number[]> = { scatter: [], transposed: [] };
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of [
      ['scatter', scatter],
      ['transposed', transposed],
    ] as const) {
      const reps = 20,
        t0 = performance.now();
      for (let i = 0; i < reps; i++) fn();
      times[name].push(((performance.now() - t0) / reps) * 1000);
    }
  }
  const sc = median(times.scatter),
    tr = median(times.transposed);
  console.log(`sparsity ${sparsity}: scatter ${sc.toFixed(1)} µs, transposed + gather ${tr.toFixed(1)} µs (transposed/scatter ${(tr / sc).toFixed(2)})`);
}
