// The widening conversions import relies on, each against values known by construction, and the
// safetensors codec's F64/BF16 tensors (torch's float64 and bfloat16 state dicts).
import { describe, expect, it } from 'vitest';
import { bf16BitsToF64, f16BitsToF64 } from '../../src/import/values.js';
import { readTensor } from '../../src/import/onnx/tensor.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/util/safetensors.js';

describe('import: stored floats → float64', () => {
  it('binary16 bit patterns: normals, subnormals, signed zero, infinities', () => {
    // 0x3c00 = 1, 0xc000 = −2, 0x3555 ≈ 0.333251953125, 0x0001 = 2^−24 (smallest subnormal), 0x7bff = 65504
    expect(Array.from(f16BitsToF64([0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff, 0x8000, 0x7c00]))).toEqual([1, -2, 0.333251953125, 2 ** -24, 65504, -0, Infinity]);
  });

  it('bfloat16 bit patterns are the top half of an f32', () => {
    // 0x3f80 = 1, 0xc040 = −3, 0x3e20 = 0.15625, 0x7f80 = +Inf
    expect(Array.from(bf16BitsToF64([0x3f80, 0xc040, 0x3e20, 0x7f80]))).toEqual([1, -3, 0.15625, Infinity]);
  });

  it('ONNX tensors: raw_data little-endian and typed fields give the same values; counts are checked first', () => {
    const raw = new Uint8Array(Float64Array.of(1.5, -2.25).buffer);
    expect(Array.from(readTensor({ dims: [2], data_type: 11, raw_data: raw }, 't').values!)).toEqual([1.5, -2.25]);
    expect(Array.from(readTensor({ dims: [2], data_type: 11, double_data: [1.5, -2.25] }, 't').values!)).toEqual([1.5, -2.25]);
    expect(Array.from(readTensor({ dims: [2], data_type: 7, raw_data: new Uint8Array(BigInt64Array.of(-1n, 300n).buffer) }, 't').values!)).toEqual([-1, 300]);
    expect(() => readTensor({ dims: [3], data_type: 1, float_data: [1, 2] }, "initializer 'w'")).toThrow(
      /initializer 'w': shape \[3\] needs 3 values, the tensor holds 2/,
    );
    expect(() => readTensor({ dims: [1e6, 1e6], data_type: 1, raw_data: new Uint8Array(8) }, 'w')).toThrow(/more than 2\^31 elements/);
    expect(() => readTensor({ dims: [2], data_type: 1, raw_data: new Uint8Array(7) }, 'w')).toThrow(/needs 8 bytes of raw_data, the tensor holds 7/);
    expect(() => readTensor({ dims: [1], data_type: 14 }, 'w')).toThrow(/unsupported data type 14 tensor/);
  });

  it('safetensors F64 and BF16 tensors round-trip through the codec', () => {
    const f64 = Float64Array.of(0.1, -1e300);
    const bf = Uint16Array.of(0x3f80, 0xc040, 0x3e20);
    const back = decodeSafetensors(encodeSafetensors({ d: { dtype: 'F64', shape: [2], data: f64 }, b: { dtype: 'BF16', shape: [3], data: bf } }));
    expect(back.tensors.get('d')).toEqual({ dtype: 'F64', shape: [2], data: f64 });
    expect(back.tensors.get('b')).toEqual({ dtype: 'BF16', shape: [3], data: bf });
  });
});
