/**
 * The plain-TypeScript reference: the living definition of every kernel, kept beside the fast
 * path on purpose (llm.c keeps its naive matmul for the same reason). Same interface, same
 * memory layout, same pointers as the wasm builds; every wasm kernel is tested against it.
 * Sums are accumulated in f64 and rounded to f32 once, on store.
 */
import { activate } from './activation.js';
import { Arena } from './arena.js';
import type { ActCode, Kernels, Ptr } from './types.js';

export function createReferenceKernels(memory = new WebAssembly.Memory({ initial: 2 })): Kernels {
  const arena = new Arena(memory);
  const f32 = () => new Float32Array(memory.buffer);
  const u32 = () => new Uint32Array(memory.buffer);
  const u16 = () => new Uint16Array(memory.buffer);
  const f = (p: Ptr) => p >>> 2; // f32 / u32 element index of a byte pointer
  type IndexReader = (k: number) => number;

  function spmm(data: Ptr, indices: IndexReader, indptr: Ptr, b: Ptr, X: Ptr, Y: Ptr, out: number, batch: number, a: ActCode) {
    const m = f32(),
      ip = u32();
    for (let r = 0; r < out; r++) {
      for (let j = 0; j < batch; j++) {
        let s = 0;
        for (let k = ip[f(indptr) + r]; k < ip[f(indptr) + r + 1]; k++) s += m[f(data) + k] * m[f(X) + indices(k) * batch + j];
        m[f(Y) + r * batch + j] = activate(s + m[f(b) + r], a);
      }
    }
  }
  const idx16 = (indices: Ptr): IndexReader => {
    const v = u16();
    return (k) => v[(indices >>> 1) + k];
  };
  const idx32 = (indices: Ptr): IndexReader => {
    const v = u32();
    return (k) => v[f(indices) + k];
  };

  /** Rows [c0, c0+n) of dX[in×batch] = Wᵀ·dY[out×batch]. */
  function gemmTnRows(W: Ptr, dY: Ptr, dX: Ptr, out: number, inn: number, batch: number, c0: number, n: number) {
    const m = f32();
    for (let c = c0; c < c0 + n; c++) {
      for (let j = 0; j < batch; j++) {
        let s = 0;
        for (let r = 0; r < out; r++) s += m[f(W) + r * inn + c] * m[f(dY) + r * batch + j];
        m[f(dX) + c * batch + j] = s;
      }
    }
  }

  /** dW[k] = Σ_b dY[r][b]·X[c_k][b] over the nonzeros k = (r, c_k);  db[r] = Σ_b dY[r][b]. */
  function csrWeightGrad(indices: IndexReader, indptr: Ptr, dY: Ptr, X: Ptr, dW: Ptr, db: Ptr, out: number, batch: number) {
    const m = f32(),
      ip = u32();
    for (let r = 0; r < out; r++) {
      let sb = 0;
      for (let j = 0; j < batch; j++) sb += m[f(dY) + r * batch + j];
      m[f(db) + r] = sb;
      for (let k = ip[f(indptr) + r]; k < ip[f(indptr) + r + 1]; k++) {
        let s = 0;
        for (let j = 0; j < batch; j++) s += m[f(dY) + r * batch + j] * m[f(X) + indices(k) * batch + j];
        m[f(dW) + k] = s;
      }
    }
  }
  /** dX[c][b] = Σ_{nonzeros (r, c)} W[r][c]·dY[r][b], summed in f64 per output element. */
  /** S[r·in + c_k] −= data[k]·grad[k] over the nonzeros k = (r, c_k). */
  function csrMovement(S: Ptr, data: Ptr, grad: Ptr, indices: IndexReader, indptr: Ptr, out: number, inn: number) {
    const m = f32(),
      ip = u32();
    for (let r = 0; r < out; r++)
      for (let k = ip[f(indptr) + r]; k < ip[f(indptr) + r + 1]; k++) m[f(S) + r * inn + indices(k)] -= m[f(data) + k] * m[f(grad) + k];
  }

  function csrInputGrad(data: Ptr, indices: IndexReader, indptr: Ptr, dY: Ptr, dX: Ptr, out: number, inn: number, batch: number) {
    const m = f32(),
      ip = u32();
    const acc = new Float64Array(inn * batch);
    for (let r = 0; r < out; r++) {
      for (let k = ip[f(indptr) + r]; k < ip[f(indptr) + r + 1]; k++) {
        const w = m[f(data) + k],
          c = indices(k);
        for (let j = 0; j < batch; j++) acc[c * batch + j] += w * m[f(dY) + r * batch + j];
      }
    }
    m.set(acc, f(dX));
  }

  const k: Kernels = {
    flavor: 'reference',
    memory,
    f32_gemv(W, b, x, y, out, inn, a) {
      k.f32_gemm(W, b, x, y, out, inn, 1, a);
    },
    f32_gemm(W, b, X, Y, out, inn, batch, a) {
      const m = f32();
      for (let r = 0; r < out; r++) {
        for (let j = 0; j < batch; j++) {
          let s = 0;
          for (let c = 0; c < inn; c++) s += m[f(W) + r * inn + c] * m[f(X) + c * batch + j];
          m[f(Y) + r * batch + j] = activate(s + m[f(b) + r], a);
        }
      }
    },
    f32_gemm_scratch: (W, b, X, Y, out, inn, batch, a) => k.f32_gemm(W, b, X, Y, out, inn, batch, a), // the scratch is the wasm kernels' business
    f32_spmv_csr_u16: (data, indices, indptr, b, x, y, out, a) => spmm(data, idx16(indices), indptr, b, x, y, out, 1, a),
    f32_spmv_csr_u32: (data, indices, indptr, b, x, y, out, a) => spmm(data, idx32(indices), indptr, b, x, y, out, 1, a),
    // the panel, like the GEMM's scratch, is the wasm kernels' business
    f32_spmm_csr_u16: (data, indices, indptr, b, X, Y, out, batch, a) => spmm(data, idx16(indices), indptr, b, X, Y, out, batch, a),
    f32_spmm_csr_u32: (data, indices, indptr, b, X, Y, out, batch, a) => spmm(data, idx32(indices), indptr, b, X, Y, out, batch, a),
    f32_act_backward(dY, Y, dZ, n, a) {
      const m = f32();
      for (let i = 0; i < n; i++) {
        const g = m[f(dY) + i],
          y = m[f(Y) + i];
        m[f(dZ) + i] = a === 1 ? (y > 0 ? g : 0) : a === 2 ? g * (1 - y * y) : a === 3 ? g * y * (1 - y) : g;
      }
    },
    f32_gemm_tn: (W, dY, dX, out, inn, batch) => gemmTnRows(W, dY, dX, out, inn, batch, 0, inn),
    f32_gemm_tn_rows: gemmTnRows,
    f32_gemm_nt_grad(dY, X, dW, db, out, inn, batch) {
      const m = f32();
      for (let r = 0; r < out; r++) {
        let sb = 0;
        for (let j = 0; j < batch; j++) sb += m[f(dY) + r * batch + j];
        m[f(db) + r] = sb;
        for (let c = 0; c < inn; c++) {
          let s = 0;
          for (let j = 0; j < batch; j++) s += m[f(dY) + r * batch + j] * m[f(X) + c * batch + j];
          m[f(dW) + r * inn + c] = s;
        }
      }
    },
    f32_sgd_masked(w, v, g, mask, n, lr, mu, wd, nesterov) {
      const m = f32();
      for (let i = 0; i < n; i++) {
        const gi = m[f(g) + i] + wd * m[f(w) + i];
        const vi = mu * m[f(v) + i] + gi;
        const step = nesterov ? gi + mu * vi : vi;
        const keep = mask === 0 || m[f(mask) + i] !== 0;
        m[f(w) + i] = keep ? m[f(w) + i] - lr * step : 0;
        m[f(v) + i] = keep ? vi : 0;
      }
    },
    f32_movement_step(S, W, G, n) {
      const m = f32();
      for (let i = 0; i < n; i++) m[f(S) + i] -= m[f(W) + i] * m[f(G) + i];
    },
    f32_csr_movement_u16: (S, data, grad, indices, indptr, out, inn) => csrMovement(S, data, grad, idx16(indices), indptr, out, inn),
    f32_csr_movement_u32: (S, data, grad, indices, indptr, out, inn) => csrMovement(S, data, grad, idx32(indices), indptr, out, inn),
    f32_sum_squares_masked(g, mask, n) {
      const m = f32();
      let s = 0;
      for (let i = 0; i < n; i++) if (mask === 0 || m[f(mask) + i] !== 0) s += m[f(g) + i] ** 2;
      return s;
    },
    f32_csr_weight_grad_u16: (indices, indptr, dY, X, dW, db, out, batch) => csrWeightGrad(idx16(indices), indptr, dY, X, dW, db, out, batch),
    f32_csr_weight_grad_u32: (indices, indptr, dY, X, dW, db, out, batch) => csrWeightGrad(idx32(indices), indptr, dY, X, dW, db, out, batch),
    f32_csr_input_grad_u16: (data, indices, indptr, dY, dX, out, inn, batch) => csrInputGrad(data, idx16(indices), indptr, dY, dX, out, inn, batch),
    f32_csr_input_grad_u32: (data, indices, indptr, dY, dX, out, inn, batch) => csrInputGrad(data, idx32(indices), indptr, dY, dX, out, inn, batch),
    f32_gather_u32(src, perm, dst, n) {
      const m = f32(),
        p = u32();
      for (let i = 0; i < n; i++) m[f(dst) + i] = m[f(src) + p[f(perm) + i]];
    },
    probe_read_bw(p, bytes, reps) {
      const m = f32();
      let s = 0;
      for (let r = 0; r < reps; r++) for (let i = 0; i < bytes / 4; i++) s += m[f(p) + i];
      return Math.fround(s);
    },
    f32_standardize_transpose(src, dst, mean, inv, n, F) {
      const m = f32();
      let bad = 0;
      for (let s = 0; s < n; s++) {
        for (let c = 0; c < F; c++) {
          const v = Math.fround(Math.fround(m[f(src) + s * F + c] - m[f(mean) + c]) * m[f(inv) + c]); // rounded as f32 ops round
          if (!Number.isFinite(v)) bad = 1; // the standardised value, as the wasm builds check it
          m[f(dst) + c * n + s] = v;
        }
      }
      return bad;
    },
    probe_madd_peak(p, iters) {
      // the SIMD builds' definition (all four lanes); see types.ts
      const m = f32();
      let s = 0;
      for (let i = 0; i < iters; i++) {
        const q = f(p) + (i % 32) * 8;
        for (const si of [0, 1, 2, 3, 5]) for (let lane = 0; lane < 8; lane++) s += m[q + si] * m[q + lane];
      }
      return Math.fround(s);
    },
    alloc: (bytes) => arena.alloc(bytes),
    reset: (mark) => arena.reset(mark),
    heapTop: () => arena.heapTop(),
  };
  return k;
}
