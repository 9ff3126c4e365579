/**
 * The safetensors codec, f16, CSR and the prunekit model format: exact round trips, hand-built
 * files read byte by byte, and malformed files (truncation at every offset, a byte flip at every
 * header offset and a sample of data offsets): decoding must either succeed with a valid model
 * or throw a clear Error — never a wasm trap, a hang or a huge allocation. test/fuzz-load.test.ts
 * also loads and predicts with each of these files, under a 256 MiB memory cap.
 */
import { describe, expect, it } from 'vitest';
import { csrToDense, denseToCsr, narrowestIndex } from '../src/sparse/csr.js';
import { decodeF16, encodeF16, f16BitsToF32, f32ToF16Bits } from '../src/sparse/f16.js';
import { type CompactModel, decodeModel, denseWeight, encodeModel, validate } from '../src/sparse/format.js';
import { describeModel } from '../src/sparse/info.js';
import { decodeSafetensors, encodeSafetensors, FormatError } from '../src/util/safetensors.js';
import { smallModel } from './helpers/crafted-models.js';
import { rng } from './helpers/rng.js';

/** A safetensors file built by hand: header JSON (space-padded to 8 bytes) + raw data bytes. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  let text = JSON.stringify(header);
  while ((8 + text.length) % 8) text += ' ';
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('reads a hand-built file (independent of the encoder)', () => {
    const data = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const bytes = handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, __metadata__: { k: 'v' } }, data);
    const st = decodeSafetensors(bytes);
    expect(Array.from(st.tensors.get('a')!.data)).toEqual([1.5, -2]);
    expect(st.metadata).toEqual({ k: 'v' });
  });

  it('round-trips every dtype, aligns the data section to 64 and each tensor to its item size', () => {
    const r = rng(1);
    const tensors = {
      u8: { dtype: 'U8' as const, shape: [3], data: new Uint8Array([1, 2, 255]) },
      f32: { dtype: 'F32' as const, shape: [2, 3], data: r.f32(6) },
      f16: { dtype: 'F16' as const, shape: [1], data: new Uint16Array([0x3c00]) },
      u16: { dtype: 'U16' as const, shape: [3], data: new Uint16Array([1, 2, 65535]) },
      u32: { dtype: 'U32' as const, shape: [1], data: new Uint32Array([4e9]) },
      i32: { dtype: 'I32' as const, shape: [2], data: new Int32Array([-5, 7]) },
      empty: { dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { format: 'x' });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 64).toBe(0);
    const st = decodeSafetensors(bytes);
    expect([...st.tensors.keys()]).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const got = st.tensors.get(name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Array.from(got.data)).toEqual(Array.from(t.data));
      expect(got.data.byteOffset % got.data.BYTES_PER_ELEMENT).toBe(0);
      expect(got.data.buffer).toBe(bytes.buffer); // viewed in place, not copied
    }
    // the JSON is the spec's: offsets relative to the data section, contiguous
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header.__metadata__).toEqual({ format: 'x' });
    expect(header.f32.data_offsets[1] - header.f32.data_offsets[0]).toBe(24);
  });

  it("copies when the caller's buffer is misaligned", () => {
    const bytes = encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Float32Array([3, 4]) } });
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Array.from(decodeSafetensors(shifted.subarray(1)).tensors.get('a')!.data)).toEqual([3, 4]);
    // a Node Buffer's slice() is a view of the whole memory, not a copy: the copy must not use it
    const buf = Buffer.concat([Buffer.alloc(5, 7), Buffer.from(bytes)]).subarray(5);
    expect(buf.byteOffset % 4).not.toBe(0);
    expect(Array.from(decodeSafetensors(buf).tensors.get('a')!.data)).toEqual([3, 4]);
  });

  const f32x2 = new Uint8Array(8);
  const cases: [string, Uint8Array, RegExp][] = [
    ['short file', new Uint8Array(5), /shorter than the 8-byte/],
    [
      'header beyond file',
      (() => {
        const b = new Uint8Array(16);
        b[0] = 200;
        return b;
      })(),
      /exceeds the 8 bytes/,
    ],
    [
      'absurd header',
      (() => {
        const b = new Uint8Array(16);
        b.fill(0xff, 0, 8);
        return b;
      })(),
      /100000000-byte limit/,
    ],
    ['not JSON', handMade({}, new Uint8Array()).map((v, i) => (i === 8 ? 0x5b : v)), /must start with|not valid JSON/],
    [
      'not UTF-8',
      (() => {
        const b = handMade({ a: 1 }, new Uint8Array());
        b[10] = 0xff;
        return b;
      })(),
      /not valid UTF-8/,
    ],
    ['unknown dtype', handMade({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, f32x2), /tensor 'a': unknown dtype "C64"/],
    ['bad shape', handMade({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, f32x2), /tensor 'a': shape must be/],
    [
      'size mismatch',
      handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 8] } }, f32x2),
      /tensor 'a': shape \[1\] of F32 needs 4 bytes, data_offsets span 8/,
    ],
    ['huge shape', handMade({ a: { dtype: 'F32', shape: [1e9, 1e9], data_offsets: [0, 8] } }, f32x2), /more than the file holds/],
    ['outside', handMade({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32x2), /tensor 'a': data_offsets \[0, 16\] lie outside/],
    ['overlap', handMade({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32x2), /overlaps/],
    ['hole', handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32x2), /belong to no tensor/],
    ['trailing', handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32x2), /trailing bytes/],
    [
      'misaligned',
      handMade(
        {
          a: { dtype: 'U8', shape: [1], data_offsets: [0, 1] },
          b: { dtype: 'U16', shape: [2], data_offsets: [1, 5] },
          c: { dtype: 'U8', shape: [3], data_offsets: [5, 8] },
        },
        f32x2,
      ),
      /tensor 'b': starts at byte \d+, not a multiple of its item size 2/,
    ],
    ['metadata not string', handMade({ __metadata__: { a: 1 } }, new Uint8Array()), /__metadata__.a is not a string/],
    ['not an object', handMade([1] as unknown as object, new Uint8Array()), /must start with '\{'/],
  ];
  for (const [what, bytes, msg] of cases) {
    it(`rejects: ${what}`, () => {
      expect(() => decodeSafetensors(bytes)).toThrow(FormatError);
      expect(() => decodeSafetensors(bytes)).toThrow(msg);
    });
  }
});

describe('f16', () => {
  it('decodes by the IEEE formula (hand-checked values)', () => {
    expect(f16BitsToF32(0x3c00)).toBe(1);
    expect(f16BitsToF32(0xc000)).toBe(-2);
    expect(f16BitsToF32(0x7bff)).toBe(65504);
    expect(f16BitsToF32(0x0001)).toBe(2 ** -24);
    expect(f16BitsToF32(0x0400)).toBe(2 ** -14);
    expect(f16BitsToF32(0x7c00)).toBe(Infinity);
    expect(Object.is(f16BitsToF32(0x8000), -0)).toBe(true);
    expect(f16BitsToF32(0x7e00)).toBeNaN();
  });

  it('every finite f16 round-trips exactly', () => {
    const bad: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) !== 0x7c00 && f32ToF16Bits(f16BitsToF32(h)) !== h) bad.push(h);
    }
    expect(bad).toEqual([]);
  });

  it('rounds to nearest, ties to even; overflow → Inf; underflow → subnormal/0', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1+2⁻¹⁰: even (1)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: even mantissa 2
    expect(f32ToF16Bits(65520)).toBe(0x7c00); // halfway to 2¹⁶ rounds to even → Inf
    expect(f32ToF16Bits(65519)).toBe(0x7bff);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // tie between 0 and the smallest subnormal: even (0)
    expect(f32ToF16Bits(1.5 * 2 ** -25)).toBe(1);
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(2); // tie between 1 and 2 subnormal units: even
    expect(f32ToF16Bits(-1e-10)).toBe(0x8000);
    // random values: the result is a nearest f16 (checked against both neighbours)
    const r = rng(3);
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround(r.uniform(-1, 1) * 2 ** Math.floor(r.uniform(-26, 16)));
      const h = f32ToF16Bits(x);
      const v = f16BitsToF32(h);
      const err = Math.abs(v - x);
      for (const nb of [h - 1, h + 1]) {
        if ((nb & 0x7fff) >= 0x7c00 || nb < 0 || (h ^ nb) & 0x8000) continue;
        if (err > Math.abs(f16BitsToF32(nb) - x)) expect.fail(`x = ${x}: got ${v}, neighbour ${f16BitsToF32(nb)} is nearer`);
      }
    }
    expect(Array.from(decodeF16(encodeF16([0.5, -3])))).toEqual([0.5, -3]);
  });
});

describe('CSR', () => {
  it('picks the narrowest index type', () => {
    expect(narrowestIndex(256)).toBe('u8');
    expect(narrowestIndex(257)).toBe('u16');
    expect(narrowestIndex(65536)).toBe('u16');
    expect(narrowestIndex(65537)).toBe('u32');
  });

  it('builds the scipy arrays of a hand-written matrix', () => {
    // [[0, 2, 0], [0, 0, 0], [1, 0, 3]]
    const m = denseToCsr([0, 2, 0, 0, 0, 0, 1, 0, 3], 3, 3);
    expect(Array.from(m.data)).toEqual([2, 1, 3]);
    expect(Array.from(m.indices)).toEqual([1, 0, 2]);
    expect(Array.from(m.indptr)).toEqual([0, 1, 1, 3]);
    expect(m.indices).toBeInstanceOf(Uint8Array);
  });

  for (const [cols, index, ctor] of [
    [300, 'u8', null],
    [300, 'auto', Uint16Array],
    [70000, 'auto', Uint32Array],
    [10, 'u32', Uint32Array],
    [10, 'u16', Uint16Array],
  ] as const) {
    it(`round-trips ${cols} columns with index ${index}`, () => {
      const r = rng(cols);
      const rows = 3;
      const w = Float32Array.from({ length: rows * cols }, () => (r.next() < 0.1 ? r.uniform() : 0));
      if (!ctor) {
        expect(() => denseToCsr(w, rows, cols, index)).toThrow(/do not fit u8/);
        return;
      }
      const m = denseToCsr(w, rows, cols, index);
      expect(m.indices).toBeInstanceOf(ctor);
      const back = csrToDense(m);
      expect(back.length).toBe(w.length);
      expect(back.every((v, i) => Object.is(v, w[i]))).toBe(true);
    });
  }
});

describe('model format', () => {
  it('round-trips exactly (dense f32, CSR u8 f16, CSR u16 k-means codes, preprocessing, provenance)', () => {
    const m = smallModel();
    const bytes = encodeModel(m);
    const back = decodeModel(bytes);
    expect(back.layers.map((l) => [l.layout, l.values.encoding])).toEqual([
      ['dense', 'f32'],
      ['csr', 'f16'],
      ['csr', 'kmeans'],
    ]);
    expect(back).toEqual(m);
    expect(decodeModel(bytes.slice().buffer)).toEqual(m);
    // the file is plain safetensors with the documented names and metadata
    const st = decodeSafetensors(bytes);
    expect([...st.tensors.keys()].sort()).toEqual([
      'layers.0.bias',
      'layers.0.weight',
      'layers.1.bias',
      'layers.1.weight.data',
      'layers.1.weight.indices',
      'layers.1.weight.indptr',
      'layers.2.bias',
      'layers.2.weight.codebook',
      'layers.2.weight.data',
      'layers.2.weight.indices',
      'layers.2.weight.indptr',
      'preprocessing.mean',
      'preprocessing.scale',
    ]);
    expect(st.metadata.format).toBe('prunekit');
    expect(st.metadata.format_version).toBe('1');
    expect(JSON.parse(st.metadata.prunekit).layers[1]).toEqual({ activation: 'tanh', layout: 'csr', shape: [3, 5], values: 'f16' });
    // k-means dense weight = codebook[codes] scattered
    const d = denseWeight(back.layers[2]);
    const c = m.layers[2] as Extract<CompactModel['layers'][number], { layout: 'csr' }>;
    expect(d[c.indices[0]]).toBe(-0.5);
  });

  it('info: bytes per part and the dense f32 size (checked against an encoded dense copy)', () => {
    const m = smallModel();
    const bytes = encodeModel(m);
    const info = describeModel(m, bytes.length);
    const dense: CompactModel = {
      ...m,
      layers: m.layers.map((l) => ({
        inFeatures: l.inFeatures,
        outFeatures: l.outFeatures,
        activation: l.activation,
        bias: l.bias,
        layout: 'dense',
        values: { encoding: 'f32', values: denseWeight(l) },
      })),
    };
    expect(info.dense_bytes).toBe(encodeModel(dense).length);
    expect(info.layers.map((l) => l.format)).toEqual(['dense', 'csr', 'csr']);
    const l1 = info.layers[1];
    expect(l1.bytes).toMatchObject({ weight: l1.nonzeros * 2, indices: l1.nonzeros, indptr: 16, bias: 12 });
  });

  const semantic: [string, (m: CompactModel) => void, RegExp][] = [
    [
      'indptr decreasing',
      (m) => {
        const l = m.layers[1] as any;
        l.indptr = Uint32Array.from(l.indptr);
        l.indptr[1] = l.indptr[2] + 1;
      },
      /indptr|indices/,
    ],
    [
      'index out of range',
      (m) => {
        const l = m.layers[1] as any;
        l.indices = Uint8Array.from(l.indices);
        l.indices[0] = 5;
      },
      /out of range/,
    ],
    [
      'code beyond codebook',
      (m) => {
        const l = m.layers[2] as any;
        l.values.codes = Uint8Array.from(l.values.codes);
        l.values.codes[0] = 3;
      },
      /≥ the codebook length 3/,
    ],
    [
      'NaN weight',
      (m) => {
        (m.layers[0].values as any).values[3] = NaN;
      },
      /layers.0.weight\[3\] is NaN/,
    ],
    [
      'inf f16',
      (m) => {
        const v = m.layers[1].values as any;
        v.bits = Uint16Array.from(v.bits);
        v.bits[0] = 0x7c00;
      },
      /not a finite f16/,
    ],
    // the checks run as one pass and search again only on failure: the first bad entry is still named
    [
      'the last weight NaN, not the first',
      (m) => {
        const v = (m.layers[0].values as any).values;
        v[v.length - 1] = NaN;
        v[1] = -Infinity;
      },
      /layers.0.weight\[1\] is -Infinity/,
    ],
    [
      'an infinite bias',
      (m) => {
        m.layers[2].bias[m.layers[2].bias.length - 1] = Infinity;
      },
      /layers.2.bias\[1\] is Infinity/,
    ],
    [
      'NaN f16 at the end',
      (m) => {
        const v = m.layers[1].values as any;
        v.bits = Uint16Array.from(v.bits);
        v.bits[v.bits.length - 1] = 0xfe00;
      },
      /weight.data\[\d+\] is not a finite f16 value \(bits 0xfe00\)/,
    ],
    [
      'the first of two indices out of range',
      (m) => {
        const l = m.layers[1] as any;
        l.indices = Uint8Array.from(l.indices);
        l.indices[l.indices.length - 1] = 9;
        l.indices[1] = 5;
      },
      /indices\[1\] = 5 is out of range \(columns: 5\)/,
    ],
    [
      'indptr decreasing (named row)',
      (m) => {
        const l = m.layers[1] as any;
        l.indptr = Uint32Array.from(l.indptr);
        l.indptr[1] = l.indptr[2] + 1;
      },
      /indptr decreases at row 1/,
    ],
    [
      'widths do not chain',
      (m) => {
        m.layers[1].inFeatures = 6;
      },
      /layer 1 takes 6 inputs but layer 0 has 5 outputs/,
    ],
    [
      'zero scale',
      (m) => {
        m.preprocessing.scale![2] = 0;
      },
      /preprocessing.scale\[2\] is 0/,
    ],
    [
      'subnormal scale (1/scale = +Infinity in f32)',
      (m) => {
        m.preprocessing.scale![1] = 1e-45;
      },
      /preprocessing.scale\[1\] is .*e-45: its reciprocal is not a finite f32/,
    ],
    [
      'NaN mean',
      (m) => {
        m.preprocessing.mean![0] = NaN;
      },
      /preprocessing.mean\[0\] is NaN/,
    ],
  ];
  for (const [what, corrupt, msg] of semantic) {
    it(`rejects: ${what}`, () => {
      const m = smallModel();
      corrupt(m);
      expect(() => validate(m)).toThrow(msg);
    });
  }

  /** Re-encodes a model's file with its prunekit metadata edited. */
  function withMeta(edit: (meta: Record<string, string>, inner: any) => void): Uint8Array {
    const st = decodeSafetensors(encodeModel(smallModel()));
    const inner = JSON.parse(st.metadata.prunekit);
    edit(st.metadata, inner);
    st.metadata.prunekit = JSON.stringify(inner);
    return encodeSafetensors(st.tensors, st.metadata);
  }
  it('rejects an unknown format_version, activation, layout, a missing or extra tensor', () => {
    expect(() =>
      decodeModel(
        withMeta((m) => {
          m.format_version = '3';
        }),
      ),
    ).toThrow(/unsupported format_version "3" \(this reader knows "1" and "2"\)/);
    expect(() =>
      decodeModel(
        withMeta((_, i) => {
          i.layers[0].activation = 'gelu';
        }),
      ),
    ).toThrow(/layer 0: unknown activation "gelu"/);
    expect(() =>
      decodeModel(
        withMeta((_, i) => {
          i.layers[2].layout = 'coo';
        }),
      ),
    ).toThrow(/layer 2: layout must be/);
    expect(() =>
      decodeModel(
        withMeta((_, i) => {
          i.layers[0].shape = [5, 4e9];
        }),
      ),
    ).toThrow(/shape must be/);
    expect(() =>
      decodeModel(
        withMeta((m) => {
          m.kind = 'masked';
        }),
      ),
    ).toThrow(/training-model file/);
    const st = decodeSafetensors(encodeModel(smallModel()));
    st.tensors.delete('layers.0.bias');
    expect(() => decodeModel(encodeSafetensors(st.tensors, st.metadata))).toThrow(/tensor 'layers.0.bias' is missing/);
    const st2 = decodeSafetensors(encodeModel(smallModel()));
    st2.tensors.set('extra', { dtype: 'U8', shape: [1], data: new Uint8Array(1) });
    expect(() => decodeModel(encodeSafetensors(st2.tensors, st2.metadata))).toThrow(/unexpected tensor 'extra'/);
  });

  /** Decoding must succeed with a valid model or throw an Error with a message — nothing else. */
  function decodeOrClearError(bytes: Uint8Array): 'ok' | 'error' {
    try {
      const m = decodeModel(bytes);
      validate(m); // structure valid, values finite
      return 'ok';
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
      expect((e as Error).message.length).toBeGreaterThan(10);
      return 'error';
    }
  }

  it('truncation at every offset: a clear error each time', () => {
    const bytes = encodeModel(smallModel());
    for (let n = 0; n < bytes.length; n++) expect(decodeOrClearError(bytes.slice(0, n))).toBe('error');
  });

  it('a byte flip at every header offset and every 7th data offset: valid model or a clear error', () => {
    const bytes = encodeModel(smallModel());
    const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const t0 = performance.now();
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < bytes.length; i += i < dataStart ? 1 : 7) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const b = bytes.slice();
        b[i] ^= mask;
        seen[decodeOrClearError(b)]++;
      }
    }
    expect(seen.error).toBeGreaterThan(0);
    expect(seen.ok).toBeGreaterThan(0); // flips inside weights/whitespace still decode
    expect(performance.now() - t0).toBeLessThan(20_000); // no hang
  });
});
