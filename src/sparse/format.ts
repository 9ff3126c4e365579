/**
 * The prunekit model file (FORMAT.md): a safetensors file whose tensors are
 *   layers.{i}.bias                      F32 [out]
 *   layers.{i}.weight                    dense layer: F32 | F16 | U8 codes, shape [out, in]
 *   layers.{i}.weight.data               CSR layer:   F32 | F16 | U8 codes, shape [nnz]
 *   layers.{i}.weight.indices            CSR layer:   U8 | U16 | U32, shape [nnz]
 *   layers.{i}.weight.indptr             CSR layer:   U32, shape [out + 1]
 *   layers.{i}.weight.codebook           k-means values: F32 [k], k ≤ 256 (codes index it)
 *   preprocessing.mean, preprocessing.scale   F32 [in] (optional; x' = (x − mean) / scale)
 * and whose __metadata__ holds format = "prunekit", kind = "compact", format_version = "1" and prunekit = a JSON
 * string { layers: [{ activation, layout, shape: [out, in], values }], features, labels, provenance }.
 *
 * `decodeModel` checks everything a kernel relies on before returning (see `validate`).
 */
import { Act, type ActName } from '../kernels/types.js';
import { checkCsr, csrToDense, type CsrIndices, indexTypeOf, type IndexType } from './csr.js';
import { decodeF16, isFiniteF16 } from './f16.js';
import { hasNonFinite, standardizationProblem } from '../util/finite.js';
import { maxOf } from '../util/stats.js';
import { decodeSafetensors, encodeSafetensors, FormatError, safetensorsByteLength, type Tensor, type TensorSpec } from '../util/safetensors.js';
import { decodeLayersV2, encodeLayersV2 } from './v2/file.js';
import { compressNames, expandNames } from './v2/names.js';
import type { FileStorage } from './v2/storage.js';

export { FormatError };
export const FORMAT_NAME = 'prunekit';
export const FORMAT_VERSION = '1';
/** The compact version (FORMAT.md, "Version 2"): packed codes, relative indices, Huffman. Written when a model has `storage`. */
export const FORMAT_VERSION_2 = '2';
/** Absolute upper bound on any width (a width above FREE_WIDTH must also be paid for by the file). */
export const MAX_FEATURES = 1 << 24;
/**
 * The widest layer a file may declare without paying for it with its own bytes: 65,536, the most
 * columns u16 indices address (a sample's two f32 activation buffers then take 512 KiB). See `checkWidthsPaidFor`.
 */
export const FREE_WIDTH = 65536;
const MAX_CODEBOOK = 256;

export type ValueEncoding = 'f32' | 'f16' | 'kmeans';

/** Weight values as stored: f32, f16 bits, or u8 codes into a per-layer codebook (Deep Compression). */
export type StoredValues =
  | { encoding: 'f32'; values: Float32Array }
  | { encoding: 'f16'; bits: Uint16Array }
  | { encoding: 'kmeans'; codes: Uint8Array; codebook: Float32Array };

interface LayerCommon {
  inFeatures: number;
  outFeatures: number;
  activation: ActName;
  bias: Float32Array;
  /** dense: out×in row-major values; csr: one value per nonzero. */
  values: StoredValues;
}
export type DenseLayer = LayerCommon & { layout: 'dense' };
export type CsrLayer = LayerCommon & { layout: 'csr'; indices: CsrIndices; indptr: Uint32Array };
export type CompactLayer = DenseLayer | CsrLayer;

export interface StoredPreprocessing {
  mean: Float32Array | null;
  scale: Float32Array | null;
  featureNames: string[];
  labelNames: string[];
}

export interface CompactModel {
  layers: CompactLayer[];
  preprocessing: StoredPreprocessing;
  provenance: Record<string, unknown>;
  /** Absent: written as format_version 1. Present: format_version 2 with these per-layer choices. */
  storage?: FileStorage;
}

/** The weight values as f32 (f16 and codes decoded). */
export function valuesF32(v: StoredValues): Float32Array {
  if (v.encoding === 'f32') return v.values;
  if (v.encoding === 'f16') return decodeF16(v.bits);
  const out = new Float32Array(v.codes.length);
  for (let i = 0; i < out.length; i++) out[i] = v.codebook[v.codes[i]];
  return out;
}

export function storedLength(v: StoredValues): number {
  return v.encoding === 'f32' ? v.values.length : v.encoding === 'f16' ? v.bits.length : v.codes.length;
}

/** The layer's weight as a dense row-major out×in f32 matrix. */
export function denseWeight(L: CompactLayer): Float32Array {
  const vals = valuesF32(L.values);
  if (L.layout === 'dense') return vals;
  return csrToDense({ rows: L.outFeatures, cols: L.inFeatures, data: vals, indices: L.indices, indptr: L.indptr });
}

export function nonzerosOf(L: CompactLayer): number {
  if (L.layout === 'csr') return L.indptr[L.outFeatures];
  const vals = valuesF32(L.values);
  let n = 0;
  for (let i = 0; i < vals.length; i++) if (vals[i] !== 0) n++;
  return n;
}

export function indexTypeOfLayer(L: CompactLayer): IndexType | null {
  return L.layout === 'csr' ? indexTypeOf(L.indices) : null;
}

// ---- encode ---------------------------------------------------------------------------------

interface LayerMeta {
  activation: ActName;
  layout: 'dense' | 'csr';
  shape: [number, number];
  values: ValueEncoding;
}
interface FileMeta {
  layers: LayerMeta[];
  features: string[];
  labels: string[];
  provenance: Record<string, unknown>;
}

function valueTensors(prefix: string, v: StoredValues, shape: number[]): [string, Tensor][] {
  if (v.encoding === 'f32') return [[prefix, { dtype: 'F32', shape, data: v.values }]];
  if (v.encoding === 'f16') return [[prefix, { dtype: 'F16', shape, data: v.bits }]];
  return [
    [prefix, { dtype: 'U8', shape, data: v.codes }],
    [`${prefixWeight(prefix)}.codebook`, { dtype: 'F32', shape: [v.codebook.length], data: v.codebook }],
  ];
}
/** `layers.0.weight.data` → `layers.0.weight`; `layers.0.weight` stays. */
const prefixWeight = (name: string) => name.replace(/\.data$/, '');

const indexDtype = (ix: CsrIndices) => (ix instanceof Uint8Array ? 'U8' : ix instanceof Uint16Array ? 'U16' : 'U32') as Tensor['dtype'];

/** The safetensors tensors and metadata of a model (validated first, so we never write a bad file). */
export function modelToTensors(m: CompactModel): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  validate(m);
  const tensors = new Map<string, Tensor>();
  m.layers.forEach((L, i) => {
    const p = `layers.${i}`;
    if (L.layout === 'dense') {
      for (const [n, t] of valueTensors(`${p}.weight`, L.values, [L.outFeatures, L.inFeatures])) tensors.set(n, t);
    } else {
      for (const [n, t] of valueTensors(`${p}.weight.data`, L.values, [storedLength(L.values)])) tensors.set(n, t);
      tensors.set(`${p}.weight.indices`, { dtype: indexDtype(L.indices), shape: [L.indices.length], data: L.indices });
      tensors.set(`${p}.weight.indptr`, { dtype: 'U32', shape: [L.indptr.length], data: L.indptr });
    }
    tensors.set(`${p}.bias`, { dtype: 'F32', shape: [L.outFeatures], data: L.bias });
  });
  const pre = m.preprocessing;
  if (pre.mean) tensors.set('preprocessing.mean', { dtype: 'F32', shape: [pre.mean.length], data: pre.mean });
  if (pre.scale) tensors.set('preprocessing.scale', { dtype: 'F32', shape: [pre.scale.length], data: pre.scale });
  return {
    tensors,
    metadata: metadataOf(
      m,
      m.layers.map((L) => ({ activation: L.activation, layout: L.layout, shape: [L.outFeatures, L.inFeatures], values: L.values.encoding })),
    ),
  };
}

function metadataOf(m: CompactModel, layers: LayerMeta[], version = FORMAT_VERSION): Record<string, string> {
  const names = version === FORMAT_VERSION_2 ? compressNames : (n: string[]) => n; // version 2: "pixel0"… as { prefix, count }
  const meta = { layers, features: names(m.preprocessing.featureNames), labels: names(m.preprocessing.labelNames), provenance: m.provenance };
  return { format: FORMAT_NAME, format_version: version, kind: 'compact', prunekit: JSON.stringify(meta) };
}

/** Bytes of the same model (same shapes, preprocessing, provenance) stored dense with f32 values. */
export function denseF32ByteLength(m: CompactModel): number {
  const specs = new Map<string, TensorSpec>();
  m.layers.forEach((L, i) => {
    specs.set(`layers.${i}.weight`, { dtype: 'F32', shape: [L.outFeatures, L.inFeatures] });
    specs.set(`layers.${i}.bias`, { dtype: 'F32', shape: [L.outFeatures] });
  });
  const pre = m.preprocessing;
  if (pre.mean) specs.set('preprocessing.mean', { dtype: 'F32', shape: [pre.mean.length] });
  if (pre.scale) specs.set('preprocessing.scale', { dtype: 'F32', shape: [pre.scale.length] });
  const layers = m.layers.map((L): LayerMeta => ({ activation: L.activation, layout: 'dense', shape: [L.outFeatures, L.inFeatures], values: 'f32' }));
  return safetensorsByteLength(specs, metadataOf(m, layers));
}

/** Version 2: the layers' tensors from sparse/v2, the rest as in version 1. */
function modelToTensorsV2(m: CompactModel, storage: FileStorage): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  validate(m);
  const v2 = encodeLayersV2(m, storage);
  const tensors = new Map(v2.tensors);
  const pre = m.preprocessing;
  if (pre.mean) tensors.set('preprocessing.mean', { dtype: 'F32', shape: [pre.mean.length], data: pre.mean });
  if (pre.scale) tensors.set('preprocessing.scale', { dtype: 'F32', shape: [pre.scale.length], data: pre.scale });
  const layers = m.layers.map((L, i) => ({
    activation: L.activation,
    layout: L.layout,
    shape: [L.outFeatures, L.inFeatures] as [number, number],
    values: L.values.encoding,
    ...v2.meta[i],
  }));
  return { tensors, metadata: metadataOf(m, layers, FORMAT_VERSION_2) };
}

export function encodeModel(m: CompactModel): Uint8Array {
  const { tensors, metadata } = m.storage ? modelToTensorsV2(m, m.storage) : modelToTensors(m);
  const bytes = encodeSafetensors(tensors, metadata);
  checkWidthsPaidFor(m, bytes.length); // never write a file the reader refuses
  return bytes;
}

// ---- decode ---------------------------------------------------------------------------------

const fail = (msg: string): never => {
  throw new FormatError(msg);
};
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string');

function parseMeta(metadata: Record<string, string>, fileBytes: number): FileMeta {
  if (metadata.format !== FORMAT_NAME)
    fail(`model file: __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${FORMAT_NAME}" (is this a prunekit model file?)`);
  if (metadata.kind === 'masked') fail('model file: this is a training-model file (kind "masked"); run `prunekit compact` to make a compact model file');
  if (metadata.kind !== 'compact') fail(`model file: __metadata__.kind is ${JSON.stringify(metadata.kind)}, expected "compact"`);
  if (metadata.format_version !== FORMAT_VERSION && metadata.format_version !== FORMAT_VERSION_2) {
    fail(`model file: unsupported format_version ${JSON.stringify(metadata.format_version)} (this reader knows "${FORMAT_VERSION}" and "${FORMAT_VERSION_2}")`);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(metadata.prunekit ?? '');
  } catch (e) {
    fail(`model file: __metadata__.prunekit is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObj(meta)) return fail('model file: __metadata__.prunekit is not a JSON object');
  const { layers, features, labels, provenance } = meta;
  if (!Array.isArray(layers) || layers.length === 0) fail('model file: __metadata__.prunekit.layers must be a non-empty array');
  const v2 = metadata.format_version === FORMAT_VERSION_2;
  const maxNames = Math.max(FREE_WIDTH, fileBytes); // no list longer than the widest layer the file may declare
  const featureNames = v2 ? expandNames(features, 'features', maxNames) : features;
  const labelNames = v2 ? expandNames(labels, 'labels', maxNames) : labels;
  if (!isStrings(featureNames)) fail('model file: __metadata__.prunekit.features must be an array of strings');
  if (!isStrings(labelNames)) fail('model file: __metadata__.prunekit.labels must be an array of strings');
  if (provenance !== undefined && !isObj(provenance)) fail('model file: __metadata__.prunekit.provenance must be an object');
  (layers as unknown[]).forEach((L, i) => {
    const w = `model file: layer ${i}`;
    if (!isObj(L)) return fail(`${w}: metadata is not an object`);
    if (typeof L.activation !== 'string' || !Object.hasOwn(Act, L.activation))
      fail(`${w}: unknown activation ${JSON.stringify(L.activation)} (known: ${Object.keys(Act).join(', ')})`);
    if (L.layout !== 'dense' && L.layout !== 'csr') fail(`${w}: layout must be "dense" or "csr", got ${JSON.stringify(L.layout)}`);
    if (L.values !== 'f32' && L.values !== 'f16' && L.values !== 'kmeans')
      fail(`${w}: values must be "f32", "f16" or "kmeans", got ${JSON.stringify(L.values)}`);
    const s = L.shape;
    if (!Array.isArray(s) || s.length !== 2 || s.some((d) => !Number.isSafeInteger(d) || (d as number) < 0 || (d as number) > MAX_FEATURES)) {
      fail(`${w}: shape must be [out, in] with integers in 0…${MAX_FEATURES}, got ${JSON.stringify(s)}`);
    }
  });
  return {
    layers: layers as LayerMeta[],
    features: featureNames as string[],
    labels: labelNames as string[],
    provenance: (provenance as Record<string, unknown>) ?? {},
  };
}

export function decodeModel(input: Uint8Array | ArrayBuffer): CompactModel {
  const { tensors, metadata } = decodeSafetensors(input, { requireAligned: true });
  const meta = parseMeta(metadata, input.byteLength);
  const used = new Set<string>();
  const take = (name: string, dtypes: Tensor['dtype'][], shape: number[]): Tensor['data'] => {
    const t = tensors.get(name) ?? fail(`model file: tensor '${name}' is missing`);
    if (!dtypes.includes(t.dtype)) fail(`model file: tensor '${name}' is ${t.dtype}, expected ${dtypes.join(' or ')}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => shape[i] >= 0 && d !== shape[i])) {
      fail(`model file: tensor '${name}' has shape [${t.shape}], expected [${shape.map((d) => (d < 0 ? '?' : d))}]`);
    }
    used.add(name);
    return t.data;
  };
  const readValues = (name: string, enc: ValueEncoding, shape: number[]): StoredValues => {
    if (enc === 'f32') return { encoding: 'f32', values: take(name, ['F32'], shape) as Float32Array };
    if (enc === 'f16') return { encoding: 'f16', bits: take(name, ['F16'], shape) as Uint16Array };
    const codes = take(name, ['U8'], shape) as Uint8Array;
    const codebook = take(`${prefixWeight(name)}.codebook`, ['F32'], [-1]) as Float32Array;
    return { encoding: 'kmeans', codes, codebook };
  };

  const v2 = metadata.format_version === FORMAT_VERSION_2 ? decodeLayersV2(meta.layers, take) : null;
  const layers: CompactLayer[] = v2
    ? v2.layers
    : meta.layers.map((lm, i) => {
        const [out, inn] = lm.shape;
        const p = `layers.${i}`;
        const bias = take(`${p}.bias`, ['F32'], [out]) as Float32Array;
        const common = { inFeatures: inn, outFeatures: out, activation: lm.activation, bias };
        if (lm.layout === 'dense') return { ...common, layout: 'dense', values: readValues(`${p}.weight`, lm.values, [out, inn]) };
        const indptr = take(`${p}.weight.indptr`, ['U32'], [out + 1]) as Uint32Array;
        const indices = take(`${p}.weight.indices`, ['U8', 'U16', 'U32'], [-1]) as CsrIndices;
        const values = readValues(`${p}.weight.data`, lm.values, [indices.length]);
        return { ...common, layout: 'csr', indptr, indices, values };
      });
  const pre = (name: string) => (tensors.has(name) ? (take(name, ['F32'], [-1]) as Float32Array) : null);
  const model: CompactModel = {
    layers,
    preprocessing: { mean: pre('preprocessing.mean'), scale: pre('preprocessing.scale'), featureNames: meta.features, labelNames: meta.labels },
    provenance: meta.provenance,
    ...(v2 ? { storage: v2.storage } : {}),
  };
  for (const name of tensors.keys()) if (!used.has(name)) fail(`model file: unexpected tensor '${name}'`);
  validate(model, v2?.checked);
  checkWidthsPaidFor(model, input.byteLength);
  return model;
}

// ---- validation -----------------------------------------------------------------------------

// Each check is one native scan (hasNonFinite, maxOf): a model file is read once, cold, where a
// plain loop over its weights runs in V8's interpreter, 10–50× slower. Only a file that fails is
// searched again, by a loop, for the first bad entry to name it.

function checkFinite(name: string, a: Float32Array): void {
  if (!hasNonFinite(a)) return;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) fail(`model file: ${name}[${i}] is ${a[i]}, expected a finite number`);
}

function checkValues(name: string, v: StoredValues, expected: number, checked: ReadonlySet<object>): void {
  const n = storedLength(v);
  if (n !== expected) fail(`model file: ${name} has ${n} values, expected ${expected}`);
  if (v.encoding === 'f32') checkFinite(name, v.values);
  else if (v.encoding === 'f16') {
    let infOrNaN = 0; // an f16 is finite unless its exponent bits (0x7c00) are all ones
    for (let i = 0; i < n; i++) infOrNaN |= ((v.bits[i] & 0x7c00) + 0x400) & 0x8000;
    if (infOrNaN === 0) return;
    for (let i = 0; i < n; i++) if (!isFiniteF16(v.bits[i])) fail(`model file: ${name}[${i}] is not a finite f16 value (bits 0x${v.bits[i].toString(16)})`);
  } else {
    const k = v.codebook.length;
    if (k < 1 || k > MAX_CODEBOOK) fail(`model file: ${name} codebook has ${k} entries, expected 1…${MAX_CODEBOOK}`);
    checkFinite(`${name} codebook`, v.codebook);
    if (checked.has(v.codes) || maxOf(v.codes) < k) return;
    for (let i = 0; i < n; i++) if (v.codes[i] >= k) fail(`model file: ${name} code [${i}] = ${v.codes[i]} is ≥ the codebook length ${k}`);
  }
}

/**
 * Everything a kernel relies on: layer widths chain (layer i's in = layer i−1's out), known
 * activations, value and bias lengths, finite values, codes < codebook length, CSR structure
 * (indptr length out+1, indptr[0] = 0, non-decreasing, indptr[out] = nnz, indices < in),
 * preprocessing lengths = input width with finite means and finite non-zero scales whose
 * reciprocals are finite in f32.
 *
 * `checked`: arrays a version 2 decoder built valid by construction, checking as it went, whose
 * second scan is skipped — CSR indices (with their indptr) built from relative indices, and codes
 * from a stream that holds no code ≥ the codebook length. Their lengths are still checked here.
 */
export function validate(m: CompactModel, checked: ReadonlySet<object> = new Set()): void {
  if (m.layers.length === 0) fail('model: no layers');
  m.layers.forEach((L, i) => {
    const w = `layer ${i}`;
    const { inFeatures: inn, outFeatures: out } = L;
    if (!Number.isSafeInteger(inn) || !Number.isSafeInteger(out) || inn < 0 || out < 0 || inn > MAX_FEATURES || out > MAX_FEATURES)
      fail(`model file: ${w}: bad shape [${out}, ${inn}]`);
    if (i > 0 && inn !== m.layers[i - 1].outFeatures)
      fail(`model file: ${w} takes ${inn} inputs but layer ${i - 1} has ${m.layers[i - 1].outFeatures} outputs`);
    if (!Object.hasOwn(Act, L.activation)) fail(`model file: ${w}: unknown activation ${JSON.stringify(L.activation)}`);
    if (L.bias.length !== out) fail(`model file: layers.${i}.bias has ${L.bias.length} values, expected ${out}`);
    checkFinite(`layers.${i}.bias`, L.bias);
    if (L.layout === 'dense') {
      checkValues(`layers.${i}.weight`, L.values, out * inn, checked);
    } else {
      const name = `layers.${i}.weight`;
      checkValues(`${name}.data`, L.values, L.indices.length, checked);
      if (checked.has(L.indices)) return;
      // checkCsr only needs data.length here; the values were checked above
      try {
        checkCsr({ rows: out, cols: inn, data: { length: L.indices.length } as Float32Array, indices: L.indices, indptr: L.indptr }, name);
      } catch (e) {
        fail(`model file: ${(e as Error).message}`);
      }
    }
  });
  const inn = m.layers[0].inFeatures;
  const lastOut = m.layers[m.layers.length - 1].outFeatures;
  const { mean, scale, featureNames, labelNames } = m.preprocessing;
  if (mean && mean.length !== inn) fail(`model file: preprocessing.mean has ${mean.length} values, expected ${inn}`);
  if (scale && scale.length !== inn) fail(`model file: preprocessing.scale has ${scale.length} values, expected ${inn}`);
  const problem = standardizationProblem(mean, scale);
  if (problem) fail(`model file: ${problem}`);
  if (featureNames.length !== 0 && featureNames.length !== inn) fail(`model file: ${featureNames.length} feature names for ${inn} inputs`);
  if (lastOut === 0) fail(`model file: the last layer has 0 outputs; a classifier needs at least one class`);
  if (labelNames.length !== 0 && labelNames.length !== lastOut) fail(`model file: ${labelNames.length} label names for ${lastOut} outputs`);
}

/**
 * Refuses layer widths the file does not pay for. A forward pass keeps activations as wide as the
 * widest layer, `width × batch` f32 values. Each output width is paid for by its bias (4 bytes per
 * output), but layer 0's input width costs nothing in a CSR layer when the file has no
 * preprocessing tensors or feature names: a 600-byte file could declare 2²⁴ inputs and make every
 * sample cost 128 MiB of activations. So the widest layer must be ≤ max(FREE_WIDTH, file bytes): wider inputs
 * must come with at least one byte of file per input (a dense first layer, preprocessing tensors
 * or feature names all do). A forward pass then needs at most 8 × max(FREE_WIDTH, file bytes)
 * bytes of activations per sample (two buffers), whatever the file declares.
 */
export function checkWidthsPaidFor(m: CompactModel, fileBytes: number): void {
  const widest = Math.max(m.layers[0]?.inFeatures ?? 0, ...m.layers.map((L) => L.outFeatures));
  if (widest <= Math.max(FREE_WIDTH, fileBytes)) return;
  const which = m.layers.findIndex((L) => L.inFeatures === widest);
  const where = which >= 0 ? `layer ${which} takes ${widest} inputs` : `a layer is ${widest} wide`;
  fail(
    `model file: ${where}, but the file is only ${fileBytes} bytes; a width above ${FREE_WIDTH} must be paid for by at least one byte of file per input ` +
      '(a dense first layer, preprocessing tensors or feature names), or every sample would need activations the file does not justify',
  );
}
