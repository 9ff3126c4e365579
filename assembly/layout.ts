// Layout kernels: from the caller's row-major samples to the kernels' feature-major activations.

/**
 * dst[f][s] = (src[s][f] − mean[f]) · inv[f]   for s < n, f < F
 * src is row-major n × F (samples as the caller holds them), dst feature-major F × n.
 * SIMD: 4 samples × 4 features per block, standardised and transposed with shuffles; a plain
 * JavaScript transpose of a 64 × 784 batch costs about as much as a 90%-sparse forward pass.
 * Returns 1 when some standardised value is NaN or ±Inf (v·0 is NaN exactly then): a NaN or ±Inf
 * input, or a finite one that overflows f32 once standardised (a tiny stored scale); else 0.
 */
export function f32_standardize_transpose(src: usize, dst: usize, mean: usize, inv: usize, n: i32, F: i32): i32 {
  const rowBytes = <usize>F << 2, colBytes = <usize>n << 2;
  let bad: i32 = 0;
  let s = 0;
  if (ASC_FEATURE_SIMD) {
    let flag = f32x4.splat(0);
    const zero = f32x4.splat(0);
    for (; s + 4 <= n; s += 4) {
      const r0 = src + <usize>s * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
      let f = 0;
      for (; f + 4 <= F; f += 4) {
        const o = <usize>f << 2;
        const m = v128.load(mean + o), k = v128.load(inv + o);
        const a = v128.load(r0 + o), b = v128.load(r1 + o), c = v128.load(r2 + o), d = v128.load(r3 + o);
        const v0 = f32x4.mul(f32x4.sub(a, m), k), v1 = f32x4.mul(f32x4.sub(b, m), k);
        const v2 = f32x4.mul(f32x4.sub(c, m), k), v3 = f32x4.mul(f32x4.sub(d, m), k);
        flag = f32x4.add(flag, f32x4.add(f32x4.add(f32x4.mul(v0, zero), f32x4.mul(v1, zero)), f32x4.add(f32x4.mul(v2, zero), f32x4.mul(v3, zero))));
        const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
        const out = dst + <usize>f * colBytes + (<usize>s << 2);
        v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
        v128.store(out + colBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
        v128.store(out + 2 * colBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
        v128.store(out + 3 * colBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
      }
      for (; f < F; f++) {
        const o = <usize>f << 2;
        const m = load<f32>(mean + o), k = load<f32>(inv + o);
        for (let j = 0; j < 4; j++) {
          const v = (load<f32>(src + <usize>(s + j) * rowBytes + o) - m) * k;
          if (v * 0 != 0) bad = 1;
          store<f32>(dst + <usize>f * colBytes + (<usize>(s + j) << 2), v);
        }
      }
    }
    if (f32x4.extract_lane(flag, 0) != 0 || f32x4.extract_lane(flag, 1) != 0 || f32x4.extract_lane(flag, 2) != 0 || f32x4.extract_lane(flag, 3) != 0) bad = 1;
  }
  for (; s < n; s++) {
    for (let f = 0; f < F; f++) {
      const o = <usize>f << 2;
      const v = (load<f32>(src + <usize>s * rowBytes + o) - load<f32>(mean + o)) * load<f32>(inv + o);
      if (v * 0 != 0) bad = 1;
      store<f32>(dst + <usize>f * colBytes + (<usize>s << 2), v);
    }
  }
  return bad;
}
