/**
 * CSR (compressed sparse row, scipy's `data`/`indices`/`indptr`) with the narrowest column-index
 * type: u8 when the row width allows (cols ≤ 256), u16 when cols ≤ 65,536, else u32. A row is one
 * output neuron. Validation is `checkCsr` from the kernels' checked layer (one definition).
 */
import { checkCsr, type CsrArrays } from '../kernels/checked.js';
import { countNonzero } from '../util/stats.js';

export { checkCsr, type CsrArrays };
export type IndexType = 'u8' | 'u16' | 'u32';
export type CsrIndices = CsrArrays['indices'];

const MAX_COLS: Record<IndexType, number> = { u8: 256, u16: 65536, u32: 2 ** 32 };

/** The narrowest index type that can address `cols` columns. */
export function narrowestIndex(cols: number): IndexType {
  return cols <= MAX_COLS.u8 ? 'u8' : cols <= MAX_COLS.u16 ? 'u16' : 'u32';
}

export function indexTypeOf(indices: CsrIndices): IndexType {
  return indices instanceof Uint8Array ? 'u8' : indices instanceof Uint16Array ? 'u16' : 'u32';
}

export const INDEX_BYTES: Readonly<Record<IndexType, number>> = { u8: 1, u16: 2, u32: 4 };

function makeIndices(type: IndexType, n: number): CsrIndices {
  return type === 'u8' ? new Uint8Array(n) : type === 'u16' ? new Uint16Array(n) : new Uint32Array(n);
}

/** Dense row-major `rows × cols` → CSR keeping the nonzeros (exact zeros are dropped), columns sorted. */
export function denseToCsr(weight: ArrayLike<number>, rows: number, cols: number, index: 'auto' | IndexType = 'auto'): CsrArrays {
  if (weight.length !== rows * cols) throw new RangeError(`denseToCsr: ${weight.length} values, expected ${rows}×${cols} = ${rows * cols}`);
  const type = index === 'auto' ? narrowestIndex(cols) : index;
  if (cols > MAX_COLS[type]) throw new RangeError(`denseToCsr: ${cols} columns do not fit ${type} indices (max ${MAX_COLS[type]})`);
  const nnz = countNonzero(weight);
  const data = new Float32Array(nnz);
  const indices = makeIndices(type, nnz);
  const indptr = new Uint32Array(rows + 1);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const w = weight[r * cols + c];
      if (w !== 0) {
        data[k] = w;
        indices[k] = c;
        k++;
      }
    }
    indptr[r + 1] = k;
  }
  return { rows, cols, data, indices, indptr };
}

/** CSR → dense row-major (duplicate entries add up, as in scipy). */
export function csrToDense(m: CsrArrays): Float32Array {
  checkCsr(m);
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let k = m.indptr[r]; k < m.indptr[r + 1]; k++) out[r * m.cols + m.indices[k]] += m.data[k];
  }
  return out;
}

/** Bytes of a CSR matrix with `nnz` nonzeros: values + indices + indptr (u32). */
export function csrBytes(rows: number, nnz: number, valueBytes: number, index: IndexType): number {
  return nnz * (valueBytes + INDEX_BYTES[index]) + (rows + 1) * 4;
}
