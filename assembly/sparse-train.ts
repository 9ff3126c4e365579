// Training kernels for a CSR weight matrix: the backward pass at the cost of its nonzeros.
// W is out × in in CSR (a row is one output neuron); activations are feature-major (features ×
// batch), so every kernel here vectorises across the batch, like the forward SpMM in csr.ts.
// The SGD step over the CSR values is f32_sgd_masked (train.ts) with no mask, one momentum per
// nonzero. Indices are trusted: the TypeScript side built or validated the pattern.
import { madd, hsum } from "./common";

/** Σ_j a[j]·b[j] over n floats: 16 at a time in four accumulators, then 4, then one. */
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, n: i32): f32 {
  let j = 0;
  let s: f32 = 0;
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
    for (; j + 16 <= n; j += 16) {
      const o = <usize>j << 2;
      c0 = madd(v128.load(a + o), v128.load(b + o), c0);
      c1 = madd(v128.load(a + o, 16), v128.load(b + o, 16), c1);
      c2 = madd(v128.load(a + o, 32), v128.load(b + o, 32), c2);
      c3 = madd(v128.load(a + o, 48), v128.load(b + o, 48), c3);
    }
    for (; j + 4 <= n; j += 4) c0 = madd(v128.load(a + (<usize>j << 2)), v128.load(b + (<usize>j << 2)), c0);
    s = hsum(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)));
  }
  for (; j < n; j++) s += load<f32>(a + (<usize>j << 2)) * load<f32>(b + (<usize>j << 2));
  return s;
}

/**
 * Weight gradient at the nonzeros only (a sampled dense–dense product, SDDMM):
 *   dW[k] = Σ_b dY[r][b] · X[indices[k]][b]   for every nonzero k of row r;   db[r] = Σ_b dY[r][b].
 * Overwrites dW (nnz values, aligned with the CSR data) and db (out values).
 */
function weightGrad<I>(indices: usize, indptr: usize, dY: usize, X: usize, dW: usize, db: usize, out: i32, batch: i32): void {
  const bs = <usize>batch << 2;
  for (let r = 0; r < out; r++) {
    const dyr = dY + <usize>r * bs;
    let s: f32 = 0;
    for (let j = 0; j < batch; j++) s += load<f32>(dyr + (<usize>j << 2));
    store<f32>(db + (<usize>r << 2), s);
    const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
    for (let k = <usize>load<u32>(indptr + (<usize>r << 2)); k < k1; k++) {
      store<f32>(dW + (k << 2), dot(dyr, X + <usize>load<I>(indices + k * sizeof<I>()) * bs, batch));
    }
  }
}

/**
 * Input gradient by scatter:  dX[in × batch] = Wᵀ · dY[out × batch], i.e. for every nonzero k of
 * row r, dX[indices[k]][·] += data[k] · dY[r][·] (one broadcast weight times a contiguous row).
 * Overwrites dX.
 */
function inputGradScatter<I>(data: usize, indices: usize, indptr: usize, dY: usize, dX: usize, out: i32, inn: i32, batch: i32): void {
  const bs = <usize>batch << 2;
  memory.fill(dX, 0, <usize>inn * bs);
  for (let r = 0; r < out; r++) {
    const dyr = dY + <usize>r * bs;
    const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
    for (let k = <usize>load<u32>(indptr + (<usize>r << 2)); k < k1; k++) {
      const w = load<f32>(data + (k << 2));
      const dxc = dX + <usize>load<I>(indices + k * sizeof<I>()) * bs;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        const wv = f32x4.splat(w);
        for (; j + 16 <= batch; j += 16) {
          const o = <usize>j << 2;
          v128.store(dxc + o, madd(wv, v128.load(dyr + o), v128.load(dxc + o)));
          v128.store(dxc + o, madd(wv, v128.load(dyr + o, 16), v128.load(dxc + o, 16)), 16);
          v128.store(dxc + o, madd(wv, v128.load(dyr + o, 32), v128.load(dxc + o, 32)), 32);
          v128.store(dxc + o, madd(wv, v128.load(dyr + o, 48), v128.load(dxc + o, 48)), 48);
        }
        for (; j + 4 <= batch; j += 4) {
          const o = <usize>j << 2;
          v128.store(dxc + o, madd(wv, v128.load(dyr + o), v128.load(dxc + o)));
        }
      }
      for (; j < batch; j++) {
        const o = <usize>j << 2;
        store<f32>(dxc + o, load<f32>(dxc + o) + w * load<f32>(dyr + o));
      }
    }
  }
}

/** dst[k] = src[perm[k]] for k < n: keeps a transposed copy's values in step with the CSR data. */
export function f32_gather_u32(src: usize, perm: usize, dst: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(dst + o, load<f32>(src + (<usize>load<u32>(perm + o) << 2)));
  }
}

export function f32_csr_weight_grad_u16(indices: usize, indptr: usize, dY: usize, X: usize, dW: usize, db: usize, out: i32, batch: i32): void {
  weightGrad<u16>(indices, indptr, dY, X, dW, db, out, batch);
}
export function f32_csr_weight_grad_u32(indices: usize, indptr: usize, dY: usize, X: usize, dW: usize, db: usize, out: i32, batch: i32): void {
  weightGrad<u32>(indices, indptr, dY, X, dW, db, out, batch);
}
export function f32_csr_input_grad_u16(data: usize, indices: usize, indptr: usize, dY: usize, dX: usize, out: i32, inn: i32, batch: i32): void {
  inputGradScatter<u16>(data, indices, indptr, dY, dX, out, inn, batch);
}
export function f32_csr_input_grad_u32(data: usize, indices: usize, indptr: usize, dY: usize, dX: usize, out: i32, inn: i32, batch: i32): void {
  inputGradScatter<u32>(data, indices, indptr, dY, dX, out, inn, batch);
}

/**
 * Movement scores at the nonzeros (Sanh et al. 2020): S[r·in + c] ← S[r·in + c] − data[q]·grad[q]
 * for each nonzero q at (r, c); S is out × in, dense. In f64 and rounded once to f32, as
 * f32_movement_step (train.ts): bit for bit JavaScript's `S[pos[q]] -= data[q] * grad[q]`.
 */
// @ts-ignore: decorator
@inline function movementCsr<I>(S: usize, data: usize, grad: usize, indices: usize, indptr: usize, out: i32, inn: i32): void {
  for (let r = 0; r < out; r++) {
    const row = S + ((<usize>r * <usize>inn) << 2);
    const end = load<u32>(indptr + ((<usize>r + 1) << 2));
    for (let q = load<u32>(indptr + (<usize>r << 2)); q < end; q++) {
      const at = row + (<usize>load<I>(indices + (<usize>q) * sizeof<I>()) << 2);
      const o = <usize>q << 2;
      store<f32>(at, <f32>(<f64>load<f32>(at) - <f64>load<f32>(data + o) * <f64>load<f32>(grad + o)));
    }
  }
}

export function f32_csr_movement_u16(S: usize, data: usize, grad: usize, indices: usize, indptr: usize, out: i32, inn: i32): void {
  movementCsr<u16>(S, data, grad, indices, indptr, out, inn);
}
export function f32_csr_movement_u32(S: usize, data: usize, grad: usize, indices: usize, indptr: usize, out: i32, inn: i32): void {
  movementCsr<u32>(S, data, grad, indices, indptr, out, inn);
}
