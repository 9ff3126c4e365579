/**
 * ONNX TensorProto (as decoded by ./schema.ts, `toObject` with longs as numbers) → values.
 *
 * The ONNX spec stores a tensor's elements either in `raw_data` (little-endian, fixed width) or in
 * the typed field of its data type: `float_data` (FLOAT), `double_data` (DOUBLE), `int64_data`
 * (INT64), `string_data` (STRING), and `int32_data` for INT32 and every narrower type — FLOAT16 and
 * BFLOAT16 as their 16-bit patterns, one per int32. Element counts are checked against the stored
 * data before anything is allocated, so a corrupt `dims` cannot make us allocate more than the
 * file holds.
 */
import { ImportError } from '../errors.js';
import { bf16BitsToF64, f16BitsToF64 } from '../values.js';
import { f32ToF16Bits } from '../../sparse/f16.js';

/** TensorProto.DataType codes (onnx.proto). */
export const DT = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;
const DT_NAME: Record<number, string> = Object.fromEntries(Object.entries(DT).map(([k, v]) => [v, k]));
export const dtypeName = (t: number): string => DT_NAME[t] ?? `data type ${t}`;

/** The TensorProto fields we read (protobufjs' toObject output). */
export interface TensorObject {
  name?: string;
  dims?: number[];
  data_type?: number;
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: number[];
  double_data?: number[];
  uint64_data?: number[];
  raw_data?: Uint8Array;
  data_location?: number;
}

/** A constant: its shape and its values as numbers (numeric types) or strings (STRING). */
export interface Constant {
  dims: number[];
  dataType: number;
  values: Float64Array | null;
  strings: string[] | null;
}

const RAW_SIZE: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };

/** The number of elements of a tensor of shape `dims`, refusing bad dimensions and more than 2^31 elements. */
export function elementCount(dims: readonly number[], where: string): number {
  let count = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ImportError(`${where}: bad dimension ${d} in shape [${dims}]`);
    count *= d;
    if (count > 2 ** 31) throw new ImportError(`${where}: shape [${dims}] has more than 2^31 elements`);
  }
  return count;
}

export function readTensor(t: TensorObject, where: string): Constant {
  const dataType = t.data_type ?? 0;
  if (t.data_location === 1)
    throw new ImportError(
      `${where}: its data is stored in an external file; prunekit reads only self-contained .onnx files (save with all tensors inside the model)`,
    );
  const dims = t.dims ?? [];
  const count = elementCount(dims, where);
  const raw = t.raw_data && t.raw_data.length > 0 ? t.raw_data : null;
  if (dataType === DT.STRING) {
    const s = t.string_data ?? [];
    if (s.length !== count) throw new ImportError(`${where}: shape [${dims}] needs ${count} strings, the tensor holds ${s.length}`);
    const dec = new TextDecoder();
    return { dims, dataType, values: null, strings: s.map((b) => dec.decode(b)) };
  }
  const size = RAW_SIZE[dataType];
  if (!size) throw new ImportError(`${where}: unsupported ${dtypeName(dataType)} tensor`);
  if (raw) {
    if (raw.length !== count * size)
      throw new ImportError(`${where}: shape [${dims}] of ${dtypeName(dataType)} needs ${count * size} bytes of raw_data, the tensor holds ${raw.length}`);
    return { dims, dataType, values: decodeRaw(raw, dataType, count), strings: null };
  }
  const field: number[] =
    dataType === DT.FLOAT
      ? (t.float_data ?? [])
      : dataType === DT.DOUBLE
        ? (t.double_data ?? [])
        : dataType === DT.INT64
          ? (t.int64_data ?? [])
          : dataType === DT.UINT32 || dataType === DT.UINT64
            ? (t.uint64_data ?? [])
            : (t.int32_data ?? []);
  if (field.length !== count) throw new ImportError(`${where}: shape [${dims}] needs ${count} values, the tensor holds ${field.length}`);
  const values = dataType === DT.FLOAT16 ? f16BitsToF64(field) : dataType === DT.BFLOAT16 ? bf16BitsToF64(field) : Float64Array.from(field);
  return { dims, dataType, values, strings: null };
}

function decodeRaw(raw: Uint8Array, dataType: number, n: number): Float64Array {
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float64Array(n);
  switch (dataType) {
    case DT.FLOAT:
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      break;
    case DT.DOUBLE:
      for (let i = 0; i < n; i++) out[i] = v.getFloat64(8 * i, true);
      break;
    case DT.FLOAT16:
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true);
      return f16BitsToF64(out);
    case DT.BFLOAT16:
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true);
      return bf16BitsToF64(out);
    case DT.INT64:
      for (let i = 0; i < n; i++) out[i] = Number(v.getBigInt64(8 * i, true));
      break;
    case DT.UINT64:
      for (let i = 0; i < n; i++) out[i] = Number(v.getBigUint64(8 * i, true));
      break;
    case DT.INT32:
      for (let i = 0; i < n; i++) out[i] = v.getInt32(4 * i, true);
      break;
    case DT.UINT32:
      for (let i = 0; i < n; i++) out[i] = v.getUint32(4 * i, true);
      break;
    case DT.INT16:
      for (let i = 0; i < n; i++) out[i] = v.getInt16(2 * i, true);
      break;
    case DT.UINT16:
      for (let i = 0; i < n; i++) out[i] = v.getUint16(2 * i, true);
      break;
    case DT.INT8:
      for (let i = 0; i < n; i++) out[i] = v.getInt8(i);
      break;
    default:
      for (let i = 0; i < n; i++) out[i] = v.getUint8(i); // UINT8, BOOL
  }
  return out;
}

export const isFloatType = (t: number): boolean => t === DT.FLOAT || t === DT.DOUBLE || t === DT.FLOAT16 || t === DT.BFLOAT16;

/** Values after a Cast to the float type `to`: rounded to f32 (FLOAT) or binary16 (FLOAT16), kept (DOUBLE). Null: not a float type. */
export function castFloat(values: Float64Array, to: number): Float64Array | null {
  if (to === DT.DOUBLE) return values;
  if (to === DT.FLOAT) return values.map(Math.fround);
  if (to === DT.FLOAT16) return f16BitsToF64(Array.from(values, (x) => f32ToF16Bits(x)));
  return null;
}
