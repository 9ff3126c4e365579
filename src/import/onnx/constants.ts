/**
 * Every constant of a graph by name: initializers, sparse initializers (COO), Constant nodes, and
 * nodes that only convert or rearrange constants (Cast, Identity, 2-D Transpose), evaluated here.
 */
import { ImportError } from '../errors.js';
import { attr, attrInt, describe, utf8, type GraphObject, type NodeObject, type SparseObject } from './proto.js';
import { isDefaultDomain } from './ops.js';
import { castFloat, DT, elementCount, isFloatType, readTensor, type Constant } from './tensor.js';

/** The largest dense tensor a sparse initializer may expand to: 2^27 weights, 512 MiB as f32. */
export const MAX_DENSE_ELEMENTS = 2 ** 27;

function readSparse(s: SparseObject, where: string): Constant {
  if (!s.values || !s.indices) throw new ImportError(`${where}: sparse tensor without values or indices`);
  const values = readTensor(s.values, `${where} (values)`);
  const indices = readTensor(s.indices, `${where} (indices)`);
  const dims = s.dims ?? [];
  const count = elementCount(dims, where);
  if (!values.values) throw new ImportError(`${where}: sparse values must be numbers`);
  const nnz = values.values.length;
  const idx = indices.values!;
  const coords = indices.dims.length === 2;
  if (!(indices.dims.length === 1 && idx.length === nnz) && !(coords && indices.dims[0] === nnz && indices.dims[1] === dims.length)) {
    throw new ImportError(`${where}: ${nnz} sparse values need indices [${nnz}] or [${nnz}, ${dims.length}], got [${indices.dims}]`);
  }
  // A sparse tensor's dense size is not bounded by the file's: bound it by what prunekit can train
  // (weights, gradients and momentum of one layer in the 4 GiB wasm memory) before allocating.
  if (count > MAX_DENSE_ELEMENTS) {
    throw new ImportError(
      `${where}: shape [${dims}] has ${count} elements densely, more than the ${MAX_DENSE_ELEMENTS} (2^27) a prunekit layer can hold in its 4 GiB wasm memory`,
    );
  }
  const dense = new Float64Array(count);
  for (let k = 0; k < nnz; k++) {
    let flat = 0;
    if (coords) {
      for (let r = 0; r < dims.length; r++) {
        const c = idx[k * dims.length + r];
        if (!(c >= 0 && c < dims[r])) throw new ImportError(`${where}: sparse index ${c} of value ${k} is outside dimension ${r} (size ${dims[r]})`);
        flat = flat * dims[r] + c;
      }
    } else {
      flat = idx[k];
    }
    if (!(flat >= 0 && flat < count)) throw new ImportError(`${where}: sparse index ${flat} of value ${k} is outside the ${count} elements`);
    dense[flat] = values.values[k];
  }
  return { dims, dataType: values.dataType, values: dense, strings: null };
}

function constantNodeValue(n: NodeObject, file: string): Constant {
  const where = `${file}: ${describe(n)}`;
  const a = n.attribute?.[0];
  if (!a || (n.attribute?.length ?? 0) !== 1) throw new ImportError(`${where}: a Constant needs exactly one value attribute`);
  switch (a.name) {
    case 'value':
      if (a.t) return readTensor(a.t, where);
      break;
    case 'sparse_value':
      if (a.sparse_tensor) return readSparse(a.sparse_tensor, where);
      break;
    case 'value_float':
      return { dims: [], dataType: DT.FLOAT, values: Float64Array.of(a.f ?? 0), strings: null };
    case 'value_floats':
      return { dims: [a.floats?.length ?? 0], dataType: DT.FLOAT, values: Float64Array.from(a.floats ?? []), strings: null };
    case 'value_int':
      return { dims: [], dataType: DT.INT64, values: Float64Array.of(a.i ?? 0), strings: null };
    case 'value_ints':
      return { dims: [a.ints?.length ?? 0], dataType: DT.INT64, values: Float64Array.from(a.ints ?? []), strings: null };
    case 'value_string':
      return { dims: [], dataType: DT.STRING, values: null, strings: [utf8(a.s ?? new Uint8Array())] };
    case 'value_strings':
      return { dims: [a.strings?.length ?? 0], dataType: DT.STRING, values: null, strings: (a.strings ?? []).map(utf8) };
  }
  throw new ImportError(`${where}: unsupported Constant attribute '${a.name}'`);
}

/**
 * All constants by name. Nodes whose inputs are all constants and that only convert or rearrange
 * them (Constant, Cast, Identity, 2-D Transpose) are evaluated here and recorded in `folded`.
 */
export function collectConstants(g: GraphObject, file: string): { constants: Map<string, Constant>; folded: Set<NodeObject> } {
  const constants = new Map<string, Constant>();
  for (const t of g.initializer ?? []) constants.set(t.name ?? '', readTensor(t, `${file}: initializer '${t.name}'`));
  for (const s of g.sparse_initializer ?? []) {
    const name = s.values?.name ?? '';
    constants.set(name, readSparse(s, `${file}: sparse initializer '${name}'`));
  }
  const folded = new Set<NodeObject>();
  for (const n of g.node ?? []) {
    const ins = (n.input ?? []).filter((x) => x !== '');
    const out = n.output?.[0];
    if (!out || !isDefaultDomain(n.domain)) continue;
    if (n.op_type === 'Constant') {
      constants.set(out, constantNodeValue(n, file));
      folded.add(n);
      continue;
    }
    if (ins.length !== 1 || !constants.has(ins[0])) continue;
    const c = constants.get(ins[0])!;
    if (n.op_type === 'Identity') {
      constants.set(out, c);
    } else if (n.op_type === 'Cast' && c.values && isFloatType(c.dataType)) {
      const to = attrInt(n, 'to', 0);
      const values = castFloat(c.values, to);
      if (!values) continue; // a cast to an integer type: not a weight, left for the walk to refuse
      constants.set(out, { ...c, dataType: to, values });
    } else if (n.op_type === 'Transpose' && c.values && c.dims.length === 2) {
      const perm = attr(n, 'perm')?.ints ?? [1, 0];
      if (perm.length !== 2 || perm[0] !== 1 || perm[1] !== 0) continue;
      const [r, k] = c.dims;
      const v = new Float64Array(c.values.length);
      for (let i = 0; i < r; i++) for (let j = 0; j < k; j++) v[j * r + i] = c.values[i * k + j];
      constants.set(out, { ...c, dims: [k, r], values: v });
    } else {
      continue;
    }
    folded.add(n);
  }
  return { constants, folded };
}
