// CSR-sparse f32 kernels. A CSR row is one output neuron: its nonzeros are
// data[indptr[r] .. indptr[r+1]) with column indices in `indices` (u16 or u32).
// Indices are trusted here: the TypeScript side validated every one (< in) beforehand.
import { madd, actScalar, reluIf, actPass, ACT_IDENTITY, ACT_RELU } from "./common";

// @ts-ignore: decorator
@inline function idx<I>(indices: usize, k: usize): usize {
  return <usize>load<I>(indices + k * sizeof<I>());
}

/** x[indices[k]], byte address. `o` is an element offset, folded into the load's immediate. */
// @ts-ignore: decorator
@inline function xAt<I>(x: usize, ip: usize, o: usize): usize {
  return x + (<usize>load<I>(ip + o * sizeof<I>()) << 2);
}

/**
 * [x[i[o]], x[i[o+1]], x[i[o+2]], x[i[o+3]]] for the indices i at ip: WebAssembly SIMD has no
 * gather. Four loads into lane 0 of zeroed vectors (on x64 plain `vmovss` loads), joined by two
 * 32-bit and one 64-bit interleave: one instruction fewer per four nonzeros than a broadcast and
 * three lane inserts, in a loop bound by instructions issued. BENCHMARKS.md, "CSR SpMV at batch 1".
 */
// @ts-ignore: decorator
@inline function gather4<I>(x: usize, ip: usize, o: usize): v128 {
  const a = v128.load32_zero(xAt<I>(x, ip, o)), b = v128.load32_zero(xAt<I>(x, ip, o + 1));
  const c = v128.load32_zero(xAt<I>(x, ip, o + 2)), d = v128.load32_zero(xAt<I>(x, ip, o + 3));
  return v128.shuffle<u64>(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 0, 4, 1, 5), 0, 2);
}

/**
 * y[i] = act(y[i]) for n floats, after the row loop (which then holds no call and no branch on
 * the sign: a call there made V8 spill registers around it for every row). ReLU runs four lanes
 * at a time with pmax(0, v) = 0 < v ? v : 0, the scalar `actScalar` bit for bit (NaN → 0, -0 → +0).
 */
// @ts-ignore: decorator
@inline function activateInPlace(y: usize, n: i32, act: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && act == ACT_RELU) {
    for (; i + 4 <= n; i += 4) {
      const p = y + (<usize>i << 2);
      v128.store(p, f32x4.pmax(f32x4.splat(0), v128.load(p)));
    }
  }
  if (act == ACT_IDENTITY) return;
  for (; i < n; i++) {
    const p = y + (<usize>i << 2);
    store<f32>(p, actScalar(load<f32>(p), act));
  }
}

/**
 * SpMV, batch 1:  y[r] = act(Σ_k data[k] · x[indices[k]] + b[r]).
 * Each row is summed in 8 lanes (two vectors, 4-wide emulated gathers), lanes 4–7 folded onto
 * 0–3, one more run of 4, (l0 + l2) + (l1 + l3), then the last 0–3 nonzeros one by one: this
 * order fixes the bits of every prediction (test/kernels.test.ts models it), but for the sign and
 * payload of a NaN, which WebAssembly leaves to the engine. y must not overlap x: each row stores
 * its sum, and the activation runs over all rows after them.
 */
function spmv<I>(data: usize, indices: usize, indptr: usize, b: usize, x: usize, y: usize, out: i32, act: i32): void {
  for (let r = 0; r < out; r++) {
    let k = <usize>load<u32>(indptr + (<usize>r << 2));
    const end = <usize>load<u32>(indptr + (<usize>r << 2), 4);
    let s: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = f32x4.splat(0), acc1 = f32x4.splat(0);
      for (; k + 8 <= end; k += 8) {
        const ip = indices + k * sizeof<I>(), dp = data + (k << 2);
        acc = madd(v128.load(dp), gather4<I>(x, ip, 0), acc);
        acc1 = madd(v128.load(dp, 16), gather4<I>(x, ip, 4), acc1);
      }
      acc = f32x4.add(acc, acc1);
      for (; k + 4 <= end; k += 4) {
        acc = madd(v128.load(data + (k << 2)), gather4<I>(x, indices + k * sizeof<I>(), 0), acc);
      }
      const h = f32x4.add(acc, v128.shuffle<f32>(acc, acc, 2, 3, 0, 1));
      s = f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
    }
    for (; k < end; k++) s += load<f32>(data + (k << 2)) * load<f32>(x + (idx<I>(indices, k) << 2));
    store<f32>(y + (<usize>r << 2), s + load<f32>(b + (<usize>r << 2)));
  }
  activateInPlace(y, out, act);
}

/** One row × 16 samples: 4 accumulators, nonzeros [k0, k1), two per loop turn. Returns via store. */
// @ts-ignore: decorator
@inline function spmmRow16<I>(data: usize, indices: usize, k0: usize, k1: usize, xj: usize, xs: usize, bv: v128, yp: usize, act: i32): void {
  let c0 = bv, c1 = bv, c2 = bv, c3 = bv;
  let dp = data + (k0 << 2), ip = indices + k0 * sizeof<I>();
  const dEnd = data + (k1 << 2), dEnd2 = dEnd - 4;
  for (; dp < dEnd2; dp += 8, ip += 2 * sizeof<I>()) {
    let w = v128.load_splat<f32>(dp);
    let xp = xj + <usize>load<I>(ip) * xs;
    c0 = madd(w, v128.load(xp), c0); c1 = madd(w, v128.load(xp, 16), c1);
    c2 = madd(w, v128.load(xp, 32), c2); c3 = madd(w, v128.load(xp, 48), c3);
    w = v128.load_splat<f32>(dp, 4);
    xp = xj + <usize>load<I>(ip, sizeof<I>()) * xs;
    c0 = madd(w, v128.load(xp), c0); c1 = madd(w, v128.load(xp, 16), c1);
    c2 = madd(w, v128.load(xp, 32), c2); c3 = madd(w, v128.load(xp, 48), c3);
  }
  if (dp < dEnd) {
    const w = v128.load_splat<f32>(dp);
    const xp = xj + <usize>load<I>(ip) * xs;
    c0 = madd(w, v128.load(xp), c0); c1 = madd(w, v128.load(xp, 16), c1);
    c2 = madd(w, v128.load(xp, 32), c2); c3 = madd(w, v128.load(xp, 48), c3);
  }
  v128.store(yp, reluIf(c0, act)); v128.store(yp, reluIf(c1, act), 16);
  v128.store(yp, reluIf(c2, act), 32); v128.store(yp, reluIf(c3, act), 48);
}

/**
 * 1 + the largest column index of the layer, read from each row's last nonzero: right where no
 * row's columns descend. Were one to, the loop order chosen below would change, not the result;
 * but a panel would miss columns, so `layerForward` gives a panel only to such layers.
 */
// @ts-ignore: decorator
@inline function columnsUsed<I>(indices: usize, indptr: usize, out: i32): usize {
  let n: usize = 0;
  for (let r = 0; r < out; r++) {
    const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
    if (k1 > <usize>load<u32>(indptr + (<usize>r << 2))) n = max(n, idx<I>(indices, k1 - 1) + 1);
  }
  return n;
}

/** Every row of the layer on samples [j, j + 16): one `spmmRow16` per row; xs = bytes per row of X and Y. */
// @ts-ignore: decorator
@inline function spmmChunk16<I>(data: usize, indices: usize, indptr: usize, b: usize, X: usize, Y: usize, out: i32, j: i32, xs: usize, act: i32): void {
  const xj = X + (<usize>j << 2);
  for (let r = 0; r < out; r++) {
    const k0 = <usize>load<u32>(indptr + (<usize>r << 2));
    const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
    spmmRow16<I>(data, indices, k0, k1, xj, xs, v128.load_splat<f32>(b + (<usize>r << 2)), Y + <usize>r * xs + (<usize>j << 2), act);
  }
}

/**
 * Batch 64 with rows outside the four 16-sample chunks: each row's nonzeros come from memory once
 * (then from L1) and its 256 bytes of Y are written together. Pays off while X (columns × 256 B)
 * stays in L2 in any order (2048 columns, 512 KiB: a quarter of this machine's 2 MiB L2; past it
 * rows outside lost 3–9% here, BENCHMARKS.md). A function of its own (not inlined), so that it
 * leaves V8's register allocation of the chunk loops in `spmm` as it was.
 */
function spmm64RowsOuter<I>(data: usize, indices: usize, indptr: usize, b: usize, X: usize, Y: usize, out: i32, act: i32): void {
  for (let r = 0; r < out; r++) {
    const k0 = <usize>load<u32>(indptr + (<usize>r << 2));
    const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
    const bv = v128.load_splat<f32>(b + (<usize>r << 2)), yr = Y + <usize>r * 256;
    for (let h: usize = 0; h < 256; h += 64) spmmRow16<I>(data, indices, k0, k1, X + h, 256, bv, yr + h, act);
  }
}

/**
 * Samples [j, j + 16) of X (rows of xs bytes, `cols` of them) copied into `panel`, 64 bytes per
 * column, contiguous: 4 v128 loads and stores per column.
 */
// @ts-ignore: decorator
@inline function packPanel16(X: usize, xs: usize, j: i32, cols: usize, panel: usize): void {
  let src = X + (<usize>j << 2);
  const end = panel + (cols << 6);
  for (let dst = panel; dst < end; dst += 64, src += xs) {
    v128.store(dst, v128.load(src)); v128.store(dst, v128.load(src, 16), 16);
    v128.store(dst, v128.load(src, 32), 32); v128.store(dst, v128.load(src, 48), 48);
  }
}

/**
 * The chunks of 16 samples, each first packed into `panel` (`cols` × 64 bytes): every row then
 * reads X at the constant stride of 64 bytes from one compact block (at 4096 columns 256 KiB,
 * where the rows of X at batch 64 spread the same lines over 1 MiB, four times the pages), and
 * the copy costs one pass over X per chunk. Same additions in the same order as the other loop
 * orders: the same bits. A function of its own, like `spmm64RowsOuter`. Returns the samples done.
 */
function spmmPanels<I>(data: usize, indices: usize, indptr: usize, b: usize, X: usize, Y: usize, out: i32, batch: i32, act: i32, cols: usize, panel: usize): i32 {
  const ys = <usize>batch << 2;
  let j = 0;
  for (; j + 16 <= batch; j += 16) {
    packPanel16(X, ys, j, cols, panel);
    const yj = Y + (<usize>j << 2);
    for (let r = 0; r < out; r++) {
      const k0 = <usize>load<u32>(indptr + (<usize>r << 2));
      const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
      spmmRow16<I>(data, indices, k0, k1, panel, 64, v128.load_splat<f32>(b + (<usize>r << 2)), yj + <usize>r * ys, act);
    }
  }
  return j;
}

/**
 * SpMM, feature-major:  Y[r][j] = act(Σ_k data[k] · X[indices[k]][j] + b[r]).
 * Vectorised over the batch, not over the nonzeros: each nonzero is one broadcast weight times
 * contiguous rows of X (no gather). The batch is cut into chunks of 16 samples (one 64-byte cache
 * line of each X row); the chunk loop is outside the row loop, so one chunk's slab of X stays in
 * L1/L2 while every row of the layer reads it (at batch 64 with X small enough for L2, the other
 * way round: `spmm64RowsOuter`).
 */
function spmm<I>(data: usize, indices: usize, indptr: usize, b: usize, X: usize, Y: usize, out: i32, batch: i32, act: i32, panel: usize): void {
  const xs = <usize>batch << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD && batch >= 16) {
    // Batch 64 (the common case) runs with the row stride a constant: X's row address is then a
    // shift of the column index, not a multiply by a value V8 keeps on the stack. Up to 2048
    // columns (X ≤ 512 KiB) the rows go outside the chunks. Past that, or at another batch, the
    // chunks go outside, read from a packed panel when the caller gave one (`spmmPanels`).
    // Every loop order here adds each row's nonzeros in CSR order, so all give the same bits.
    const cols = columnsUsed<I>(indices, indptr, out);
    if (batch == 64 && cols <= 2048) {
      spmm64RowsOuter<I>(data, indices, indptr, b, X, Y, out, act);
      j = 64;
    } else if (panel != 0) {
      j = spmmPanels<I>(data, indices, indptr, b, X, Y, out, batch, act, cols, panel);
    }
  }
  if (ASC_FEATURE_SIMD) {
    for (; j + 16 <= batch; j += 16) {
      if (batch == 64) spmmChunk16<I>(data, indices, indptr, b, X, Y, out, j, 256, act);
      else spmmChunk16<I>(data, indices, indptr, b, X, Y, out, j, xs, act);
    }
    for (; j + 4 <= batch; j += 4) {
      const xj = X + (<usize>j << 2);
      for (let r = 0; r < out; r++) {
        const k0 = <usize>load<u32>(indptr + (<usize>r << 2));
        const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
        let c0 = v128.load_splat<f32>(b + (<usize>r << 2));
        for (let k = k0; k < k1; k++) {
          c0 = madd(v128.load_splat<f32>(data + (k << 2)), v128.load(xj + idx<I>(indices, k) * xs), c0);
        }
        v128.store(Y + <usize>r * xs + (<usize>j << 2), reluIf(c0, act));
      }
    }
  }
  for (; j < batch; j++) {
    const xj = X + (<usize>j << 2);
    for (let r = 0; r < out; r++) {
      const k0 = <usize>load<u32>(indptr + (<usize>r << 2));
      const k1 = <usize>load<u32>(indptr + (<usize>r << 2), 4);
      let s = load<f32>(b + (<usize>r << 2));
      for (let k = k0; k < k1; k++) s += load<f32>(data + (k << 2)) * load<f32>(xj + idx<I>(indices, k) * xs);
      store<f32>(Y + <usize>r * xs + (<usize>j << 2), ASC_FEATURE_SIMD ? (act == 1 ? (s > 0 ? s : 0) : s) : actScalar(s, act));
    }
  }
  if (ASC_FEATURE_SIMD) actPass(Y, out * batch, act);
}

export function f32_spmv_csr_u16(data: usize, indices: usize, indptr: usize, b: usize, x: usize, y: usize, out: i32, act: i32): void {
  spmv<u16>(data, indices, indptr, b, x, y, out, act);
}
export function f32_spmv_csr_u32(data: usize, indices: usize, indptr: usize, b: usize, x: usize, y: usize, out: i32, act: i32): void {
  spmv<u32>(data, indices, indptr, b, x, y, out, act);
}
/** `panel`: 0, or scratch of 64 bytes per column (1 + the largest column index) for `spmmPanels`. */
export function f32_spmm_csr_u16(data: usize, indices: usize, indptr: usize, b: usize, X: usize, Y: usize, out: i32, batch: i32, act: i32, panel: usize): void {
  spmm<u16>(data, indices, indptr, b, X, Y, out, batch, act, panel);
}
export function f32_spmm_csr_u32(data: usize, indices: usize, indptr: usize, b: usize, X: usize, Y: usize, out: i32, batch: i32, act: i32, panel: usize): void {
  spmm<u32>(data, indices, indptr, b, X, Y, out, batch, act, panel);
}
