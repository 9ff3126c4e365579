// Kernels only training needs: the activation derivative, the masked SGD update and the training-history sums.
import { madd } from "./common";

/**
 * dZ = dY ⊙ act'(z), written in terms of the activation's output y (in place allowed):
 * relu: y > 0;  tanh: 1 − y²;  logistic: y(1 − y);  identity: 1.
 */
export function f32_act_backward(dY: usize, Y: usize, dZ: usize, n: i32, act: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dY + o), y = load<f32>(Y + o);
    let d: f32 = g;
    if (act == 1) d = y > 0 ? g : 0;
    else if (act == 2) d = g * (1 - y * y);
    else if (act == 3) d = g * y * (1 - y);
    store<f32>(dZ + o, d);
  }
}

/**
 * Masked SGD with momentum (PyTorch's convention, dampening 0):
 *   g ← g + wd·w;  v ← μ·v + g;  step = nesterov ? g + μ·v : v;  w ← w − lr·step
 * and where mask[i] == 0: w[i] = v[i] = +0 exactly (bitwise and with the comparison result).
 * mask == 0 (null pointer) means no mask.
 */
export function f32_sgd_masked(w: usize, v: usize, g: usize, mask: usize, n: i32, lr: f32, mu: f32, wd: f32, nesterov: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const lrv = f32x4.splat(lr), muv = f32x4.splat(mu), wdv = f32x4.splat(wd), zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      let wi = v128.load(w + o);
      const gi = madd(wdv, wi, v128.load(g + o));
      let vi = madd(muv, v128.load(v + o), gi);
      const step = nesterov ? madd(muv, vi, gi) : vi;
      wi = f32x4.sub(wi, f32x4.mul(lrv, step));
      if (mask) {
        const keep = f32x4.ne(v128.load(mask + o), zero);
        wi = v128.and(wi, keep);
        vi = v128.and(vi, keep);
      }
      v128.store(w + o, wi);
      v128.store(v + o, vi);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + wd * wi;
    let vi = mu * load<f32>(v + o) + gi;
    const step = nesterov ? gi + mu * vi : vi;
    wi = wi - lr * step;
    if (mask && load<f32>(mask + o) == 0) { wi = 0; vi = 0; }
    store<f32>(w + o, wi);
    store<f32>(v + o, vi);
  }
}

/**
 * Movement scores (Sanh et al. 2020), one optimizer step: S ← S − W ⊙ G over n weights, each
 * element in f64 and rounded once to f32. f64(w)·f64(g) is exact for f32 inputs, so this is
 * bit for bit JavaScript's `S[i] -= W[i] * G[i]` on Float32Arrays.
 */
export function f32_movement_step(S: usize, W: usize, G: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const s = v128.load(S + o), w = v128.load(W + o), g = v128.load(G + o);
      const lo = f64x2.sub(f64x2.promote_low_f32x4(s), f64x2.mul(f64x2.promote_low_f32x4(w), f64x2.promote_low_f32x4(g)));
      const sh = v128.shuffle<f32>(s, s, 2, 3, 2, 3), wh = v128.shuffle<f32>(w, w, 2, 3, 2, 3), gh = v128.shuffle<f32>(g, g, 2, 3, 2, 3);
      const hi = f64x2.sub(f64x2.promote_low_f32x4(sh), f64x2.mul(f64x2.promote_low_f32x4(wh), f64x2.promote_low_f32x4(gh)));
      v128.store(S + o, v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(S + o, <f32>(<f64>load<f32>(S + o) - <f64>load<f32>(W + o) * <f64>load<f32>(G + o)));
  }
}

/**
 * Σ g[i]² over the n entries with mask[i] ≠ 0 (mask 0: all of them), in f64 — four running sums
 * in the SIMD builds, so the last bits may differ from a sum taken in order.
 */
export function f32_sum_squares_masked(g: usize, mask: usize, n: i32): f64 {
  let i = 0;
  let total: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a = f64x2.splat(0), b = f64x2.splat(0);
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      let x = v128.load(g + o);
      if (mask) x = v128.and(x, f32x4.ne(v128.load(mask + o), zero));
      const lo = f64x2.promote_low_f32x4(x), hi = f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 2, 3));
      a = f64x2.add(a, f64x2.mul(lo, lo));
      b = f64x2.add(b, f64x2.mul(hi, hi));
    }
    total = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (mask && load<f32>(mask + o) == 0) continue;
    const x = <f64>load<f32>(g + o);
    total += x * x;
  }
  return total;
}
