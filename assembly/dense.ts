// Dense f32 kernels. Weights row-major W[out][in]; batched activations feature-major X[in][batch].
import { madd, hsum4, hsum, actScalar, reluIf, actPass } from "./common";

/**
 * GEMV, batch 1:  y[out] = act(W[out×in] · x[in] + b[out]).
 * Dot-product form, four rows at a time sharing every load of x, one shuffle-transpose to
 * reduce the four partial sums. Batch 1 is bandwidth-bound: the point is to stream W once.
 */
export function f32_gemv(W: usize, b: usize, x: usize, y: usize, out: i32, inn: i32, act: i32): void {
  const rowBytes = <usize>inn << 2;
  if (ASC_FEATURE_SIMD) {
    const in4 = inn & ~3;
    let r = 0;
    for (; r + 4 <= out; r += 4) {
      const w0 = W + <usize>r * rowBytes;
      const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let c = 0;
      for (; c + 8 <= in4; c += 8) {
        const o = <usize>c << 2;
        const xv = v128.load(x + o), xw = v128.load(x + o, 16);
        a0 = madd(v128.load(w0 + o), xv, a0); a1 = madd(v128.load(w1 + o), xv, a1);
        a2 = madd(v128.load(w2 + o), xv, a2); a3 = madd(v128.load(w3 + o), xv, a3);
        a0 = madd(v128.load(w0 + o, 16), xw, a0); a1 = madd(v128.load(w1 + o, 16), xw, a1);
        a2 = madd(v128.load(w2 + o, 16), xw, a2); a3 = madd(v128.load(w3 + o, 16), xw, a3);
      }
      for (; c < in4; c += 4) {
        const o = <usize>c << 2;
        const xv = v128.load(x + o);
        a0 = madd(v128.load(w0 + o), xv, a0); a1 = madd(v128.load(w1 + o), xv, a1);
        a2 = madd(v128.load(w2 + o), xv, a2); a3 = madd(v128.load(w3 + o), xv, a3);
      }
      let s = f32x4.add(hsum4(a0, a1, a2, a3), v128.load(b + (<usize>r << 2)));
      for (; c < inn; c++) {
        const o = <usize>c << 2;
        const xc = load<f32>(x + o);
        s = f32x4.add(s, f32x4.mul(f32x4(load<f32>(w0 + o), load<f32>(w1 + o), load<f32>(w2 + o), load<f32>(w3 + o)), f32x4.splat(xc)));
      }
      v128.store(y + (<usize>r << 2), reluIf(s, act));
    }
    for (; r < out; r++) {
      const w0 = W + <usize>r * rowBytes;
      let a0 = f32x4.splat(0);
      let c = 0;
      for (; c < in4; c += 4) a0 = madd(v128.load(w0 + (<usize>c << 2)), v128.load(x + (<usize>c << 2)), a0);
      let s = hsum(a0) + load<f32>(b + (<usize>r << 2));
      for (; c < inn; c++) s += load<f32>(w0 + (<usize>c << 2)) * load<f32>(x + (<usize>c << 2));
      store<f32>(y + (<usize>r << 2), act == 1 ? (s > 0 ? s : 0) : s);
    }
    actPass(y, out, act);
  } else {
    for (let r = 0; r < out; r++) {
      const w0 = W + <usize>r * rowBytes;
      let s: f32 = 0;
      for (let c = 0; c < inn; c++) s += load<f32>(w0 + (<usize>c << 2)) * load<f32>(x + (<usize>c << 2));
      store<f32>(y + (<usize>r << 2), actScalar(s + load<f32>(b + (<usize>r << 2)), act));
    }
  }
}

/**
 * Strided GEMM core, feature-major:  Y[m][j] = act(Σ_k A(m,k) · X[k][j] + bias[m]) for the samples
 * j < n of rows X[k] and Y[m] `batch` floats long, where A(m,k) is at A + 4·(m·rs + k·cs) (so W
 * uses rs=in, cs=1 and Wᵀ uses rs=1, cs=in). The SIMD builds fuse ReLU only: the caller applies
 * tanh and logistic (actPass).
 * Register tile: 4 rows of A × 8 samples = 8 accumulators; each A element is broadcast
 * (v128.load_splat) and X rows are loaded contiguously, so there is no gather and no transpose.
 * bias may be 0 (none).
 */
function gemmCore(A: usize, rs: usize, cs: usize, bias: usize, X: usize, Y: usize, M: i32, K: i32, batch: i32, n: i32, act: i32): void {
  const xs = <usize>batch << 2;        // bytes between rows of X / Y
  const csB = cs << 2, rsB = rs << 2;
  if (ASC_FEATURE_SIMD) {
    let m = 0;
    for (; m + 4 <= M; m += 4) {
      const a0 = A + <usize>m * rsB;
      const a1 = a0 + rsB, a2 = a1 + rsB, a3 = a2 + rsB;
      const b0: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
      const b1: f32 = bias ? load<f32>(bias + (<usize>m << 2), 4) : 0;
      const b2: f32 = bias ? load<f32>(bias + (<usize>m << 2), 8) : 0;
      const b3: f32 = bias ? load<f32>(bias + (<usize>m << 2), 12) : 0;
      const y0 = Y + <usize>m * xs;
      let j = 0;
      for (; j + 8 <= n; j += 8) {
        const jo = <usize>j << 2;
        let c00 = f32x4.splat(b0), c01 = c00, c10 = f32x4.splat(b1), c11 = c10;
        let c20 = f32x4.splat(b2), c21 = c20, c30 = f32x4.splat(b3), c31 = c30;
        let xp = X + jo;
        let ko: usize = 0;
        for (let k = 0; k < K; k++) {
          const x0 = v128.load(xp), x1 = v128.load(xp, 16);
          let s = v128.load_splat<f32>(a0 + ko); c00 = madd(s, x0, c00); c01 = madd(s, x1, c01);
          s = v128.load_splat<f32>(a1 + ko); c10 = madd(s, x0, c10); c11 = madd(s, x1, c11);
          s = v128.load_splat<f32>(a2 + ko); c20 = madd(s, x0, c20); c21 = madd(s, x1, c21);
          s = v128.load_splat<f32>(a3 + ko); c30 = madd(s, x0, c30); c31 = madd(s, x1, c31);
          xp += xs; ko += csB;
        }
        const yp = y0 + jo;
        v128.store(yp, reluIf(c00, act)); v128.store(yp, reluIf(c01, act), 16);
        v128.store(yp + xs, reluIf(c10, act)); v128.store(yp + xs, reluIf(c11, act), 16);
        v128.store(yp + 2 * xs, reluIf(c20, act)); v128.store(yp + 2 * xs, reluIf(c21, act), 16);
        v128.store(yp + 3 * xs, reluIf(c30, act)); v128.store(yp + 3 * xs, reluIf(c31, act), 16);
      }
      for (; j + 4 <= n; j += 4) {
        const jo = <usize>j << 2;
        let c0 = f32x4.splat(b0), c1 = f32x4.splat(b1), c2 = f32x4.splat(b2), c3 = f32x4.splat(b3);
        let xp = X + jo;
        let ko: usize = 0;
        for (let k = 0; k < K; k++) {
          const x0 = v128.load(xp);
          c0 = madd(v128.load_splat<f32>(a0 + ko), x0, c0); c1 = madd(v128.load_splat<f32>(a1 + ko), x0, c1);
          c2 = madd(v128.load_splat<f32>(a2 + ko), x0, c2); c3 = madd(v128.load_splat<f32>(a3 + ko), x0, c3);
          xp += xs; ko += csB;
        }
        const yp = y0 + jo;
        v128.store(yp, reluIf(c0, act)); v128.store(yp + xs, reluIf(c1, act));
        v128.store(yp + 2 * xs, reluIf(c2, act)); v128.store(yp + 3 * xs, reluIf(c3, act));
      }
      for (; j < n; j++) {
        // leftover samples: four dot products along k, scalar
        let s0 = b0, s1 = b1, s2 = b2, s3 = b3;
        let xp = X + (<usize>j << 2);
        let ko: usize = 0;
        for (let k = 0; k < K; k++) {
          const xv = load<f32>(xp);
          s0 += load<f32>(a0 + ko) * xv; s1 += load<f32>(a1 + ko) * xv;
          s2 += load<f32>(a2 + ko) * xv; s3 += load<f32>(a3 + ko) * xv;
          xp += xs; ko += csB;
        }
        const yp = y0 + (<usize>j << 2);
        store<f32>(yp, act == 1 ? (s0 > 0 ? s0 : 0) : s0); store<f32>(yp + xs, act == 1 ? (s1 > 0 ? s1 : 0) : s1);
        store<f32>(yp + 2 * xs, act == 1 ? (s2 > 0 ? s2 : 0) : s2); store<f32>(yp + 3 * xs, act == 1 ? (s3 > 0 ? s3 : 0) : s3);
      }
    }
    for (; m < M; m++) {
      const a0 = A + <usize>m * rsB;
      const b0: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
      const y0 = Y + <usize>m * xs;
      let j = 0;
      for (; j + 4 <= n; j += 4) {
        let c0 = f32x4.splat(b0);
        let xp = X + (<usize>j << 2);
        let ko: usize = 0;
        for (let k = 0; k < K; k++) { c0 = madd(v128.load_splat<f32>(a0 + ko), v128.load(xp), c0); xp += xs; ko += csB; }
        v128.store(y0 + (<usize>j << 2), reluIf(c0, act));
      }
      for (; j < n; j++) {
        let s0 = b0;
        let xp = X + (<usize>j << 2);
        let ko: usize = 0;
        for (let k = 0; k < K; k++) { s0 += load<f32>(a0 + ko) * load<f32>(xp); xp += xs; ko += csB; }
        store<f32>(y0 + (<usize>j << 2), act == 1 ? (s0 > 0 ? s0 : 0) : s0);
      }
    }
  } else {
    for (let m = 0; m < M; m++) {
      const b0: f32 = bias ? load<f32>(bias + (<usize>m << 2)) : 0;
      for (let j = 0; j < n; j++) {
        let s = b0;
        for (let k = 0; k < K; k++) {
          s += load<f32>(A + <usize>m * rsB + <usize>k * csB) * load<f32>(X + <usize>k * xs + (<usize>j << 2));
        }
        store<f32>(Y + <usize>m * xs + (<usize>j << 2), actScalar(s, act));
      }
    }
  }
}

/** GEMM, feature-major:  Y[out×batch] = act(W[out×in] · X[in×batch] + b). */
export function f32_gemm(W: usize, b: usize, X: usize, Y: usize, out: i32, inn: i32, batch: i32, act: i32): void {
  gemmCore(W, <usize>inn, 1, b, X, Y, out, inn, batch, batch, act);
  if (ASC_FEATURE_SIMD) actPass(Y, out * batch, act);
}

/** Backward to the input:  dX[in×batch] = Wᵀ · dY[out×batch] (all rows of f32_gemm_tn_rows, so a split over threads is bit-identical by construction). */
export function f32_gemm_tn(W: usize, dY: usize, dX: usize, out: i32, inn: i32, batch: i32): void {
  f32_gemm_tn_rows(W, dY, dX, out, inn, batch, 0, inn);
}

/**
 * Rows [c0, c0 + n) of dX = Wᵀ · dY alone, for splitting it over threads (src/kernels/split-kernels.ts):
 * bit for bit what the whole call writes there, when c0 is a multiple of 4 and c0 + n is one too
 * or is inn (the 4-row tiles and the SIMD columns then fall where the whole call's do).
 */
export function f32_gemm_tn_rows(W: usize, dY: usize, dX: usize, out: i32, inn: i32, batch: i32, c0: i32, n: i32): void {
  const start = W + (<usize>c0 << 2);
  if (batch == 1) {
    // one sample: dX[c] = Σ_r dY[r] · W[r][c] for c in c0…c0+n, an axpy per row, vectorised along the row
    const dx = dX + (<usize>c0 << 2);
    memory.fill(dx, 0, <usize>n << 2);
    const rowBytes = <usize>inn << 2;
    for (let r = 0; r < out; r++) {
      const g = load<f32>(dY + (<usize>r << 2));
      if (g == 0) continue;
      const w0 = start + <usize>r * rowBytes;
      let c = 0;
      if (ASC_FEATURE_SIMD) {
        const gv = f32x4.splat(g);
        for (; c + 4 <= n; c += 4) {
          const o = <usize>c << 2;
          v128.store(dx + o, madd(v128.load(w0 + o), gv, v128.load(dx + o)));
        }
      }
      for (; c < n; c++) {
        const o = <usize>c << 2;
        store<f32>(dx + o, load<f32>(dx + o) + load<f32>(w0 + o) * g);
      }
    }
    return;
  }
  gemmCore(start, 1, <usize>inn, 0, dY, dX + <usize>c0 * (<usize>batch << 2), n, out, batch, batch, 0);
}

/**
 * Backward to the weights:  dW[r][c] = Σ_j dY[r][j] · X[c][j]   and   db[r] = Σ_j dY[r][j].
 * Both operands are contiguous along the batch; a tile of 1 row × 4 columns keeps four
 * accumulators, reduced to four outputs with one shuffle-transpose.
 */
export function f32_gemm_nt_grad(dY: usize, X: usize, dW: usize, db: usize, out: i32, inn: i32, batch: i32): void {
  const xs = <usize>batch << 2;
  const b4 = batch & ~3;
  for (let r = 0; r < out; r++) {
    const g = dY + <usize>r * xs;
    const wrow = dW + <usize>r * (<usize>inn << 2);
    let sb: f32 = 0;
    for (let j = 0; j < batch; j++) sb += load<f32>(g + (<usize>j << 2));
    store<f32>(db + (<usize>r << 2), sb);
    let c = 0;
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= inn; c += 4) {
        const x0 = X + <usize>c * xs;
        const x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
        let j = 0;
        for (; j < b4; j += 4) {
          const o = <usize>j << 2;
          const gv = v128.load(g + o);
          a0 = madd(gv, v128.load(x0 + o), a0); a1 = madd(gv, v128.load(x1 + o), a1);
          a2 = madd(gv, v128.load(x2 + o), a2); a3 = madd(gv, v128.load(x3 + o), a3);
        }
        let s = hsum4(a0, a1, a2, a3);
        for (; j < batch; j++) {
          const o = <usize>j << 2;
          s = madd(f32x4.splat(load<f32>(g + o)), f32x4(load<f32>(x0 + o), load<f32>(x1 + o), load<f32>(x2 + o), load<f32>(x3 + o)), s);
        }
        v128.store(wrow + (<usize>c << 2), s);
      }
    }
    for (; c < inn; c++) {
      const x0 = X + <usize>c * xs;
      let s: f32 = 0;
      for (let j = 0; j < batch; j++) s += load<f32>(g + (<usize>j << 2)) * load<f32>(x0 + (<usize>j << 2));
      store<f32>(wrow + (<usize>c << 2), s);
    }
  }
}

// ---- the inference GEMM on a per-block copy of W ----------------------------------------------

/**
 * One 4-row block of W·X + b, SIMD, from the block copied as w[k][4] (the four rows' k-th weights
 * side by side): gemmCore's 8-sample tiles and sums, but the four broadcasts per k come from one
 * pointer with immediate offsets, where gemmCore computes four row addresses.
 */
function gemmBlock4(w: usize, bias: usize, X: usize, Y: usize, K: i32, batch: i32, act: i32): void {
  const xs = <usize>batch << 2, wEnd = w + (<usize>K << 4);
  const b0 = load<f32>(bias), b1 = load<f32>(bias, 4), b2 = load<f32>(bias, 8), b3 = load<f32>(bias, 12);
  let j = 0;
  for (; j + 8 <= batch; j += 8) {
    const jo = <usize>j << 2;
    let c00 = f32x4.splat(b0), c01 = c00, c10 = f32x4.splat(b1), c11 = c10;
    let c20 = f32x4.splat(b2), c21 = c20, c30 = f32x4.splat(b3), c31 = c30;
    let xp = X + jo;
    for (let wp = w; wp < wEnd; wp += 16) {
      const x0 = v128.load(xp), x1 = v128.load(xp, 16);
      let s = v128.load_splat<f32>(wp); c00 = madd(s, x0, c00); c01 = madd(s, x1, c01);
      s = v128.load_splat<f32>(wp, 4); c10 = madd(s, x0, c10); c11 = madd(s, x1, c11);
      s = v128.load_splat<f32>(wp, 8); c20 = madd(s, x0, c20); c21 = madd(s, x1, c21);
      s = v128.load_splat<f32>(wp, 12); c30 = madd(s, x0, c30); c31 = madd(s, x1, c31);
      xp += xs;
    }
    const yp = Y + jo;
    v128.store(yp, reluIf(c00, act)); v128.store(yp, reluIf(c01, act), 16);
    v128.store(yp + xs, reluIf(c10, act)); v128.store(yp + xs, reluIf(c11, act), 16);
    v128.store(yp + 2 * xs, reluIf(c20, act)); v128.store(yp + 2 * xs, reluIf(c21, act), 16);
    v128.store(yp + 3 * xs, reluIf(c30, act)); v128.store(yp + 3 * xs, reluIf(c31, act), 16);
  }
  // the last batch mod 8 samples as f32_gemm does them (4, then 1 at a time), from the copy: A(m,k) at w + 4·(m + 4k)
  if (j < batch) gemmCore(w, 1, 4, bias, X + (<usize>j << 2), Y + (<usize>j << 2), 4, K, batch, batch - j, act);
}

/**
 * f32_gemm, bit for bit, for the inference forward pass: each 4-row block of W is first copied
 * into `scratch` (16·inn bytes, the caller's) as [k][4] — four rows in, one 4×4 shuffle-transpose
 * per four k — then gemmBlock4 runs on the copy. The copy costs about one pass over the block; the
 * 8-sample tiles then read it batch/8 times with fewer µops per step. Below 8 samples, and in the
 * relaxed-SIMD build, f32_gemm.
 */
export function f32_gemm_scratch(W: usize, b: usize, X: usize, Y: usize, out: i32, inn: i32, batch: i32, act: i32, scratch: usize): void {
  if (!ASC_FEATURE_SIMD || ASC_FEATURE_RELAXED_SIMD || batch < 8) {
    // with fused mul-add V8 allocates the copy's loop worse than gemmCore's (moves between the FMAs): 0.93-0.95x
    f32_gemm(W, b, X, Y, out, inn, batch, act);
    return;
  }
  const M4 = out & ~3, xs = <usize>batch << 2, rsB = <usize>inn << 2, in4 = inn & ~3;
  for (let m = 0; m < M4; m += 4) {
    const a0 = W + <usize>m * rsB, a1 = a0 + rsB, a2 = a1 + rsB, a3 = a2 + rsB;
    let c = 0;
    for (; c < in4; c += 4) {
      const o = <usize>c << 2, d = scratch + (<usize>c << 4);
      const r0 = v128.load(a0 + o), r1 = v128.load(a1 + o), r2 = v128.load(a2 + o), r3 = v128.load(a3 + o);
      const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
      const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v128.store(d, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5)); v128.store(d, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), 16);
      v128.store(d, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), 32); v128.store(d, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), 48);
    }
    for (; c < inn; c++) {
      const o = <usize>c << 2, d = scratch + (<usize>c << 4);
      store<f32>(d, load<f32>(a0 + o)); store<f32>(d, load<f32>(a1 + o), 4); store<f32>(d, load<f32>(a2 + o), 8); store<f32>(d, load<f32>(a3 + o), 12);
    }
    gemmBlock4(scratch, b + (<usize>m << 2), X, Y + <usize>m * xs, inn, batch, act);
  }
  actPass(Y, M4 * batch, act);
  if (M4 < out) f32_gemm(W + <usize>M4 * rsB, b + (<usize>M4 << 2), X, Y + <usize>M4 * xs, out - M4, inn, batch, act);
}
