// Kernels only training needs: the activation derivative and the masked SGD update.
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
