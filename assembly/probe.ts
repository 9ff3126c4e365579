// Machine-limit probes: what one core can do in wasm, measured in the same run as the kernels so
// that the benchmark can state "x% of the measured bandwidth / peak" (src/report/machine.ts).
import { madd } from "./common";

/**
 * Read bandwidth:  returns Σ over `reps` passes of every f32 in [p, p + bytes).
 * Four independent v128 accumulators, 64 bytes per step, so the adds never limit the loads.
 * `bytes` must be a multiple of 64 (the host rounds it); the sum keeps the loads from being removed.
 */
export function probe_read_bw(p: usize, bytes: i32, reps: i32): f32 {
  const end = p + <usize>bytes;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    for (let r = 0; r < reps; r++) {
      for (let q = p; q < end; q += 128) {
        a0 = f32x4.add(a0, v128.load(q)); a1 = f32x4.add(a1, v128.load(q, 16));
        a2 = f32x4.add(a2, v128.load(q, 32)); a3 = f32x4.add(a3, v128.load(q, 48));
        a0 = f32x4.add(a0, v128.load(q, 64)); a1 = f32x4.add(a1, v128.load(q, 80));
        a2 = f32x4.add(a2, v128.load(q, 96)); a3 = f32x4.add(a3, v128.load(q, 112));
      }
    }
    const s = f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3));
    return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let r = 0; r < reps; r++) {
      for (let q = p; q < end; q += 16) {
        s0 += load<f32>(q); s1 += load<f32>(q, 4); s2 += load<f32>(q, 8); s3 += load<f32>(q, 12);
      }
    }
    return (s0 + s1) + (s2 + s3);
  }
}

/**
 * Multiply-add peak:  10 independent accumulator chains c_ij ← s_i · x_j + c_ij (i < 5, j < 2)
 * for `iters` steps; each step loads x_0, x_1 (v128) and broadcasts s_0..s_4 from a 1 KiB ring
 * at p (L1-resident), the way a register-tiled GEMM feeds its multiply-adds, so the products
 * change every step and nothing can be hoisted out of the loop. Only the adds are chained, so the
 * chains are throughput-bound, not latency-bound. 13 live v128 (V8 has 16 XMM registers).
 * One step = 10 f32x4 mul+add = 80 flops (scalar build: 10 scalar mul+add = 20 flops).
 * Returns the sum of all lanes of all accumulators.
 */
export function probe_madd_peak(p: usize, iters: i32): f32 {
  if (ASC_FEATURE_SIMD) {
    let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    let c30 = c00, c31 = c00, c40 = c00, c41 = c00;
    for (let i = 0; i < iters; i++) {
      const q = p + ((<usize>i & 31) << 5); // 32 steps × 32 bytes = 1 KiB ring
      const x0 = v128.load(q), x1 = v128.load(q, 16);
      let s = v128.load_splat<f32>(q); c00 = madd(s, x0, c00); c01 = madd(s, x1, c01);
      s = v128.load_splat<f32>(q, 4); c10 = madd(s, x0, c10); c11 = madd(s, x1, c11);
      s = v128.load_splat<f32>(q, 8); c20 = madd(s, x0, c20); c21 = madd(s, x1, c21);
      s = v128.load_splat<f32>(q, 12); c30 = madd(s, x0, c30); c31 = madd(s, x1, c31);
      s = v128.load_splat<f32>(q, 20); c40 = madd(s, x0, c40); c41 = madd(s, x1, c41);
    }
    const t = f32x4.add(f32x4.add(f32x4.add(f32x4.add(c00, c01), f32x4.add(c10, c11)), f32x4.add(f32x4.add(c20, c21), f32x4.add(c30, c31))), f32x4.add(c40, c41));
    return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
  } else {
    let c00: f32 = 0, c01: f32 = 0, c10: f32 = 0, c11: f32 = 0, c20: f32 = 0, c21: f32 = 0;
    let c30: f32 = 0, c31: f32 = 0, c40: f32 = 0, c41: f32 = 0;
    for (let i = 0; i < iters; i++) {
      const q = p + ((<usize>i & 31) << 5);
      const x0 = load<f32>(q), x1 = load<f32>(q, 16);
      let s = load<f32>(q); c00 += s * x0; c01 += s * x1;
      s = load<f32>(q, 4); c10 += s * x0; c11 += s * x1;
      s = load<f32>(q, 8); c20 += s * x0; c21 += s * x1;
      s = load<f32>(q, 12); c30 += s * x0; c31 += s * x1;
      s = load<f32>(q, 20); c40 += s * x0; c41 += s * x1;
    }
    return (((c00 + c01) + (c10 + c11)) + ((c20 + c21) + (c30 + c31))) + (c40 + c41);
  }
}
