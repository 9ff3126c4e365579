// Shared helpers for the kernels. Everything here is @inline: no calls in hot loops.
// Built three times from one source (scripts/build-wasm.mjs): with relaxed SIMD, with SIMD,
// and scalar. `ASC_FEATURE_SIMD` / `ASC_FEATURE_RELAXED_SIMD` are compile-time constants, so
// the branch not taken is not compiled at all.

/** Activation codes; keep in sync with `Act` in src/kernels/types.ts. */
export const ACT_IDENTITY: i32 = 0;
export const ACT_RELU: i32 = 1;
export const ACT_TANH: i32 = 2;
export const ACT_LOGISTIC: i32 = 3;

/** a·b + c, fused where relaxed SIMD is on (one rounding instead of two). */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Lanes [Σa, Σb, Σc, Σd]: the horizontal sums of four vectors with one shuffle-transpose. */
// @ts-ignore: decorator
@inline export function hsum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const s0 = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const s1 = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s0, s1, 0, 1, 4, 5), v128.shuffle<f32>(s0, s1, 2, 3, 6, 7));
}

/** Horizontal sum of one vector. */
// @ts-ignore: decorator
@inline export function hsum(a: v128): f32 {
  const s = f32x4.add(a, v128.shuffle<f32>(a, a, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Scalar activation; tanh and logistic use AssemblyScript's Mathf (f32 throughout). */
// @ts-ignore: decorator
@inline export function actScalar(x: f32, act: i32): f32 {
  if (act == ACT_RELU) return x > 0 ? x : 0;
  if (act == ACT_TANH) return Mathf.tanh(x);
  if (act == ACT_LOGISTIC) return 1.0 / (1.0 + Mathf.exp(-x));
  return x;
}

/** ReLU on four lanes (identity otherwise: tanh and logistic are applied by `actPass`). */
// @ts-ignore: decorator
@inline export function reluIf(v: v128, act: i32): v128 {
  return act == ACT_RELU ? f32x4.max(v, f32x4.splat(0)) : v;
}

/**
 * Applies tanh or logistic in place to n floats at p. The SIMD kernels fuse only identity and
 * ReLU; the transcendental activations are a cheap second pass over the (small) output.
 */
export function actPass(p: usize, n: i32, act: i32): void {
  if (act != ACT_TANH && act != ACT_LOGISTIC) return;
  for (let i = 0; i < n; i++) {
    const a = p + (<usize>i << 2);
    store<f32>(a, actScalar(load<f32>(a), act));
  }
}
