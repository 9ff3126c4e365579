/** Floating-point tensors of any stored width → float64 values (exact: every f16, bf16 and f32 is a double). */
import { f16BitsToF32 } from '../sparse/f16.js';

/** IEEE binary16 bit patterns → values. */
export function f16BitsToF64(bits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f16BitsToF32(bits[i] & 0xffff);
  return out;
}

const bf = new Float32Array(1);
const bfBits = new Uint32Array(bf.buffer);

/** bfloat16 bit patterns → values: a bfloat16 is the upper 16 bits of an f32. */
export function bf16BitsToF64(bits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i++) {
    bfBits[0] = (bits[i] & 0xffff) << 16;
    out[i] = bf[0];
  }
  return out;
}
