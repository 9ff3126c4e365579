/**
 * IDX files, the format of MNIST and Fashion-MNIST (LeCun et al., http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0-1  zero
 *   byte  2    element type (0x08 = unsigned byte; the only one these datasets use)
 *   byte  3    number of dimensions d
 *   then       d big-endian uint32 sizes, then the elements, row-major
 *
 * so images are magic 0x00000803 with sizes [n, rows, cols], labels 0x00000801 with [n].
 * Files may be gzip-compressed (detected by the 1f 8b magic). Every size is checked against the
 * file length before any element is read.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { checkReadableFile } from './csv-records.js';
import { DataError } from './errors.js';
import type { Dataset } from './types.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

// biome-ignore lint/complexity/useSimpleNumberKeys: the IDX format names its type codes in hex
const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Reads a uint8 IDX file (optionally gzipped) with exactly `expectDims` dimensions. */
export function readIdx(path: string, expectDims: number): IdxArray {
  checkReadableFile(path, 'IDX file');
  let bytes: Uint8Array = readFileSync(path);
  let where = 'byte offset';
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new DataError(`${path}: corrupt gzip data (${(e as Error).message})`);
    }
    where = 'byte offset (after gunzip)';
  }
  return parseIdx(bytes, expectDims, `${path}`, where);
}

/** Parses IDX bytes already in memory; `name` and `where` only shape the error messages. */
export function parseIdx(bytes: Uint8Array, expectDims: number, name: string, where = 'byte offset'): IdxArray {
  const magicHex = (n: number) => `0x${(0x800 + n).toString(16).padStart(8, '0')}`;
  if (bytes.length < 4) throw new DataError(`${name}: file too short for an IDX header (${bytes.length} bytes; ${where} 0 expected a 4-byte magic number)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = dv.getUint32(0);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || bytes[3] !== expectDims) {
    let why = '';
    if (bytes[0] === 0 && bytes[1] === 0 && TYPE_NAMES[bytes[2]] && bytes[2] !== 0x08) why = ` (element type ${TYPE_NAMES[bytes[2]]}; only uint8 is supported)`;
    else if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08) why = ` (${bytes[3]} dimensions, expected ${expectDims})`;
    throw new DataError(`${name}: bad IDX magic number 0x${magic.toString(16).padStart(8, '0')} at ${where} 0, expected ${magicHex(expectDims)}${why}`);
  }
  const headerLen = 4 + 4 * expectDims;
  if (bytes.length < headerLen) {
    throw new DataError(`${name}: truncated IDX header: ${bytes.length} bytes, the ${expectDims} sizes end at ${where} ${headerLen}`);
  }
  const dims: number[] = [];
  for (let d = 0; d < expectDims; d++) dims.push(dv.getUint32(4 + 4 * d));
  const count = dims.reduce((a, b) => a * b, 1);
  const end = headerLen + count;
  if (bytes.length < end) {
    throw new DataError(
      `${name}: truncated IDX file: sizes [${dims.join(', ')}] need ${count} data bytes (to ${where} ${end}), the data ends at ${where} ${bytes.length}`,
    );
  }
  if (bytes.length > end) {
    throw new DataError(`${name}: ${bytes.length - end} unexpected trailing bytes from ${where} ${end} (sizes [${dims.join(', ')}])`);
  }
  return { dims, data: bytes.subarray(headerLen, end) };
}

/**
 * An images file ([n][rows][cols] uint8) and its labels file ([n] uint8) as a Dataset, pixels
 * scaled to [0, 1]. Classes are 0..max label; `labelNames` names them (default "0", "1", …).
 */
export function loadIdxPair(imagesPath: string, labelsPath: string, labelNames?: string[]): Dataset {
  const images = readIdx(imagesPath, 3);
  const labelsArr = readIdx(labelsPath, 1);
  const [n, rows, cols] = images.dims;
  if (labelsArr.dims[0] !== n) {
    throw new DataError(`${labelsPath}: ${labelsArr.dims[0]} labels, but ${imagesPath} has ${n} images`);
  }
  const nFeatures = rows * cols;
  if (nFeatures === 0) throw new DataError(`${imagesPath}: images of size ${rows}×${cols} have no pixels`);
  let maxLabel = 0;
  for (const l of labelsArr.data) if (l > maxLabel) maxLabel = l;
  const nClasses = labelNames?.length ?? maxLabel + 1;
  if (maxLabel >= nClasses) {
    const at = labelsArr.data.indexOf(maxLabel);
    throw new DataError(`${labelsPath}: label ${maxLabel} of sample ${at} (byte offset ${8 + at} of the data) is not below the ${nClasses} known classes`);
  }
  if (nClasses < 2) throw new DataError(`${labelsPath}: every label is ${maxLabel}; classification needs at least two classes`);

  const features = new Float32Array(n * nFeatures);
  for (let i = 0; i < features.length; i++) features[i] = images.data[i] / 255;
  return {
    features,
    labels: Int32Array.from(labelsArr.data),
    nSamples: n,
    nFeatures,
    featureNames: Array.from({ length: nFeatures }, (_, i) => `pixel${i}`),
    labelNames: labelNames ?? Array.from({ length: nClasses }, (_, i) => String(i)),
    source: imagesPath,
  };
}
