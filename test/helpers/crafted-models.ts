/**
 * Model files for the bad-input tests: a small valid model with every layer kind, and crafted
 * files — truncations, byte flips, and hand-made attacks on what a reader must refuse (values that
 * overflow f32, widths the file does not pay for). Built by editing the safetensors tensors
 * directly, because the encoder refuses to write any of them.
 */
import { encodeMLP } from '../../src/nn/io.js';
import { createMLP } from '../../src/nn/model.js';
import { denseToCsr } from '../../src/sparse/csr.js';
import { encodeF16 } from '../../src/sparse/f16.js';
import { type CompactModel, encodeModel } from '../../src/sparse/format.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../../src/util/safetensors.js';
import { rng } from './rng.js';

/** A small model with every layer kind: dense f32, CSR u8 f16, CSR u16 k-means, preprocessing. */
export function smallModel(): CompactModel {
  const r = rng(7);
  const w1 = r.f32(5 * 4);
  const sparse = (n: number) => Float32Array.from({ length: n }, () => (r.next() < 0.4 ? r.uniform() : 0));
  const c2 = denseToCsr(sparse(3 * 5), 3, 5);
  const c3 = denseToCsr(sparse(2 * 3), 2, 3, 'u16');
  return {
    layers: [
      { layout: 'dense', inFeatures: 4, outFeatures: 5, activation: 'relu', bias: r.f32(5), values: { encoding: 'f32', values: w1 } },
      {
        layout: 'csr',
        inFeatures: 5,
        outFeatures: 3,
        activation: 'tanh',
        bias: r.f32(3),
        indices: c2.indices,
        indptr: c2.indptr,
        values: { encoding: 'f16', bits: encodeF16(c2.data) },
      },
      {
        layout: 'csr',
        inFeatures: 3,
        outFeatures: 2,
        activation: 'identity',
        bias: r.f32(2),
        indices: c3.indices,
        indptr: c3.indptr,
        values: { encoding: 'kmeans', codebook: new Float32Array([-0.5, 0.25, 0.75]), codes: Uint8Array.from(c3.data, (_, i) => i % 3) },
      },
    ],
    preprocessing: { mean: r.f32(4), scale: r.f32(4, 0.5, 2), featureNames: ['a', 'b', 'c', 'd'], labelNames: ['no', 'yes'] },
    provenance: { note: 'test' },
  };
}

/**
 * A small format_version 2 model with every kind of stream: dense k-means codes (packed), a CSR f16
 * layer with relative 3-bit indices and a CSR k-means layer with relative 2-bit indices, both
 * Huffman-coded (skewed codes and gaps make Huffman the smaller choice), preprocessing.
 */
export function smallModelV2(): CompactModel {
  const r = rng(11);
  const sparse = (rows: number, cols: number, density: number) =>
    denseToCsr(
      Float32Array.from({ length: rows * cols }, () => (r.next() < density ? r.uniform() : 0)),
      rows,
      cols,
    );
  const c1 = sparse(120, 5, 0.5),
    c2 = sparse(2, 120, 0.9);
  return {
    layers: [
      {
        layout: 'dense',
        inFeatures: 4,
        outFeatures: 5,
        activation: 'relu',
        bias: r.f32(5),
        values: { encoding: 'kmeans', codebook: new Float32Array([-1, 0, 0.5, 1]), codes: Uint8Array.from({ length: 20 }, (_, i) => i % 4) },
      },
      {
        layout: 'csr',
        inFeatures: 5,
        outFeatures: 120,
        activation: 'tanh',
        bias: r.f32(120),
        indices: c1.indices,
        indptr: c1.indptr,
        values: { encoding: 'f16', bits: encodeF16(c1.data) },
      },
      {
        layout: 'csr',
        inFeatures: 120,
        outFeatures: 2,
        activation: 'identity',
        bias: r.f32(2),
        indices: c2.indices,
        indptr: c2.indptr,
        values: { encoding: 'kmeans', codebook: new Float32Array([-0.5, 0.25, 0.75]), codes: Uint8Array.from(c2.data, (_, i) => (i % 5 === 0 ? i % 3 : 1)) },
      },
    ],
    preprocessing: { mean: r.f32(4), scale: r.f32(4, 0.5, 2), featureNames: ['a', 'b', 'c', 'd'], labelNames: ['no', 'yes'] },
    provenance: { note: 'test v2' },
    storage: {
      version: 2,
      layers: [
        { index: 'plain', gapBits: 0, entropy: 'none' },
        { index: 'delta', gapBits: 3, entropy: 'huffman' },
        { index: 'delta', gapBits: 2, entropy: 'huffman' },
      ],
    },
  };
}

/** Re-encodes a valid model's file with its tensors and metadata edited (no validation on the way). */
export function editedFile(
  m: CompactModel,
  edit: (tensors: Map<string, Tensor>, meta: { layers: ({ shape: number[] } & Record<string, unknown>)[] } & Record<string, unknown>) => void,
): Uint8Array {
  const st = decodeSafetensors(encodeModel(m));
  const tensors = new Map([...st.tensors].map(([n, t]) => [n, { ...t, data: t.data.slice() } as Tensor]));
  const meta = JSON.parse(st.metadata.prunekit);
  edit(tensors, meta);
  return encodeSafetensors(tensors, { ...st.metadata, prunekit: JSON.stringify(meta) });
}

/** A one-layer CSR model (2 outputs, one nonzero per row), no preprocessing, no names. */
export function tinyCsrModel(inFeatures: number): CompactModel {
  return {
    layers: [
      {
        layout: 'csr',
        inFeatures,
        outFeatures: 2,
        activation: 'identity',
        bias: new Float32Array([0.1, -0.1]),
        indices: new Uint32Array([0, inFeatures - 1]),
        indptr: new Uint32Array([0, 1, 2]),
        values: { encoding: 'f32', values: new Float32Array([1, -1]) },
      },
    ],
    preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] },
    provenance: {},
  };
}

/**
 * Hand-made attacks, each with the outcome a reader must give: `refused` (a FormatError at load)
 * or `non-finite` (the file is valid, but predicting overflows f32: a NonFiniteOutputError, never
 * a NaN probability or a label).
 */
export function attackFiles(): { name: string; bytes: Uint8Array; expect: 'refused' | 'non-finite' }[] {
  return [
    ...attackFilesV2(),
    {
      name: 'subnormal scale (1e-45: 1/scale = +Infinity in f32)',
      expect: 'refused',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('preprocessing.scale')!)[1] = 1e-45;
      }),
    },
    {
      name: 'scale 1e-39 (reciprocal beyond f32)',
      expect: 'refused',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('preprocessing.scale')!)[0] = -1e-39;
      }),
    },
    {
      name: 'NaN mean',
      expect: 'refused',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('preprocessing.mean')!)[3] = NaN;
      }),
    },
    {
      name: 'infinite scale',
      expect: 'refused',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('preprocessing.scale')!)[2] = Infinity;
      }),
    },
    {
      name: 'dense weights ~3e38 (finite, overflow when summed)',
      expect: 'non-finite',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('layers.0.weight')!).fill(3e38);
      }),
    },
    {
      name: 'k-means codebook ~3e38',
      expect: 'non-finite',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('layers.2.weight.codebook')!).fill(-3e38);
        f32(t.get('layers.1.bias')!).fill(3);
      }),
    },
    {
      name: 'bias 3e38 into a 3e38 weight',
      expect: 'non-finite',
      bytes: editedFile(smallModel(), (t) => {
        f32(t.get('layers.0.bias')!).fill(3e38);
        f32(t.get('layers.0.weight')!).fill(3e38);
      }),
    },
    { name: 'CSR layer declaring 2^24 inputs with 2 nonzeros, no preprocessing', expect: 'refused', bytes: wideCsrFile(1 << 24) },
    { name: 'CSR layer declaring 2^20 inputs, no preprocessing', expect: 'refused', bytes: wideCsrFile(1 << 20) },
    {
      name: 'dense layer 0 × 2^24 (no weight bytes) before a 0-input layer',
      expect: 'refused',
      bytes: editedFile(tinyCsrModel(4), (t, meta) => {
        t.clear();
        t.set('layers.0.weight', { dtype: 'F32', shape: [0, 1 << 24], data: new Float32Array(0) });
        t.set('layers.0.bias', { dtype: 'F32', shape: [0], data: new Float32Array(0) });
        t.set('layers.1.weight', { dtype: 'F32', shape: [2, 0], data: new Float32Array(0) });
        t.set('layers.1.bias', { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) });
        meta.layers = [
          { activation: 'relu', layout: 'dense', shape: [0, 1 << 24], values: 'f32' },
          { activation: 'identity', layout: 'dense', shape: [2, 0], values: 'f32' },
        ];
      }),
    },
  ];
}

/** Hand-made attacks on a format_version 2 file: counts that would make the reader allocate what the file does not hold. */
function attackFilesV2(): { name: string; bytes: Uint8Array; expect: 'refused' | 'non-finite' }[] {
  const tiny = { ...tinyCsrModel(4), storage: { version: 2 as const, layers: [{ index: 'delta' as const, gapBits: 4, entropy: 'none' as const }] } };
  return [
    {
      name: 'v2: 2^31 gap fields declared in a 1-byte stream',
      expect: 'refused',
      bytes: editedFile(tiny, (_, meta) => {
        meta.layers[0].gapFields = 2 ** 31;
        meta.layers[0].nnz = 2 ** 31;
      }),
    },
    {
      name: 'v2: 2^31 Huffman code symbols declared',
      expect: 'refused',
      bytes: editedFile(smallModelV2(), (_, meta) => {
        meta.layers[2].nnz = 2 ** 31;
        meta.layers[2].gapFields = 2 ** 31;
      }),
    },
    {
      name: 'v2: relative indices in a CSR layer declaring 2^24 inputs',
      expect: 'refused',
      bytes: editedFile(tiny, (_, meta) => {
        meta.layers[0].shape = [2, 1 << 24];
      }),
    },
    {
      name: 'v2: 2^24 numbered feature names in a small file',
      expect: 'refused',
      bytes: editedFile(tiny, (_, meta) => {
        meta.features = { prefix: 'f', count: 1 << 24 };
      }),
    },
    {
      name: 'v2: k-means codebook ~3e38',
      expect: 'non-finite',
      bytes: editedFile(smallModelV2(), (t) => {
        f32(t.get('layers.2.weight.codebook')!).fill(3e38);
        f32(t.get('layers.1.bias')!).fill(3);
      }),
    },
  ];
}
const f32 = (t: Tensor) => t.data as Float32Array;

/** A few hundred bytes declaring `inFeatures` inputs: the encoder refuses it, so edit a narrow one's metadata. */
export function wideCsrFile(inFeatures: number): Uint8Array {
  return editedFile(tinyCsrModel(4), (t, meta) => {
    meta.layers[0].shape = [2, inFeatures];
    (t.get('layers.0.weight.indices')!.data as Uint32Array)[1] = inFeatures - 1;
  });
}

/** A small training-model file (4 → 5 → 3, one masked layer, stored standardisation). */
export function smallTrainingFile(): Uint8Array {
  const m = createMLP(
    { sizes: [4, 5, 3], activation: 'tanh', seed: 9 },
    {
      mean: Float32Array.of(1, 2, 3, 4),
      scale: Float32Array.of(0.5, 1, 2, 3),
      featureNames: ['a', 'b', 'c', 'd'],
      labelNames: ['x', 'y', 'z'],
    },
  );
  m.layers[0].mask = Uint8Array.from(m.layers[0].weight, (_, i) => i % 2);
  m.layers[0].weight.forEach((_, i) => {
    if (i % 2 === 0) m.layers[0].weight[i] = 0;
  });
  return encodeMLP(m);
}

/** Training-model files with the attacks a reader must refuse or report (see `attackFiles`). */
export function trainingAttackFiles(): { name: string; bytes: Uint8Array; expect: 'refused' | 'non-finite' }[] {
  const edit = (f: (t: Map<string, Tensor>) => void) => {
    const st = decodeSafetensors(smallTrainingFile());
    const tensors = new Map([...st.tensors].map(([n, t]) => [n, { ...t, data: t.data.slice() } as Tensor]));
    f(tensors);
    return encodeSafetensors(tensors, st.metadata);
  };
  const f32 = (t: Tensor) => t.data as Float32Array;
  return [
    {
      name: 'training file: subnormal scale',
      expect: 'refused',
      bytes: edit((t) => {
        f32(t.get('preprocessing.scale')!)[0] = 1e-45;
      }),
    },
    {
      name: 'training file: NaN mean',
      expect: 'refused',
      bytes: edit((t) => {
        f32(t.get('preprocessing.mean')!)[2] = NaN;
      }),
    },
    {
      name: 'training file: weights ~3e38',
      expect: 'non-finite',
      bytes: edit((t) => {
        f32(t.get('layers.1.weight')!).fill(3e38);
      }),
    },
  ];
}

/**
 * Every crafted compact file: the attacks, the valid model truncated at every offset, and one byte
 * flipped (by 0x01, 0x80, 0xff) at every header offset and every `dataStride`-th data offset.
 */
export function craftedFiles(dataStride = 7): { name: string; bytes: Uint8Array }[] {
  return [
    ...attackFiles(),
    ...mutations(encodeModel(smallModel()), dataStride),
    ...mutations(encodeModel(smallModelV2()), dataStride).map((f) => ({ ...f, name: `v2 ${f.name}` })),
  ];
}

/** The training-file attacks, and the small training file truncated and flipped as `craftedFiles`. */
export function craftedTrainingFiles(dataStride = 7): { name: string; bytes: Uint8Array }[] {
  return [...trainingAttackFiles(), ...mutations(smallTrainingFile(), dataStride)];
}

function mutations(bytes: Uint8Array, dataStride: number): { name: string; bytes: Uint8Array }[] {
  const files: { name: string; bytes: Uint8Array }[] = [];
  for (let n = 0; n < bytes.length; n++) files.push({ name: `truncated to ${n} bytes`, bytes: bytes.slice(0, n) });
  const dataStart = 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true));
  for (let i = 0; i < bytes.length; i += i < dataStart ? 1 : dataStride) {
    for (const mask of [0x01, 0x80, 0xff]) {
      const b = bytes.slice();
      b[i] ^= mask;
      files.push({ name: `byte ${i} ^ 0x${mask.toString(16)}`, bytes: b });
    }
  }
  return files;
}
