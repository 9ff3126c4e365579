/**
 * format_version 2 (FORMAT.md, "Version 2"): bit packing, canonical Huffman codes, relative
 * indices with fillers — each against hand-computed cases — then whole files: written and read
 * back to the same arrays, predicted with exactly as their version 1 twin, and refused with a
 * clear FormatError when a stream, table or count is wrong.
 */
import { describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { createMLP } from '../src/nn/model.js';
import { loadModelSync } from '../src/runtime/index.js';
import { type CsrLayer, decodeModel, denseWeight, encodeModel, validate } from '../src/sparse/format.js';
import { describeModel } from '../src/sparse/info.js';
import { packBits, unpackBits } from '../src/sparse/v2/bits.js';
import { decodeGaps, encodeGaps, gapFieldCount } from '../src/sparse/v2/gaps.js';
import { canonicalCodes, checkLengths, huffmanDecode, huffmanEncode, huffmanLengths } from '../src/sparse/v2/huffman.js';
import { decodeSafetensors, FormatError } from '../src/util/safetensors.js';
import { editedFile, smallModel, smallModelV2 } from './helpers/crafted-models.js';
import { decodeLayersV2 } from '../src/sparse/v2/file.js';
import { rng } from './helpers/rng.js';

describe('bit packing', () => {
  it('packs fields least significant bit first, padded with zeros', () => {
    // 3-bit fields 5 (101), 3 (011), 7 (111): bits from byte 0's LSB: 1 0 1 | 1 1 0 | 1 1 | 1 → 0b11011101, 0b00000001
    expect([...packBits([5, 3, 7], 3)]).toEqual([0b11011101, 0b00000001]);
  });
  it('round-trips every width 1…8', () => {
    const r = rng(1);
    for (let w = 1; w <= 8; w++) {
      const v = Uint8Array.from({ length: 37 }, () => r.int(2 ** w));
      expect([...unpackBits(packBits(v, w), w, v.length, 's')]).toEqual([...v]);
    }
  });
  it('refuses a stream of the wrong length or with nonzero padding', () => {
    expect(() => unpackBits(new Uint8Array(3), 3, 5, 'layers.0.weight.codes')).toThrow(
      /layers\.0\.weight\.codes is 3 bytes, expected 2 for 5 fields of 3 bits/,
    );
    expect(() => unpackBits(Uint8Array.of(0, 0x80), 3, 5, 'x')).toThrow(/padding bits/);
  });
});

describe('canonical Huffman codes', () => {
  it('assigns RFC 1951 §3.2.2 example codes from lengths (3,3,3,3,3,2,4,4)', () => {
    const codes = canonicalCodes([3, 3, 3, 3, 3, 2, 4, 4]);
    expect([...codes]).toEqual([0b010, 0b011, 0b100, 0b101, 0b110, 0b00, 0b1110, 0b1111]);
  });
  it('gives optimal, complete lengths and round-trips', () => {
    const lengths = huffmanLengths([45, 13, 12, 16, 9, 5]); // CLRS 16.3: a:1 c,b,d:3 f,e:4
    expect([...lengths]).toEqual([1, 3, 3, 3, 4, 4]);
    checkLengths(lengths, 't');
    const r = rng(2);
    const symbols = Uint8Array.from({ length: 500 }, () => Math.min(5, Math.floor(-Math.log2(r.next() + 1e-9))));
    const freqs = new Float64Array(6);
    for (const s of symbols) freqs[s]++;
    const L = huffmanLengths(freqs);
    expect([...huffmanDecode(huffmanEncode(symbols, L), L, symbols.length, 's')]).toEqual([...symbols]);
  });
  it('codes a one-symbol stream with a complete two-code table', () => {
    const L = huffmanLengths([0, 0, 7, 0]);
    checkLengths(L, 't');
    expect([...huffmanDecode(huffmanEncode(Uint8Array.of(2, 2, 2), L), L, 3, 's')]).toEqual([2, 2, 2]);
  });
  it('keeps code lengths ≤ 15 for skewed (Fibonacci) frequencies', () => {
    const fib = [1, 1];
    while (fib.length < 30) fib.push(fib.at(-1)! + fib.at(-2)!);
    expect(Math.max(...huffmanLengths(fib))).toBeLessThanOrEqual(15);
    checkLengths(huffmanLengths(fib), 't');
  });
  it('refuses incomplete, oversubscribed, too long or one-code tables, streams that end early and trailing bytes', () => {
    const d = (lengths: number[], bytes: number[], n: number) => () =>
      huffmanDecode(Uint8Array.from(bytes), Uint8Array.from(lengths), n, 'layers.1.weight.gaps');
    expect(d([1, 2, 0, 0], [0], 1)).toThrow(/layers\.1\.weight\.gaps\.lengths is not a complete prefix code/);
    expect(d([1, 1, 1, 0], [0], 1)).toThrow(/not a complete prefix code/);
    expect(d([16, 1, 0, 0], [0], 1)).toThrow(/code length ≤ 15/);
    expect(d([1, 0, 0, 0], [0], 1)).toThrow(/not a complete prefix code/);
    expect(d([1, 1], [0], 9)).toThrow(/declares 9 symbols but has only 8 bits/);
    expect(d([2, 2, 2, 2], [0], 5)).toThrow(/ends early/);
    expect(d([1, 1], [0, 0], 3)).toThrow(/1 trailing bytes/);
  });
});

describe('relative indices with fillers', () => {
  it('stores gaps above 2^w − 1 as fillers, row boundaries by position (hand-computed)', () => {
    // 2 × 40, width 4 (M = 15): positions 0, 20, 40 + 39 = 79.
    // gaps 1 → field 0; 20 → filler, then 5 → field 4; 59 → 3 fillers (45), then 14 → field 13
    const fields = encodeGaps([0, 20, 39], [0, 2, 3], 40, 4);
    expect([...fields]).toEqual([0, 15, 4, 15, 15, 15, 13]);
    expect(gapFieldCount([0, 20, 39], [0, 2, 3], 40, 4)).toBe(7);
    const { indices, indptr } = decodeGaps(fields, 4, 2, 40, 3, 'g');
    expect([...indices]).toEqual([0, 20, 39]);
    expect([...indptr]).toEqual([0, 2, 3]);
  });
  it('round-trips random CSR matrices at every width 2…8, empty rows included', () => {
    const r = rng(3);
    for (let w = 2; w <= 8; w++) {
      const rows = 7,
        cols = 300,
        indices: number[] = [],
        indptr = [0];
      for (let i = 0; i < rows; i++) {
        for (let c = 0; c < cols; c++) if (i !== 3 && r.next() < 0.05) indices.push(c);
        indptr.push(indices.length);
      }
      const d = decodeGaps(encodeGaps(indices, indptr, cols, w), w, rows, cols, indices.length, 'g');
      expect([...d.indices]).toEqual(indices);
      expect([...d.indptr]).toEqual(indptr);
    }
  });
  it('refuses positions past the matrix, wrong counts and trailing fillers', () => {
    expect(() => decodeGaps(Uint8Array.of(14, 14), 4, 1, 20, 2, 'layers.0.weight.gaps')).toThrow(
      /layers\.0\.weight\.gaps field 1 points at position 29, past the 1×20 matrix/,
    );
    expect(() => decodeGaps(Uint8Array.of(0, 1), 4, 1, 20, 1, 'g')).toThrow(/more nonzeros than the 1 declared/);
    expect(() => decodeGaps(Uint8Array.of(0), 4, 1, 20, 2, 'g')).toThrow(/has 1 fields, fewer than the 2 nonzeros/);
    expect(() => decodeGaps(Uint8Array.of(0, 15), 4, 2, 20, 1, 'g')).toThrow(/ends with a filler/);
  });
});

describe('format_version 2 files', () => {
  const variants = {
    'plain, packed': { index: 'plain', gapBits: 0, entropy: 'none' },
    'delta:4, packed': { index: 'delta', gapBits: 4, entropy: 'none' },
    'delta:5, huffman': { index: 'delta', gapBits: 5, entropy: 'huffman' },
    'delta:2, huffman': { index: 'delta', gapBits: 2, entropy: 'huffman' },
  } as const;
  for (const [name, s] of Object.entries(variants)) {
    it(`${name}: reads back the same weights, re-encodes byte for byte, predicts as version 1`, () => {
      const v1 = smallModel();
      const m = { ...v1, storage: { version: 2 as const, layers: v1.layers.map(() => ({ ...s })) } };
      const bytes = encodeModel(m);
      const back = decodeModel(bytes);
      back.layers.forEach((L, i) => expect([...denseWeight(L)]).toEqual([...denseWeight(v1.layers[i])]));
      expect(encodeModel(back)).toEqual(bytes);
      const x = Float32Array.from({ length: 5 * 4 }, (_, i) => Math.sin(i));
      expect(loadModelSync(bytes).predictLogits(x)).toEqual(loadModelSync(encodeModel(v1)).predictLogits(x));
      expect(describeModel(back, bytes.length).format_version).toBe(2);
    });
  }

  it('compact: packed 4-bit codes and relative indices make a LeNet-shaped k-means file smaller and keep its weights', () => {
    const mlp = createMLP({ sizes: [784, 64, 10], activation: 'relu', seed: 4 });
    mlp.layers.forEach((l) => {
      l.weight = l.weight.map((w, i) => ((i * 2654435761) % 100 < 93 ? 0 : w));
    });
    const v1 = compact(mlp, { values: 'kmeans', bits: 4 });
    const v2 = compact(mlp, { values: 'kmeans', bits: 4, formatVersion: 2 });
    const huff = compact(mlp, { values: 'kmeans', bits: 4, entropy: 'huffman' });
    expect(v2.report.bytes).toBeLessThan(0.7 * v1.report.bytes);
    expect(huff.report.bytes).toBeLessThanOrEqual(v2.report.bytes);
    expect(v2.report.layers[0].index).toMatch(/^delta:[458]$/);
    const back = decodeModel(encodeModel(v2.compact));
    back.layers.forEach((L, i) => expect([...denseWeight(L)]).toEqual([...denseWeight(v1.compact.layers[i])]));
    const info = describeModel(back, v2.report.bytes);
    expect(info.layers.map((l) => l.bytes)).toEqual(v2.report.info.layers.map((l) => l.bytes));
    expect(info.layers[0].bytes.weight).toBe(Math.ceil((info.layers[0].nonzeros * 4) / 8)); // 4 bits per code
  });

  it('refuses wrong counts, streams, tables and codes with a FormatError naming the part', () => {
    const meta = JSON.parse(decodeSafetensors(encodeModel(smallModelV2())).metadata.prunekit);
    expect(meta.layers.map((l: Record<string, unknown>) => [l.codes, l.index, l.gaps])).toEqual([
      ['packed', undefined, undefined],
      [undefined, 'delta', 'huffman'],
      ['huffman', 'delta', 'huffman'],
    ]);
    const refuse = (edit: Parameters<typeof editedFile>[1], msg: RegExp) => {
      expect(() => decodeModel(editedFile(smallModelV2(), edit))).toThrow(FormatError);
      expect(() => decodeModel(editedFile(smallModelV2(), edit))).toThrow(msg);
    };
    refuse((_, meta) => {
      meta.layers[2].nnz = 1000;
    }, /layer 2: 1000 nonzeros need at least as many gap fields/);
    refuse((_, meta) => {
      meta.layers[2].gapFields = 10_000_000;
    }, /layers\.2\.weight\.gaps declares 10000000 symbols|layers\.2\.weight\.gaps is \d+ bytes, expected/);
    refuse((_, meta) => {
      meta.layers[2].gapBits = 9;
    }, /gapBits must be an integer 2…8/);
    refuse((_, meta) => {
      meta.layers[2].codes = 'rans';
    }, /codes must be "packed" or "huffman"/);
    refuse((_, meta) => {
      meta.layers[2].bits = 1;
    }, /a codebook of 3 entries does not fit 1-bit codes/);
    refuse((t) => {
      (t.get('layers.2.weight.codes.lengths')!.data as Uint8Array)[0] = 7;
    }, /layers\.2\.weight\.codes\.lengths is not a complete prefix code/);
    refuse((t) => {
      t.delete('layers.1.weight.gaps');
    }, /tensor 'layers\.1\.weight\.gaps' is missing/);
    // a packed 2-bit code 3 into a codebook of 3 entries
    refuse((t, meta) => {
      meta.layers[2].codes = 'packed';
      const n = meta.layers[2].nnz as number;
      t.delete('layers.2.weight.codes.lengths');
      t.set('layers.2.weight.codes', { dtype: 'U8', shape: [Math.ceil((n * 2) / 8)], data: packBits(new Array(n).fill(3), 2) });
    }, /code \[0\] = 3 is ≥ the codebook length 3/);
  });

  it('scans once: delta indices and codes from a small enough alphabet are valid by construction, the rest is scanned again', () => {
    // validate skips only the arrays it is told the decoder built and checked
    const m = smallModel();
    const L = m.layers[1] as CsrLayer;
    L.indptr = L.indptr.slice();
    L.indptr[1] = L.indptr[2] + 1; // decreasing: a structure no decoder would build
    expect(() => validate(m)).toThrow(/indptr decreases at row 1/);
    expect(() => validate(m, new Set([L.indices]))).not.toThrow();
    // decodeModel hands over the delta layers' indices and the codes whose alphabet fits the codebook
    const { tensors, metadata } = decodeSafetensors(encodeModel(smallModelV2()));
    const v2 = decodeLayersV2(JSON.parse(metadata.prunekit).layers, (name) => tensors.get(name)!.data);
    const has = (a: object | undefined) => (a ? v2.checked.has(a) : null);
    expect(v2.layers.map((l) => [has(l.layout === 'csr' ? l.indices : undefined), has(l.values.encoding === 'kmeans' ? l.values.codes : undefined)])).toEqual([
      [null, true], // packed 2-bit codes, 4 centroids
      [true, null],
      [true, true], // Huffman codes for 3 symbols, 3 centroids
    ]);
    // a plain-index version 2 layer still gets the full scan
    const plain = smallModel();
    const file = editedFile({ ...plain, storage: { version: 2, layers: plain.layers.map(() => ({ index: 'plain', gapBits: 0, entropy: 'none' })) } }, (t) => {
      (t.get('layers.1.weight.indices')!.data as Uint8Array)[0] = 200;
    });
    expect(() => decodeModel(file)).toThrow(/layers\.1\.weight: indices\[0\] = 200 is out of range \(columns: 5\)/);
    // a Huffman table with a code for symbol 3 into a codebook of 3: its codes are scanned again
    const withCode3 = (code3At: number) =>
      editedFile(smallModelV2(), (t, meta) => {
        const n = meta.layers[2].nnz as number;
        const codes = Uint8Array.from({ length: n }, (_, i) => (i === code3At ? 3 : i % 3));
        const lengths = huffmanLengths([0, 1, 2, 3].map((s) => codes.filter((c) => c === s).length + (s === 3 ? 1 : 0)));
        const stream = huffmanEncode(codes, lengths);
        t.set('layers.2.weight.codes', { dtype: 'U8', shape: [stream.length], data: stream });
        t.set('layers.2.weight.codes.lengths', { dtype: 'U8', shape: [4], data: lengths });
      });
    expect(() => decodeModel(withCode3(5))).toThrow(/layers\.2\.weight\.data code \[5\] = 3 is ≥ the codebook length 3/);
    const back = decodeModel(withCode3(-1)); // the code is in the table but never used: accepted
    expect(back.layers[2].values.encoding === 'kmeans' && Math.max(...back.layers[2].values.codes)).toBe(2);
  });
});
