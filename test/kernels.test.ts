/**
 * Every wasm kernel build against the plain-TS reference, on random shapes and the edge cases
 * (sizes not a multiple of the SIMD width, 1×1, empty CSR rows, all-zero layers, batch 1–9,
 * more than 65,535 columns with u32 indices).
 *
 * Tolerance (stated): an f32 dot product of K terms computed in any order differs from the exact
 * value by at most γ·Σ|terms| with γ = K·2⁻²⁴ (Higham, "Accuracy and Stability of Numerical
 * Algorithms", §3.1); the reference is f64-accumulated, so we allow (K + 2)·2⁻²⁴·Σ|terms| plus
 * one f32 ulp of the result for the activation (Mathf tanh/exp are within 1 ulp).
 */
import { describe, expect, it } from 'vitest';
import {
  Act,
  type ActCode,
  allocF32,
  createReferenceKernels,
  layerForward,
  loadKernelsSync,
  panelFloats,
  supportedFlavors,
  uploadCsr,
  type Kernels,
} from '../src/kernels/index.js';
import { rng } from './helpers/rng.js';

const U = 2 ** -24;
const flavors = supportedFlavors();
const ref = createReferenceKernels();

type Arr = Float32Array | Uint16Array | Uint32Array;
/** Copies arrays into a backend's memory, returns pointers; `out` lists f32 outputs to allocate. */
function place(k: Kernels, arrays: Arr[]) {
  const mark = k.heapTop();
  const ptrs = arrays.map((a) => {
    const p = k.alloc(a.byteLength);
    new Uint8Array(k.memory.buffer, p, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return p;
  });
  return { ptrs, mark };
}
const readBack = (k: Kernels, p: number, n: number) => new Float32Array(k.memory.buffer, p, n).slice();

/** Runs `call` on both backends with the same inputs; returns the output arrays of each. */
function both(k: Kernels, inputs: Arr[], outLens: number[], call: (k: Kernels, p: number[]) => void) {
  const results: Float32Array[][] = [];
  for (const backend of [k, ref]) {
    const outs = outLens.map((n) => new Float32Array(n).fill(Number.NaN)); // poison: unwritten outputs show
    const { ptrs, mark } = place(backend, [...inputs, ...outs]);
    call(backend, ptrs);
    results.push(outs.map((o, i) => readBack(backend, ptrs[inputs.length + i], o.length)));
    backend.reset(mark);
  }
  return { got: results[0], want: results[1] };
}

function expectClose(got: Float32Array, want: Float32Array, bound: Float32Array | number, what: string) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    const tol = (typeof bound === 'number' ? bound : bound[i]) + Math.abs(want[i]) * 2 * U + 1e-30;
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      throw new Error(`${what}: element ${i}: got ${got[i]}, want ${want[i]} (tolerance ${tol})`);
    }
  }
}

/** Per-output error bound for y = act(A·x + b): (K+2)·u·(|A|·|x| + |b|). */
function denseBound(W: Float32Array, b: Float32Array, X: Float32Array, out: number, inn: number, batch: number) {
  const bound = new Float32Array(out * batch);
  for (let r = 0; r < out; r++)
    for (let j = 0; j < batch; j++) {
      let s = Math.abs(b[r]);
      for (let c = 0; c < inn; c++) s += Math.abs(W[r * inn + c] * X[c * batch + j]);
      bound[r * batch + j] = (inn + 2) * U * s;
    }
  return bound;
}

const acts: [string, ActCode][] = Object.entries(Act);
const shapes: [number, number][] = [
  [1, 1],
  [1, 5],
  [5, 1],
  [3, 3],
  [4, 4],
  [7, 13],
  [8, 16],
  [13, 31],
  [33, 65],
  [100, 300],
  [10, 100],
];
const batches = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 31, 33, 64];

/** Random CSR with a given density, some rows forced empty. */
function randomCsr(r: ReturnType<typeof rng>, rows: number, cols: number, density: number, wide: boolean) {
  const indptr = new Uint32Array(rows + 1);
  const data: number[] = [],
    indices: number[] = [];
  for (let i = 0; i < rows; i++) {
    if (r.next() > 0.15) {
      for (let c = 0; c < cols; c++)
        if (r.next() < density) {
          indices.push(c);
          data.push(r.uniform());
        }
    }
    indptr[i + 1] = data.length;
  }
  return { indptr, data: Float32Array.from(data), indices: wide ? Uint32Array.from(indices) : Uint16Array.from(indices) };
}

describe.each(flavors)('wasm kernels, %s build', (flavor) => {
  const k = loadKernelsSync({ flavor });

  it('reports its flavour', () => expect(k.flavor).toBe(flavor));

  it.each(acts)('f32_gemv matches the reference (%s)', (_name, act) => {
    const r = rng(1 + act);
    for (const [out, inn] of [...shapes, [300, 784]] as [number, number][]) {
      const W = r.f32(out * inn),
        b = r.f32(out),
        x = r.f32(inn);
      const { got, want } = both(k, [W, b, x], [out], (kk, [pW, pb, px, py]) => kk.f32_gemv(pW, pb, px, py, out, inn, act));
      expectClose(got[0], want[0], denseBound(W, b, x, out, inn, 1), `gemv ${out}×${inn}`);
    }
  });

  it.each(acts)('f32_gemm matches the reference for batch sizes 1–9 and beyond (%s)', (_name, act) => {
    const r = rng(10 + act);
    for (const [out, inn] of shapes) {
      for (const batch of batches) {
        const W = r.f32(out * inn),
          b = r.f32(out),
          X = r.f32(inn * batch);
        const { got, want } = both(k, [W, b, X], [out * batch], (kk, [pW, pb, pX, pY]) => kk.f32_gemm(pW, pb, pX, pY, out, inn, batch, act));
        expectClose(got[0], want[0], denseBound(W, b, X, out, inn, batch), `gemm ${out}×${inn} batch ${batch}`);
      }
    }
  });

  it('f32_gemm and f32_gemm_tn with long k and wide batches (ragged register tiles)', () => {
    // k far past the register tile and the L1 line count, batches past 64, sizes not a multiple of 4 or 8
    const r = rng(12);
    for (const [out, inn, batch] of [
      [6, 129, 64],
      [5, 1000, 9],
      [9, 257, 64],
      [4, 33, 1024],
      [3, 17, 1024],
      [5, 128, 64],
    ]) {
      for (const act of [Act.identity, Act.relu, Act.tanh]) {
        const W = r.f32(out * inn),
          b = r.f32(out),
          X = r.f32(inn * batch);
        const { got, want } = both(k, [W, b, X], [out * batch], (kk, [pW, pb, pX, pY]) => kk.f32_gemm(pW, pb, pX, pY, out, inn, batch, act));
        expectClose(got[0], want[0], denseBound(W, b, X, out, inn, batch), `gemm ${out}×${inn} batch ${batch} act ${act}`);
      }
      // backward: k runs over the outputs; out and inn swapped so k is long
      const W = r.f32(inn * out),
        dY = r.f32(inn * batch);
      const { got, want } = both(k, [W, dY], [out * batch], (kk, [pW, pdY, pdX]) => kk.f32_gemm_tn(pW, pdY, pdX, inn, out, batch));
      const Wt = new Float32Array(out * inn);
      for (let i = 0; i < inn; i++) for (let c = 0; c < out; c++) Wt[c * inn + i] = W[i * out + c];
      expectClose(got[0], want[0], denseBound(Wt, new Float32Array(out), dY, out, inn, batch), `gemm_tn ${inn}×${out} batch ${batch}`);
    }
  });

  it.skipIf(flavor === 'relaxed-simd')('f32_gemm and f32_gemm_tn add in k order, bit for bit', () => {
    // Without fused mul-add the result must equal one f32 pass s ← s + w·x over k = 0, 1, …, K−1
    // exactly: a kernel change that reorders the sums (split accumulators, pairwise trees) changes the
    // bytes of every trained model, and this test says so.
    const r = rng(21);
    const inOrder = (
      A: (m: number, kk: number) => number,
      bias: (m: number) => number,
      X: Float32Array,
      M: number,
      K: number,
      batch: number,
      relu: boolean,
    ) => {
      const Y = new Float32Array(M * batch);
      for (let m = 0; m < M; m++)
        for (let j = 0; j < batch; j++) {
          let s = Math.fround(bias(m));
          for (let kk = 0; kk < K; kk++) s = Math.fround(s + Math.fround(A(m, kk) * X[kk * batch + j]));
          Y[m * batch + j] = relu ? Math.max(0, s) : s;
        }
      return Y;
    };
    for (const [out, inn, batch] of [
      [9, 600, 64],
      [5, 513, 65],
      [7, 256, 17],
      [4, 1, 8],
    ]) {
      const W = r.f32(out * inn),
        b = r.f32(out),
        X = r.f32(inn * batch);
      const { got } = both(k, [W, b, X], [out * batch], (kk, [pW, pb, pX, pY]) => kk.f32_gemm(pW, pb, pX, pY, out, inn, batch, Act.relu));
      expect(got[0]).toEqual(
        inOrder(
          (m, c) => W[m * inn + c],
          (m) => b[m],
          X,
          out,
          inn,
          batch,
          true,
        ),
      );
      const dY = r.f32(out * batch);
      const tn = both(k, [W, dY], [inn * batch], (kk, [pW, pdY, pdX]) => kk.f32_gemm_tn(pW, pdY, pdX, out, inn, batch));
      expect(tn.got[0]).toEqual(
        inOrder(
          (c, m) => W[m * inn + c],
          () => 0,
          dY,
          inn,
          out,
          batch,
          false,
        ),
      );
    }
  });

  it('f32_gemm_scratch gives the bits of f32_gemm (odd shapes, batch 1–65, every activation) and writes only its scratch', () => {
    const r = rng(31);
    const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
    const shapes = [
      [1, 1],
      [3, 5],
      [4, 4],
      [5, 7],
      [7, 13],
      [9, 8],
      [13, 31],
      [33, 65],
      [64, 100],
      [10, 300],
    ];
    for (const [out, inn] of shapes) {
      const W = r.f32(out * inn),
        b = r.f32(out);
      for (const batch of [1, 2, 3, 7, 8, 9, 12, 16, 63, 64, 65]) {
        const X = r.f32(inn * batch);
        for (const [name, act] of acts) {
          const plain = both(k, [W, b, X], [out * batch], (kk, [pW, pb, pX, pY]) => kk.f32_gemm(pW, pb, pX, pY, out, inn, batch, act)).got[0];
          // the scratch, 4·inn floats, with 8 NaN floats either side that must stay NaN
          const { got } = both(k, [W, b, X], [out * batch, 4 * inn + 16], (kk, [pW, pb, pX, pY, pS]) =>
            kk.f32_gemm_scratch(pW, pb, pX, pY, out, inn, batch, act, pS + 32),
          );
          expect(bits(got[0]), `${out}×${inn} batch ${batch} ${name}`).toEqual(bits(plain));
          for (const i of [0, 7, 4 * inn + 8, 4 * inn + 15]) expect(got[1][i]).toBeNaN();
        }
      }
    }
  });

  it('f32_gemm on an all-zero layer gives act(bias)', () => {
    const out = 6,
      inn = 9,
      batch = 5,
      r = rng(3);
    const W = new Float32Array(out * inn),
      b = r.f32(out),
      X = r.f32(inn * batch);
    const { got } = both(k, [W, b, X], [out * batch], (kk, [pW, pb, pX, pY]) => kk.f32_gemm(pW, pb, pX, pY, out, inn, batch, Act.relu));
    for (let i = 0; i < out * batch; i++) expect(got[0][i]).toBe(Math.max(0, b[Math.floor(i / batch)]));
  });

  for (const wide of [false, true]) {
    const name = wide ? 'u32' : 'u16';
    it.each(acts)(`CSR SpMV/SpMM (${name} indices) match the reference, with empty rows and all-zero layers (%s)`, (_n, act) => {
      const r = rng(20 + act + (wide ? 100 : 0));
      for (const [out, inn] of shapes) {
        for (const density of [0, 0.05, 0.3, 1]) {
          for (const batch of [1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 32, 33, 63, 64, 65]) {
            const m = randomCsr(r, out, inn, density, wide);
            const b = r.f32(out),
              X = r.f32(inn * batch);
            const { got, want } = both(k, [m.data, m.indices, m.indptr, b, X], [out * batch], (kk, [pd, pi, pp, pb, pX, pY]) => {
              if (batch === 1) (wide ? kk.f32_spmv_csr_u32 : kk.f32_spmv_csr_u16)(pd, pi, pp, pb, pX, pY, out, act);
              else (wide ? kk.f32_spmm_csr_u32 : kk.f32_spmm_csr_u16)(pd, pi, pp, pb, pX, pY, out, batch, act, 0);
            });
            // densify for the bound
            const W = new Float32Array(out * inn);
            for (let i = 0; i < out; i++) for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) W[i * inn + m.indices[q]] = m.data[q];
            expectClose(got[0], want[0], denseBound(W, b, X, out, inn, batch), `csr ${name} ${out}×${inn} d=${density} batch ${batch}`);
          }
        }
      }
    });
  }

  it.skipIf(flavor === 'relaxed-simd')('f32_spmv_csr adds each row in its fixed lane order, bit for bit (ReLU of NaN is 0)', () => {
    // The SIMD SpMV sums a row in 8 lanes (nonzero k of a run of 8 into lane k mod 8), folds lanes
    // 4–7 onto 0–3, adds one more run of 4, then (l0 + l2) + (l1 + l3), then the last 0–3 nonzeros
    // one by one, then the bias; the scalar build sums in k order. This model of that order must match
    // the kernel's bits: a kernel change that reorders the sums changes every prediction, and this
    // test says so. Rows of 0–40 nonzeros reach every remainder mod 8; NaN inputs check that ReLU
    // stays `v > 0 ? v : 0` (NaN → 0), whatever instruction applies it.
    const f = Math.fround;
    const model = (m: ReturnType<typeof randomCsr>, b: Float32Array, x: Float32Array, relu: boolean) =>
      Float32Array.from(b, (bias, r) => {
        const end = m.indptr[r + 1],
          p = (q: number) => f(m.data[q] * x[m.indices[q]]);
        let q = m.indptr[r],
          s = 0;
        if (flavor === 'simd') {
          const lane = new Float32Array(8);
          for (; q + 8 <= end; q += 8) for (let j = 0; j < 8; j++) lane[j] = f(lane[j] + p(q + j));
          for (let j = 0; j < 4; j++) lane[j] = f(lane[j] + lane[j + 4]);
          for (; q + 4 <= end; q += 4) for (let j = 0; j < 4; j++) lane[j] = f(lane[j] + p(q + j));
          s = f(f(lane[0] + lane[2]) + f(lane[1] + lane[3]));
        }
        for (; q < end; q++) s = f(s + p(q));
        const v = f(s + bias);
        // biome-ignore lint/complexity/useMathMinMax: ReLU of NaN is 0 here (Math.max would give NaN)
        return relu ? (v > 0 ? v : 0) : v;
      });
    const r = rng(31);
    for (const wide of [false, true])
      for (const [out, inn] of [
        [1, 1],
        [7, 40],
        [41, 45],
        [30, 300],
      ]) {
        const m = randomCsr(r, out, inn, 0.1 + 0.8 * r.next(), wide),
          b = r.f32(out),
          x = r.f32(inn);
        if (inn > 1) x[r.int(inn)] = Number.NaN;
        for (const act of [Act.identity, Act.relu]) {
          const { got } = both(k, [m.data, m.indices, m.indptr, b, x], [out], (kk, [pd, pi, pp, pb, px, py]) =>
            (wide ? kk.f32_spmv_csr_u32 : kk.f32_spmv_csr_u16)(pd, pi, pp, pb, px, py, out, act),
          );
          // toEqual on numbers: exact values, +0 ≠ -0, NaN = NaN (whatever its payload)
          expect(Array.from(got[0]), `${wide ? 'u32' : 'u16'} ${out}×${inn} act ${act}`).toEqual(Array.from(model(m, b, x, act === Act.relu)));
        }
      }
  });

  it('CSR SpMM on a layer past L2 (over 1 MiB of nonzeros), u16 and u32, ragged batches', () => {
    // 200 × 1500 at density 0.9 (some rows empty): ~230k nonzeros, over 1 MiB of values + indices
    const r = rng(8),
      out = 200,
      inn = 1500;
    for (const wide of [false, true]) {
      const m = randomCsr(r, out, inn, 0.9, wide);
      expect(m.data.length * (4 + (wide ? 4 : 2))).toBeGreaterThan(1 << 20);
      for (const [batch, act] of [
        [16, Act.relu],
        [37, Act.identity],
        [64, Act.tanh],
      ] as [number, ActCode][]) {
        const b = r.f32(out),
          X = r.f32(inn * batch);
        const { got, want } = both(k, [m.data, m.indices, m.indptr, b, X], [out * batch], (kk, [pd, pi, pp, pb, pX, pY]) =>
          (wide ? kk.f32_spmm_csr_u32 : kk.f32_spmm_csr_u16)(pd, pi, pp, pb, pX, pY, out, batch, act, 0),
        );
        const W = new Float32Array(out * inn);
        for (let i = 0; i < out; i++) for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) W[i * inn + m.indices[q]] = m.data[q];
        expectClose(got[0], want[0], denseBound(W, b, X, out, inn, batch), `csr big ${wide ? 'u32' : 'u16'} batch ${batch}`);
      }
    }
  });

  it.each([
    [37, 301],
    [9, 2300],
  ])('CSR SpMM at batch 64 (its own loop orders) gives the bits of any other batch, %i × %i', (out, inn) => {
    // each sample's sum runs over the row's nonzeros in CSR order whatever the batch and loop order
    // (rows outside the chunks up to 2048 columns, chunks outside past them), so sample j of a
    // batch-64 product equals sample j of the same inputs at batch 65, bit for bit
    const r = rng(9 + inn);
    for (const wide of [false, true]) {
      const m = randomCsr(r, out, inn, 0.2, wide),
        b = r.f32(out),
        X64 = r.f32(inn * 64),
        X65 = new Float32Array(inn * 65);
      for (let c = 0; c < inn; c++) {
        X65.set(X64.subarray(c * 64, c * 64 + 64), c * 65);
        X65[c * 65 + 64] = r.uniform();
      }
      const spmm = (batch: number, X: Float32Array) =>
        both(k, [m.data, m.indices, m.indptr, b, X], [out * batch], (kk, [pd, pi, pp, pb, pX, pY]) =>
          (wide ? kk.f32_spmm_csr_u32 : kk.f32_spmm_csr_u16)(pd, pi, pp, pb, pX, pY, out, batch, Act.relu, 0),
        ).got[0];
      const y64 = spmm(64, X64),
        y65 = spmm(65, X65);
      for (let i = 0; i < out; i++) expect(y64.subarray(i * 64, i * 64 + 64)).toEqual(y65.subarray(i * 65, i * 65 + 64));
      const W = new Float32Array(out * inn);
      for (let i = 0; i < out; i++) for (let q = m.indptr[i]; q < m.indptr[i + 1]; q++) W[i * inn + m.indices[q]] = m.data[q];
      const want = both(k, [m.data, m.indices, m.indptr, b, X64], [out * 64], (kk, [pd, pi, pp, pb, pX, pY]) =>
        (wide ? kk.f32_spmm_csr_u32 : kk.f32_spmm_csr_u16)(pd, pi, pp, pb, pX, pY, out, 64, Act.relu, 0),
      ).want[0];
      expectClose(y64, want, denseBound(W, b, X64, out, inn, 64), `csr batch 64 ${out}×${inn}`);
    }
  });

  it.each([
    [37, 301],
    [9, 2300],
    [1, 1],
  ])("CSR SpMM through a packing panel gives the plain SpMM's bits, and packs X into it, %i × %i", (out, inn) => {
    // the panel only moves where X is read from: each sum still runs over the row's nonzeros in CSR
    // order, so the product equals the plain one bit for bit, at every batch and on both sides of
    // the batch-64 loop order's 2048 columns; the panel holds the last full 16-sample chunk after
    const r = rng(40 + inn);
    for (const wide of [false, true])
      for (const batch of [2, 15, 16, 17, 31, 32, 48, 64, 65, 100]) {
        const m = randomCsr(r, out, inn, 0.3, wide);
        if (m.data.length) m.indices[m.indices.length - 1] = inn - 1; // the widest column is read
        const b = r.f32(out),
          X = r.f32(inn * batch);
        const spmm = wide ? k.f32_spmm_csr_u32 : k.f32_spmm_csr_u16;
        const { ptrs, mark } = place(k, [m.data, m.indices, m.indptr, b, X, new Float32Array(out * batch), new Float32Array(16 * inn).fill(Number.NaN)]);
        const [pd, pi, pp, pb, pX, pY, pP] = ptrs;
        spmm(pd, pi, pp, pb, pX, pY, out, batch, Act.relu, 0);
        const plain = readBack(k, pY, out * batch);
        spmm(pd, pi, pp, pb, pX, pY, out, batch, Act.relu, pP);
        const packed = readBack(k, pY, out * batch),
          panel = readBack(k, pP, 16 * inn);
        k.reset(mark);
        expect(packed).toEqual(plain);
        const rowsOutside = batch === 64 && inn <= 2048; // the batch-64 loop order reads X where it lies
        if (flavor === 'scalar' || batch < 16 || rowsOutside || m.data.length === 0) {
          expect(panel.every(Number.isNaN)).toBe(true);
          continue;
        }
        const j = 16 * (Math.floor(batch / 16) - 1);
        for (let c = 0; c < inn; c++) expect(panel.subarray(16 * c, 16 * c + 16)).toEqual(X.subarray(c * batch + j, c * batch + j + 16));
      }
  });

  it('layerForward gives a CSR layer its panel where packing pays, checks its size, and keeps the bits', () => {
    const r = rng(77),
      out = 30,
      inn = 50,
      batch = 20;
    const run = (density: number, panelLen: number | null, edit?: (m: ReturnType<typeof randomCsr>) => void) => {
      const mark = k.heapTop();
      const m = randomCsr(r, out, inn, density, false);
      edit?.(m);
      const L = uploadCsr(k, { rows: out, cols: inn, ...m }, r.f32(out));
      const X = allocF32(k, inn * batch, r.f32(inn * batch)),
        Y = allocF32(k, out * batch);
      const panel = panelLen === null ? null : allocF32(k, panelLen, new Float32Array(panelLen).fill(Number.NaN));
      try {
        layerForward(k, L, X, Y, batch, Act.relu);
        const plain = readBack(k, Y.ptr, out * batch);
        layerForward(k, L, X, Y, batch, Act.relu, panel);
        return { nnz: m.data.length, plain, packed: readBack(k, Y.ptr, out * batch), panel: panel && readBack(k, panel.ptr, panelLen!) };
      } finally {
        k.reset(mark);
      }
    };
    const dense = run(0.9, panelFloats(inn)); // nnz ≥ 8·cols: packed
    expect(dense.nnz).toBeGreaterThanOrEqual(8 * inn);
    expect(dense.packed).toEqual(dense.plain);
    expect(dense.panel!.every(Number.isNaN)).toBe(flavor === 'scalar');
    const sparse = run(0.05, panelFloats(inn)); // a few reads per column: the copy would not pay
    expect(sparse.nnz).toBeLessThan(8 * inn);
    expect(sparse.packed).toEqual(sparse.plain);
    expect(sparse.panel!.every(Number.isNaN)).toBe(true);
    expect(() => run(0.9, panelFloats(inn) - 1)).toThrow(/panel holds 799 floats, the 50-column layer needs 800/);
    // a row whose columns descend (scipy's CSR allows it): the kernel would pack only up to the
    // rows' last indices, so the layer runs unpacked, with the plain loop's bits
    const unsorted = run(0.9, panelFloats(inn), (m) => {
      for (let i = 0; i < out; i++) {
        m.indices.subarray(m.indptr[i], m.indptr[i + 1]).reverse();
        m.data.subarray(m.indptr[i], m.indptr[i + 1]).reverse();
      }
    });
    expect(unsorted.packed).toEqual(unsorted.plain);
    expect(unsorted.panel!.every(Number.isNaN)).toBe(true);
  });

  it('CSR with u32 indices beyond 65,535 columns', () => {
    const r = rng(7),
      out = 5,
      inn = 70_003;
    const m = randomCsr(r, out, inn, 0.001, true);
    m.indices[m.indices.length - 1] = inn - 1; // make sure the largest index is used
    for (const batch of [1, 4, 6]) {
      const b = r.f32(out),
        X = r.f32(inn * batch);
      const { got, want } = both(k, [m.data, m.indices, m.indptr, b, X], [out * batch], (kk, [pd, pi, pp, pb, pX, pY]) =>
        batch === 1 ? kk.f32_spmv_csr_u32(pd, pi, pp, pb, pX, pY, out, 0) : kk.f32_spmm_csr_u32(pd, pi, pp, pb, pX, pY, out, batch, 0, 0),
      );
      expectClose(got[0], want[0], 1e-5, `csr u32 wide batch ${batch}`);
    }
  });

  it('f32_gemm_tn (dX = Wᵀ·dY) matches the reference', () => {
    const r = rng(40);
    for (const [out, inn] of shapes)
      for (const batch of batches) {
        const W = r.f32(out * inn),
          dY = r.f32(out * batch);
        const { got, want } = both(k, [W, dY], [inn * batch], (kk, [pW, pdY, pdX]) => kk.f32_gemm_tn(pW, pdY, pdX, out, inn, batch));
        // transpose W for the bound
        const Wt = new Float32Array(inn * out);
        for (let i = 0; i < out; i++) for (let c = 0; c < inn; c++) Wt[c * out + i] = W[i * inn + c];
        expectClose(got[0], want[0], denseBound(Wt, new Float32Array(inn), dY, inn, out, batch), `gemm_tn ${out}×${inn} batch ${batch}`);
      }
  });

  it('f32_gemm_nt_grad (dW = dY·Xᵀ, db = Σ dY) matches the reference', () => {
    const r = rng(50);
    for (const [out, inn] of shapes)
      for (const batch of batches) {
        const dY = r.f32(out * batch),
          X = r.f32(inn * batch);
        const { got, want } = both(k, [dY, X], [out * inn, out], (kk, [pdY, pX, pdW, pdb]) => kk.f32_gemm_nt_grad(pdY, pX, pdW, pdb, out, inn, batch));
        const tol = (batch + 2) * U * batch; // |terms| ≤ 1 each
        expectClose(got[0], want[0], tol, `gemm_nt_grad dW ${out}×${inn} batch ${batch}`);
        expectClose(got[1], want[1], tol, `gemm_nt_grad db ${out} batch ${batch}`);
      }
  });

  it.each(acts)('f32_act_backward matches the reference (%s)', (_n, act) => {
    const r = rng(60 + act);
    for (const n of [1, 3, 4, 17, 256]) {
      const dY = r.f32(n),
        Y = act === Act.logistic ? r.f32(n, 0, 1) : r.f32(n);
      const { got, want } = both(k, [dY, Y], [n], (kk, [pdY, pY, pdZ]) => kk.f32_act_backward(pdY, pY, pdZ, n, act));
      expectClose(got[0], want[0], 4 * U, `act_backward n=${n}`);
    }
  });

  it('f32_standardize_transpose matches the reference on odd shapes and flags NaN/Inf, in or after standardising', () => {
    const r = rng(80);
    for (const [n, F] of [
      [1, 1],
      [1, 7],
      [3, 5],
      [4, 4],
      [5, 9],
      [8, 16],
      [13, 31],
      [64, 784],
    ] as [number, number][]) {
      const src = r.f32(n * F, -3, 3),
        mean = r.f32(F),
        inv = r.f32(F, 0.1, 2);
      const { got, want } = both(k, [src, mean, inv], [n * F], (kk, [ps, pm, pi, pd]) => {
        expect(kk.f32_standardize_transpose(ps, pd, pm, pi, n, F)).toBe(0);
      });
      expectClose(got[0], want[0], 4 * U * 8, `standardize_transpose ${n}×${F}`); // two roundings of values < 8 in magnitude
    }
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const [n, F, at] of [
        [8, 8, 37],
        [5, 9, 44],
        [4, 4, 0],
      ] as [number, number, number][]) {
        const src = r.f32(n * F);
        src[at] = bad;
        both(k, [src, new Float32Array(F), new Float32Array(F).fill(1)], [n * F], (kk, [ps, pm, pi, pd]) => {
          expect(kk.f32_standardize_transpose(ps, pd, pm, pi, n, F)).toBe(1);
        });
      }
    }
    // finite inputs that overflow f32 once standardised (1e33 · 1e6): flagged too, in the SIMD
    // blocks and in the scalar tails; ±1e33 meeting in one hidden unit would make NaN, and ReLU 0
    for (const [n, F, at] of [
      [8, 8, 37],
      [5, 9, 44],
      [5, 9, 8], // a SIMD row's last feature, past the 4-wide blocks
      [4, 4, 0],
    ] as [number, number, number][]) {
      const src = r.f32(n * F);
      src[at] = at % 2 ? -1e33 : 1e33;
      both(k, [src, new Float32Array(F), new Float32Array(F).fill(1e6)], [n * F], (kk, [ps, pm, pi, pd]) => {
        expect(kk.f32_standardize_transpose(ps, pd, pm, pi, n, F)).toBe(1);
      });
      // x − mean overflows before the scale brings it back (3e38 − (−3e38), then · 0.5): f32 ops
      // overflow there, and the reference, rounding as they do, agrees
      const big = r.f32(n * F);
      big[at] = 3e38;
      both(k, [big, new Float32Array(F).fill(-3e38), new Float32Array(F).fill(0.5)], [n * F], (kk, [ps, pm, pi, pd]) => {
        expect(kk.f32_standardize_transpose(ps, pd, pm, pi, n, F)).toBe(1);
      });
    }
  });

  it('f32_sgd_masked matches the reference and keeps pruned weights and momentum at exactly +0', () => {
    const r = rng(70);
    for (const n of [1, 3, 4, 5, 8, 13, 1001])
      for (const nesterov of [0, 1])
        for (const masked of [false, true]) {
          const w = r.f32(n),
            v = r.f32(n),
            g = r.f32(n);
          const mask = Float32Array.from({ length: n }, () => (r.next() < 0.4 ? 0 : 1));
          const inputs = masked ? [w, v, g, mask] : [w, v, g];
          const run = (kk: Kernels, p: number[]) => {
            for (let step = 0; step < 5; step++) kk.f32_sgd_masked(p[0], p[1], p[2], masked ? p[3] : 0, n, 0.05, 0.9, 1e-3, nesterov);
          };
          const res = [k, ref].map((kk) => {
            const { ptrs, mark } = place(kk, inputs);
            run(kk, ptrs);
            const out = [readBack(kk, ptrs[0], n), readBack(kk, ptrs[1], n)];
            kk.reset(mark);
            return out;
          });
          expectClose(res[0][0], res[1][0], 1e-5, `sgd w n=${n}`);
          expectClose(res[0][1], res[1][1], 1e-5, `sgd v n=${n}`);
          if (masked)
            for (let i = 0; i < n; i++)
              if (mask[i] === 0) {
                expect(Object.is(res[0][0][i], 0)).toBe(true);
                expect(Object.is(res[0][1][i], 0)).toBe(true);
              }
        }
  });

  it('f32_movement_step equals S[i] -= W[i] * G[i] on Float32Arrays bit for bit (f64 product, one rounding)', () => {
    const r = rng(71);
    for (const n of [1, 3, 4, 5, 13, 1001]) {
      const S = r.f32(n).map((x) => x * 3),
        w = r.f32(n),
        g = r.f32(n);
      const expected = S.slice();
      for (let step = 0; step < 4; step++) for (let i = 0; i < n; i++) expected[i] -= w[i] * g[i];
      const { ptrs, mark } = place(k, [S, w, g]);
      for (let step = 0; step < 4; step++) k.f32_movement_step(ptrs[0], ptrs[1], ptrs[2], n);
      const got = readBack(k, ptrs[0], n);
      k.reset(mark);
      expect(Buffer.from(got.buffer).equals(Buffer.from(expected.buffer)), `movement n=${n}`).toBe(true);
    }
  });

  it('f32_sum_squares_masked sums g² over the kept entries only', () => {
    const r = rng(72);
    for (const n of [0, 1, 3, 4, 5, 13, 1001])
      for (const masked of [false, true]) {
        const g = r.f32(n);
        const mask = Float32Array.from({ length: n }, () => (r.next() < 0.4 ? 0 : 1));
        if (n > 2) g[1] = Number.NaN; // a pruned position's value never reaches the sum
        if (n > 2) mask[1] = 0;
        let expected = 0;
        for (let i = 0; i < n; i++) if (!masked || mask[i]) expected += g[i] * g[i];
        const { ptrs, mark } = place(k, [g, mask]);
        const got = k.f32_sum_squares_masked(ptrs[0], masked ? ptrs[1] : 0, n);
        k.reset(mark);
        if (!masked && n > 2) expect(got).toBeNaN();
        else expect(Math.abs(got - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, expected));
      }
  });
});

describe('the SIMD build is what this engine runs by default', () => {
  it('Node 20 without flags offers at least simd and scalar', () => {
    expect(flavors).toContain('simd');
    expect(flavors).toContain('scalar');
  });
});
