/**
 * A generic safetensors encoder/decoder (https://github.com/huggingface/safetensors), pure TS.
 *
 * Layout: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON
 *   { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
 *     "__metadata__": { "<key>": "<string value>" } }
 * then the data section; offsets are relative to its first byte. As the spec asks, the data
 * section is fully indexed (no holes, no overlap, no trailing bytes).
 *
 * Alignment, without holes: the header is padded with spaces so the data section starts at a
 * multiple of 64 bytes, and tensors are laid out by decreasing item size (8-byte, 4-byte, 2-byte,
 * then 1-byte dtypes), so every tensor starts at a multiple of its item size and can be viewed
 * in place with a typed array. The header lists tensors in the caller's order.
 *
 * The decoder validates everything and never allocates more than the file size justifies: it
 * returns views into the given bytes (a copy only when the caller's buffer itself is misaligned).
 */
import { isPlainObject } from './json.js';

export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'U8' | 'U16' | 'U32' | 'I32';
/**
 * F16 and BF16 tensors hold the raw 16-bit patterns (IEEE binary16, see sparse/f16.ts; bfloat16 is
 * the top half of an f32). prunekit writes F32/F16/U8/U16/U32/I32; F64 and BF16 are read so that
 * state dicts from other tools (torch's float64 and bfloat16 tensors) can be imported.
 */
export type TensorData = Float64Array | Float32Array | Uint16Array | Uint8Array | Uint32Array | Int32Array;

export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

export interface Safetensors {
  /** In header order. */
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** A malformed or unsupported file. The message names the tensor or the byte offset. */
export class FormatError extends Error {
  override name = 'FormatError';
}

const DTYPES: Record<Dtype, { size: number; make: (buf: ArrayBuffer, off: number, n: number) => TensorData; ctor: new (...args: never[]) => TensorData }> = {
  F64: { size: 8, make: (b, o, n) => new Float64Array(b, o, n), ctor: Float64Array },
  F32: { size: 4, make: (b, o, n) => new Float32Array(b, o, n), ctor: Float32Array },
  I32: { size: 4, make: (b, o, n) => new Int32Array(b, o, n), ctor: Int32Array },
  U32: { size: 4, make: (b, o, n) => new Uint32Array(b, o, n), ctor: Uint32Array },
  F16: { size: 2, make: (b, o, n) => new Uint16Array(b, o, n), ctor: Uint16Array },
  BF16: { size: 2, make: (b, o, n) => new Uint16Array(b, o, n), ctor: Uint16Array },
  U16: { size: 2, make: (b, o, n) => new Uint16Array(b, o, n), ctor: Uint16Array },
  U8: { size: 1, make: (b, o, n) => new Uint8Array(b, o, n), ctor: Uint8Array },
};
export const ITEM_SIZE: Readonly<Record<Dtype, number>> = { F64: 8, F32: 4, I32: 4, U32: 4, F16: 2, BF16: 2, U16: 2, U8: 1 };

/** Upper bound on the header length (the spec's reference implementation uses 100 MB too). */
export const MAX_HEADER_BYTES = 100_000_000;
const DATA_ALIGN = 64;

function assertLittleEndian(): void {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('safetensors: big-endian hosts are not supported');
}

const isDtype = (d: unknown): d is Dtype => typeof d === 'string' && Object.hasOwn(DTYPES, d);

// ---- encode ---------------------------------------------------------------------------------

export interface TensorSpec {
  dtype: Dtype;
  shape: number[];
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The header JSON and data-section layout for some tensors (data not needed: sizes only). */
function plan(tensors: Map<string, TensorSpec>, metadata: Record<string, string>) {
  const order = [...tensors.keys()].sort((a, b) => ITEM_SIZE[tensors.get(b)!.dtype] - ITEM_SIZE[tensors.get(a)!.dtype]);
  const offsets = new Map<string, [number, number]>();
  let end = 0;
  for (const name of order) {
    const t = tensors.get(name)!;
    const bytes = elementCount(t.shape) * ITEM_SIZE[t.dtype];
    offsets.set(name, [end, end + bytes]);
    end += bytes;
  }
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  for (const [name, t] of tensors) header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: offsets.get(name) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((8 + json.length) / DATA_ALIGN) * DATA_ALIGN;
  return { json, dataStart, offsets, dataBytes: end };
}

function checkSpec(name: string, t: TensorSpec): void {
  if (name === '__metadata__' || name === '') throw new RangeError(`safetensors: invalid tensor name '${name}'`);
  if (!isDtype(t.dtype)) throw new RangeError(`safetensors: tensor '${name}': unknown dtype ${String(t.dtype)}`);
  if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new RangeError(`safetensors: tensor '${name}': shape must be non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
}

function checkMetadata(metadata: Record<string, string>): void {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new RangeError(`safetensors: metadata '${k}' must be a string (the spec allows only strings)`);
  }
}

/** Size in bytes of the file `encodeSafetensors` would write, without building it. */
export function safetensorsByteLength(tensors: Map<string, TensorSpec>, metadata: Record<string, string> = {}): number {
  for (const [n, t] of tensors) checkSpec(n, t);
  checkMetadata(metadata);
  const p = plan(tensors, metadata);
  return p.dataStart + p.dataBytes;
}

export function encodeSafetensors(tensors: Map<string, Tensor> | Record<string, Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  assertLittleEndian();
  const map = tensors instanceof Map ? tensors : new Map(Object.entries(tensors));
  for (const [name, t] of map) {
    checkSpec(name, t);
    if (!(t.data instanceof DTYPES[t.dtype].ctor))
      throw new TypeError(`safetensors: tensor '${name}' (${t.dtype}) needs a ${DTYPES[t.dtype].ctor.name}, got ${t.data?.constructor?.name}`);
    if (t.data.length !== elementCount(t.shape)) {
      throw new RangeError(`safetensors: tensor '${name}' has ${t.data.length} values, shape [${t.shape}] needs ${elementCount(t.shape)}`);
    }
  }
  checkMetadata(metadata);
  const { json, dataStart, offsets, dataBytes } = plan(map, metadata);
  const out = new Uint8Array(dataStart + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(dataStart - 8), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, dataStart); // pad the JSON with spaces
  for (const [name, t] of map) {
    const [begin] = offsets.get(name)!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), dataStart + begin);
  }
  return out;
}

// ---- decode ---------------------------------------------------------------------------------

export interface DecodeOptions {
  /** Reject tensors whose offset is not a multiple of their item size (true: our own files). */
  requireAligned?: boolean;
}

export function decodeSafetensors(input: Uint8Array | ArrayBuffer, opts: DecodeOptions = {}): Safetensors {
  assertLittleEndian();
  const requireAligned = opts.requireAligned ?? true;
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < 8) throw new FormatError(`safetensors: file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  const after = BigInt(bytes.length - 8);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new FormatError(
      `safetensors: header length ${n64} (bytes 0–7) exceeds the ${MAX_HEADER_BYTES}-byte limit` + (n64 > after ? ` (and the ${after} bytes after it)` : ''),
    );
  }
  if (n64 > after) throw new FormatError(`safetensors: header length ${n64} (bytes 0–7) exceeds the ${after} bytes after it`);
  const n = Number(n64);
  const dataStart = 8 + n;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    throw new FormatError(`safetensors: header (bytes 8–${dataStart}) is not valid UTF-8`);
  }
  if (!text.startsWith('{')) throw new FormatError(`safetensors: header at byte 8 must start with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`safetensors: header (bytes 8–${dataStart}) is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(header)) throw new FormatError('safetensors: header is not a JSON object');

  const metadata: Record<string, string> = {};
  const meta = header.__metadata__;
  if (meta !== undefined) {
    if (!isPlainObject(meta)) throw new FormatError('safetensors: __metadata__ is not an object');
    for (const [k, v] of Object.entries(meta)) {
      if (typeof v !== 'string') throw new FormatError(`safetensors: __metadata__.${k} is not a string`);
      metadata[k] = v;
    }
  }

  const dataLen = bytes.length - dataStart;
  const spans: { name: string; begin: number; end: number }[] = [];
  const specs: { name: string; dtype: Dtype; shape: number[]; begin: number; count: number }[] = [];
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const where = `safetensors: tensor '${name}'`;
    if (!isPlainObject(raw)) throw new FormatError(`${where}: entry is not an object`);
    const { dtype, shape, data_offsets: off } = raw;
    if (!isDtype(dtype)) throw new FormatError(`${where}: unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(DTYPES).join(', ')})`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || (d as number) < 0)) {
      throw new FormatError(`${where}: shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    if (!Array.isArray(off) || off.length !== 2 || off.some((o) => !Number.isSafeInteger(o) || (o as number) < 0)) {
      throw new FormatError(`${where}: data_offsets must be two non-negative integers, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end < begin || end > dataLen) {
      throw new FormatError(`${where}: data_offsets [${begin}, ${end}] lie outside the data section (${dataLen} bytes from byte ${dataStart})`);
    }
    const size = ITEM_SIZE[dtype];
    // product(shape)·size must equal end − begin; multiply step by step so it cannot overflow
    let count = 1;
    for (const d of shape as number[]) {
      count *= d;
      if (count * size > dataLen) break;
    }
    if (count * size !== end - begin) {
      throw new FormatError(
        `${where}: shape [${shape}] of ${dtype} needs ${count * size > dataLen ? 'more than the file holds' : count * size + ' bytes'}, data_offsets span ${end - begin}`,
      );
    }
    if (requireAligned && (dataStart + begin) % size !== 0) {
      throw new FormatError(`${where}: starts at byte ${dataStart + begin}, not a multiple of its item size ${size}`);
    }
    spans.push({ name, begin, end });
    specs.push({ name, dtype, shape: shape as number[], begin, count });
  }

  // The spec: the data section is entirely indexed, without holes or overlaps.
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin < cursor)
      throw new FormatError(`safetensors: tensor '${s.name}' (data bytes ${s.begin}–${s.end}) overlaps the previous tensor (ends at ${cursor})`);
    if (s.begin > cursor) throw new FormatError(`safetensors: data bytes ${cursor}–${s.begin} (file byte ${dataStart + cursor}) belong to no tensor`);
    cursor = s.end;
  }
  if (cursor !== dataLen) throw new FormatError(`safetensors: ${dataLen - cursor} trailing bytes after the last tensor (from file byte ${dataStart + cursor})`);

  const tensors = new Map<string, Tensor>();
  for (const s of specs) {
    const abs = bytes.byteOffset + dataStart + s.begin;
    const { size, make } = DTYPES[s.dtype];
    const data =
      abs % size === 0
        ? make(bytes.buffer as ArrayBuffer, abs, s.count)
        : // caller's buffer misaligned: copy (new Uint8Array(view), not view.slice(): a Node Buffer's slice is a view)
          make(new Uint8Array(bytes.subarray(dataStart + s.begin, dataStart + s.begin + s.count * size)).buffer, 0, s.count);
    tensors.set(s.name, { dtype: s.dtype, shape: s.shape, data });
  }
  return { tensors, metadata };
}
