/**
 * The sparse-training kernels (assembly/sparse-train.ts) on every build the engine runs: against
 * the plain-TS reference, and against the masked dense gradient the dense kernels compute on the
 * same backend (W with zeros off the pattern): the weight gradient at each nonzero must equal the
 * dense gradient at that position, and Wᵀ·dY must equal the dense product.
 *
 * Tolerance (stated, as in kernels.test.ts): a sum of K f32 terms in any order is within
 * K·2⁻²⁴·Σ|terms| of the exact value (Higham §3.1), so two sums differ by at most (2K + 2)·2⁻²⁴·Σ|terms|.
 */
import { describe, expect, it } from 'vitest';
import {
  allocF32,
  createReferenceKernels,
  csrInputGrad,
  csrWeightGrad,
  type CsrOnDevice,
  type Kernels,
  loadKernelsSync,
  readF32,
  supportedFlavors,
  uploadCsr,
} from '../src/kernels/index.js';
import { rng } from './helpers/rng.js';

const U = 2 ** -24;
const backends: Kernels[] = [...supportedFlavors().map((flavor) => loadKernelsSync({ flavor })), createReferenceKernels()];
const ref = createReferenceKernels();

/** Random CSR pattern and values at a density; some rows forced empty; `density` 0 gives an all-zero layer. */
function randomCsr(r: ReturnType<typeof rng>, rows: number, cols: number, density: number, wide: boolean) {
  const indptr = new Uint32Array(rows + 1);
  const data: number[] = [],
    indices: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (r.next() > 0.15)
      for (let c = 0; c < cols; c++)
        if (r.next() < density) {
          indices.push(c);
          data.push(r.uniform());
        }
    indptr[i + 1] = data.length;
  }
  return { rows, cols, indptr, data: Float32Array.from(data), indices: wide ? Uint32Array.from(indices) : Uint16Array.from(indices) };
}
type Csr = ReturnType<typeof randomCsr>;

function toDense(m: Csr): Float32Array {
  const W = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) W[r * m.cols + m.indices[k]] = m.data[k];
  return W;
}

/** Sparse dW, db, dX on one backend; the masked dense dW, db, dX on the same backend. */
function gradients(k: Kernels, m: Csr, dY: Float32Array, X: Float32Array, batch: number) {
  const mark = k.heapTop();
  try {
    const L = uploadCsr(k, m, new Float32Array(m.rows)) as CsrOnDevice;
    const pdY = allocF32(k, dY.length, dY),
      pX = allocF32(k, X.length, X);
    const dW = allocF32(k, m.data.length),
      db = allocF32(k, m.rows),
      dX = allocF32(k, m.cols * batch);
    new Float32Array(k.memory.buffer, dX.ptr, dX.length).fill(Number.NaN); // poison: the kernel must overwrite
    csrWeightGrad(k, L, pdY, pX, dW, db, batch);
    csrInputGrad(k, L, pdY, dX, batch);
    const Wd = allocF32(k, m.rows * m.cols, toDense(m));
    const dWd = allocF32(k, m.rows * m.cols),
      dbd = allocF32(k, m.rows),
      dXd = allocF32(k, m.cols * batch);
    k.f32_gemm_nt_grad(pdY.ptr, pX.ptr, dWd.ptr, dbd.ptr, m.rows, m.cols, batch);
    k.f32_gemm_tn(Wd.ptr, pdY.ptr, dXd.ptr, m.rows, m.cols, batch);
    return {
      sparse: { dW: readF32(k, dW), db: readF32(k, db), dX: readF32(k, dX) },
      dense: { dW: readF32(k, dWd), db: readF32(k, dbd), dX: readF32(k, dXd) },
    };
  } finally {
    k.reset(mark);
  }
}

function expectWithin(got: number, want: number, tol: number, what: string) {
  if (!(Math.abs(got - want) <= tol + 1e-30)) throw new Error(`${what}: got ${got}, want ${want} (tolerance ${tol})`);
}

/** Σ_b |dY[r][b]·X[c][b]| and Σ_r |W[r][c]·dY[r][b]|: the scales of the two sums. */
const dwScale = (dY: Float32Array, X: Float32Array, r: number, c: number, B: number) => {
  let s = 0;
  for (let j = 0; j < B; j++) s += Math.abs(dY[r * B + j] * X[c * B + j]);
  return s;
};

const shapes: [number, number][] = [
  [1, 1],
  [1, 5],
  [5, 1],
  [3, 3],
  [7, 13],
  [13, 31],
  [33, 65],
  [100, 300],
];
const batches = [1, 2, 3, 5, 7, 9, 16, 31, 64, 67];

describe.each(backends.map((k) => [k.flavor, k] as const))('sparse-training kernels, %s build', (_flavor, k) => {
  it('weight gradient, input gradient: against the reference and the masked dense gradient', () => {
    const r = rng(7);
    for (const [rows, cols] of shapes)
      for (const batch of batches)
        for (const density of [0, 0.1, 0.5, 1]) {
          const m = randomCsr(r, rows, cols, density, batch % 2 === 1);
          const dY = r.f32(rows * batch),
            X = r.f32(cols * batch);
          const got = gradients(k, m, dY, X, batch);
          const want = gradients(ref, m, dY, X, batch).sparse;
          const what = `${rows}×${cols} density ${density} batch ${batch}`;
          for (let row = 0; row < rows; row++) {
            let sb = 0;
            for (let j = 0; j < batch; j++) sb += Math.abs(dY[row * batch + j]);
            expectWithin(got.sparse.db[row], want.db[row], (batch + 2) * U * sb, `db ${what} row ${row}`);
            expectWithin(got.sparse.db[row], got.dense.db[row], (2 * batch + 2) * U * sb, `db vs dense ${what} row ${row}`);
            for (let kk = m.indptr[row]; kk < m.indptr[row + 1]; kk++) {
              const c = m.indices[kk],
                scale = dwScale(dY, X, row, c, batch);
              expectWithin(got.sparse.dW[kk], want.dW[kk], (batch + 2) * U * scale, `dW ${what} (${row}, ${c})`);
              expectWithin(got.sparse.dW[kk], got.dense.dW[row * cols + c], (2 * batch + 2) * U * scale, `dW vs dense ${what} (${row}, ${c})`);
            }
          }
          const W = toDense(m);
          for (let c = 0; c < cols; c++)
            for (let j = 0; j < batch; j++) {
              let scale = 0;
              for (let row = 0; row < rows; row++) scale += Math.abs(W[row * cols + c] * dY[row * batch + j]);
              const i = c * batch + j;
              expectWithin(got.sparse.dX[i], want.dX[i], (rows + 2) * U * scale, `dX ${what} [${c}, ${j}]`);
              expectWithin(got.sparse.dX[i], got.dense.dX[i], (2 * rows + 2) * U * scale, `dX vs dense ${what} [${c}, ${j}]`);
            }
        }
  });

  it('u32 indices beyond 65,535 columns', () => {
    const r = rng(11),
      rows = 3,
      cols = 70_000,
      batch = 5;
    const m = randomCsr(r, rows, cols, 0.001, true);
    m.indptr[rows] = m.data.length;
    const dY = r.f32(rows * batch),
      X = r.f32(cols * batch);
    const got = gradients(k, m, dY, X, batch).sparse,
      want = gradients(ref, m, dY, X, batch).sparse;
    for (let i = 0; i < want.dW.length; i++) expectWithin(got.dW[i], want.dW[i], 16 * U * batch, `dW[${i}]`);
    for (let i = 0; i < want.dX.length; i++) expectWithin(got.dX[i], want.dX[i], 16 * U * rows, `dX[${i}]`);
  });

  it('f32_csr_movement_u16/u32 equal S[r·in + c] -= data·grad on Float32Arrays bit for bit, off the pattern untouched', () => {
    const r = rng(81);
    for (const wide of [false, true])
      for (const [rows, cols, density] of [
        [1, 1, 1],
        [7, 13, 0.3],
        [30, 40, 0.6],
        [5, 9, 0],
      ] as [number, number, number][]) {
        const m = randomCsr(r, rows, cols, density, wide);
        const grad = r.f32(m.data.length),
          S = r.f32(rows * cols);
        const expected = S.slice();
        for (let step = 0; step < 3; step++)
          for (let i = 0; i < rows; i++) for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) expected[i * cols + m.indices[q]] -= m.data[q] * grad[q];
        const mark = k.heapTop();
        const put = (a: Float32Array | Uint16Array | Uint32Array) => {
          const p = k.alloc(Math.max(4, a.byteLength));
          new Uint8Array(k.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
          return p;
        };
        const [pS, pd, pg, pi, pp] = [S, m.data, grad, m.indices, m.indptr].map(put);
        const movement = wide ? k.f32_csr_movement_u32 : k.f32_csr_movement_u16;
        for (let step = 0; step < 3; step++) movement(pS, pd, pg, pi, pp, rows, cols);
        const got = new Float32Array(k.memory.buffer, pS, S.length).slice();
        k.reset(mark);
        expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), `${wide ? 'u32' : 'u16'} ${rows}×${cols}`).toBe(true);
      }
  });

  it('f32_gather_u32 copies through a permutation', () => {
    const mark = k.heapTop();
    const src = allocF32(k, 5, [10, 11, 12, 13, 14]),
      dst = allocF32(k, 5),
      perm = k.alloc(20);
    new Uint32Array(k.memory.buffer, perm, 5).set([4, 0, 3, 3, 1]);
    k.f32_gather_u32(src.ptr, perm, dst.ptr, 5);
    expect(Array.from(readF32(k, dst))).toEqual([14, 10, 13, 13, 11]);
    k.reset(mark);
  });

  it('the checked wrappers refuse buffers too short for the layer and batch', () => {
    const mark = k.heapTop();
    const L = uploadCsr(k, randomCsr(rng(3), 4, 6, 1, false), new Float32Array(4)) as CsrOnDevice;
    const ok = (n: number) => allocF32(k, n);
    expect(() => csrWeightGrad(k, L, ok(4 * 3), ok(6 * 2), ok(L.nnz), ok(4), 3)).toThrow(/X holds 12 values.*needs 18/);
    expect(() => csrWeightGrad(k, L, ok(12), ok(18), ok(L.nnz - 1), ok(4), 3)).toThrow(/dW holds/);
    expect(() => csrInputGrad(k, L, ok(12), ok(17), 3)).toThrow(/dX holds 17/);
    expect(() => csrInputGrad(k, L, ok(12), ok(18), 0)).toThrow(/batch must be a positive integer/);
    k.reset(mark);
  });
});
