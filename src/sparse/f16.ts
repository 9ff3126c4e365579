/**
 * IEEE 754 binary16 ("half") conversion in plain TypeScript (no Math.f16round on Node 20).
 * f32 → f16 rounds to nearest, ties to even, with gradual underflow to subnormals, overflow to
 * ±Infinity and NaN kept NaN. Layout: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
 */
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits nearest to `x` (first rounded to f32, as the stored values are f32). */
export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf, NaN
  const e = exp - 127 + 15; // re-biased exponent
  if (e >= 0x1f) return sign | 0x7c00; // too large: ±Infinity
  if (e <= 0) {
    // subnormal half: value = m · 2⁻²⁴, m = (1.mant) · 2^(exp−126) = mant24 >> (14 − e)
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    const m24 = mant | 0x800000;
    const shift = 14 - e;
    const rem = m24 & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    let m = m24 >>> shift;
    if (rem > half || (rem === half && m & 1)) m++; // may carry into the smallest normal: still right
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++; // a carry may roll into the exponent (up to Inf): right
  return h;
}

export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export function encodeF16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32ToF16Bits(values[i]);
  return out;
}

export function decodeF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16BitsToF32(bits[i]);
  return out;
}

/** True when the bits encode a finite number (exponent field not all ones). */
export const isFiniteF16 = (h: number): boolean => (h & 0x7c00) !== 0x7c00;
