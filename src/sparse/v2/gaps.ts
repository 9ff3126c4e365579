/**
 * Relative (delta) column indices (Deep Compression, Han et al. 2016, §2 and Fig. 2). The
 * nonzeros of a CSR layer are numbered by their row-major position p = row · in + column, and each
 * is stored as its distance from the previous one (the first from position −1) in a `width`-bit
 * field. With M = 2^width − 1:
 *   - a field f < M is a nonzero at gap f + 1 (gaps 1 … M);
 *   - the field M is a filler: it advances the position by M and stores no weight.
 * So a gap larger than M costs ⌊(gap − 1)/M⌋ fillers. (Deep Compression's filler is a zero weight
 * at the largest gap; ours carries no weight at all, so a filler costs index bits only.) The rows
 * follow from the positions, so no indptr is stored.
 */
import { type CsrIndices, narrowestIndex } from '../csr.js';
import { FormatError } from '../../util/safetensors.js';

/** The gap fields of a CSR matrix (columns sorted within each row). */
export function encodeGaps(indices: ArrayLike<number>, indptr: ArrayLike<number>, cols: number, width: number): Uint8Array {
  const M = 2 ** width - 1;
  const fields: number[] = [];
  let prev = -1;
  for (let r = 0; r + 1 < indptr.length; r++) {
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      const p = r * cols + indices[k];
      let gap = p - prev;
      if (gap < 1) throw new RangeError(`encodeGaps: row ${r}: columns must be strictly increasing`);
      for (; gap > M; gap -= M) fields.push(M);
      fields.push(gap - 1);
      prev = p;
    }
  }
  return Uint8Array.from(fields);
}

/** How many fields the gaps take at `width` bits (nonzeros plus fillers), without building them. */
export function gapFieldCount(indices: ArrayLike<number>, indptr: ArrayLike<number>, cols: number, width: number): number {
  const M = 2 ** width - 1;
  let prev = -1,
    n = 0;
  for (let r = 0; r + 1 < indptr.length; r++) {
    for (let k = indptr[r]; k < indptr[r + 1]; k++) {
      const p = r * cols + indices[k];
      n += 1 + Math.floor((p - prev - 1) / M);
      prev = p;
    }
  }
  return n;
}

/**
 * Gap fields → CSR indices and indptr, checked: exactly `nnz` nonzeros, every position inside the
 * rows × cols matrix, no trailing fillers. `nnz` ≤ fields.length is checked before allocating.
 */
export function decodeGaps(
  fields: Uint8Array,
  width: number,
  rows: number,
  cols: number,
  nnz: number,
  name: string,
): { indices: CsrIndices; indptr: Uint32Array } {
  const M = 2 ** width - 1;
  if (nnz > fields.length) throw new FormatError(`model file: ${name} has ${fields.length} fields, fewer than the ${nnz} nonzeros declared`);
  const type = narrowestIndex(cols);
  const indices = type === 'u8' ? new Uint8Array(nnz) : type === 'u16' ? new Uint16Array(nnz) : new Uint32Array(nnz);
  const indptr = new Uint32Array(rows + 1);
  const size = rows * cols;
  let pos = -1,
    k = 0,
    row = 0,
    rowStart = 0; // position of column 0 of `row`
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f === M) {
      pos += M;
      continue;
    }
    pos += f + 1;
    if (pos >= size) throw new FormatError(`model file: ${name} field ${i} points at position ${pos}, past the ${rows}×${cols} matrix`);
    if (k >= nnz) throw new FormatError(`model file: ${name} holds more nonzeros than the ${nnz} declared`);
    while (pos >= rowStart + cols) {
      indptr[++row] = k;
      rowStart += cols;
    }
    indices[k++] = pos - rowStart;
  }
  if (k !== nnz) throw new FormatError(`model file: ${name} holds ${k} nonzeros, expected ${nnz}`);
  if (fields.length && fields[fields.length - 1] === M) throw new FormatError(`model file: ${name} ends with a filler (fillers only precede a nonzero)`);
  while (row < rows) indptr[++row] = k;
  return { indices, indptr };
}
