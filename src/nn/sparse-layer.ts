/**
 * One masked layer trained at the cost of its nonzeros (SparseProp, Nikdan et al. 2023): its
 * trainable weights — the mask's ones, zero-valued or not — live in CSR with one momentum and
 * one gradient per nonzero, and a transposed CSR copy (inputs as rows) serves the input gradient.
 * For W in CSR, input A [in × B] and the pre-activation gradient dZ [out × B]:
 *   forward   Z = W·A + b                          f32_spmm_csr (csr.ts)
 *   weights   dW[r,c] = Σ_b dZ[r,b]·A[c,b] at (r,c) in the pattern, db = Σ_b dZ   f32_csr_weight_grad
 *   inputs    dA = Wᵀ·dZ                            the forward SpMM on the transposed copy
 *   step      SGD with momentum over the CSR values  f32_sgd_masked, no mask; then the copy is
 *             refreshed with f32_gather_u32 (measured faster than a scatter; BENCHMARKS.md)
 * Pruned weights are simply absent, so they stay exactly 0, as masked dense training keeps them.
 */
import { allocF32, type F32Buf, viewF32 } from '../kernels/checked.js';
import { crossoverAt } from '../kernels/crossover.js';
import type { Kernels, Ptr } from '../kernels/types.js';

/**
 * Which masked layers run on the sparse kernels (`TrainConfig.sparse`, the CLI's --sparse-kernels):
 * 'auto' those past the measured dense/CSR crossover at the batch size, 'on' every one with a pruned weight, 'off' none.
 */
export type SparseKernels = 'auto' | 'on' | 'off';
export const SPARSE_KERNELS: readonly SparseKernels[] = ['auto', 'on', 'off'];

/** The Network option for a choice at a batch size: a masked layer goes sparse when its density is below this. */
export function sparseBelow(mode: SparseKernels | undefined, batch: number): number {
  return mode === 'off' ? 0 : mode === 'on' ? 1 : 1 - crossoverAt(batch);
}

type IndexType = 'u16' | 'u32';
const indexFor = (n: number): IndexType => (n <= 65536 ? 'u16' : 'u32');

/** Dense positions r·in + c of the mask's nonzeros, row by row (the CSR order). */
export function maskPositions(mask: ArrayLike<number>): Int32Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  const pos = new Int32Array(n);
  for (let i = 0, k = 0; i < mask.length; i++) if (mask[i] !== 0) pos[k++] = i;
  return pos;
}

function samePositions(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Buffers sized for `cap` nonzeros; reused while a pattern shrinks (pruning), replaced when it grows. */
interface Storage {
  cap: number;
  data: F32Buf;
  grad: F32Buf;
  mom: F32Buf;
  dataT: F32Buf;
  indices: Ptr;
  indicesT: Ptr;
  perm: Ptr;
}

export class SparseLayer {
  readonly index: IndexType;
  readonly indexT: IndexType;
  readonly indptr: Ptr;
  readonly indptrT: Ptr;
  /** Zero bias for the transposed product (the SpMM adds one). */
  private readonly zeroBias: F32Buf;
  private s: Storage | null = null;
  /** Dense position of each nonzero (host copy, to scatter back and to carry momentum over). */
  pos: Int32Array = new Int32Array(0);

  constructor(
    readonly k: Kernels,
    readonly out: number,
    readonly inn: number,
  ) {
    this.index = indexFor(inn);
    this.indexT = indexFor(out);
    this.indptr = k.alloc((out + 1) * 4);
    this.indptrT = k.alloc((inn + 1) * 4);
    this.zeroBias = allocF32(k, inn);
  }

  get nnz(): number {
    return this.pos.length;
  }
  get density(): number {
    return this.nnz / (this.out * this.inn);
  }
  get data(): F32Buf {
    return this.store().data;
  }
  get grad(): F32Buf {
    return this.store().grad;
  }
  get mom(): F32Buf {
    return this.store().mom;
  }
  get dataT(): F32Buf {
    return this.store().dataT;
  }
  get indices(): Ptr {
    return this.store().indices;
  }
  get indicesT(): Ptr {
    return this.store().indicesT;
  }
  get perm(): Ptr {
    return this.store().perm;
  }

  private store(): Storage {
    if (!this.s) throw new Error('SparseLayer: no pattern set');
    return this.s;
  }

  /**
   * Takes the mask's pattern and the weights at it. Momentum: kept as is when the pattern is
   * unchanged; otherwise read at the new positions from `denseMomentum` (out × in), which the
   * caller fills from wherever the momentum lived (`momentumDense()`, or the dense buffer).
   */
  load(mask: ArrayLike<number>, weight: ArrayLike<number>, denseMomentum: () => ArrayLike<number>): void {
    const pos = maskPositions(mask);
    const k = this.k;
    if (!this.s || !samePositions(pos, this.pos)) {
      const mom = denseMomentum();
      this.setPattern(pos);
      const v = viewF32(k, this.s!.mom);
      for (let q = 0; q < pos.length; q++) v[q] = mom[pos[q]];
    }
    const d = viewF32(k, this.s!.data);
    for (let q = 0; q < pos.length; q++) d[q] = weight[pos[q]];
    this.refreshTransposed();
  }

  private setPattern(pos: Int32Array): void {
    const { k, out, inn } = this,
      nnz = pos.length;
    if (!this.s || this.s.cap < nnz) {
      const idxBytes = (t: IndexType) => (t === 'u16' ? 2 : 4);
      this.s = {
        cap: nnz,
        data: allocF32(k, nnz),
        grad: allocF32(k, nnz),
        mom: allocF32(k, nnz),
        dataT: allocF32(k, nnz),
        indices: k.alloc(nnz * idxBytes(this.index)),
        indicesT: k.alloc(nnz * idxBytes(this.indexT)),
        perm: k.alloc(nnz * 4),
      };
    }
    this.pos = pos;
    const buf = k.memory.buffer,
      s = this.s;
    const indptr = new Uint32Array(buf, this.indptr, out + 1);
    const cols = this.index === 'u16' ? new Uint16Array(buf, s.indices, nnz) : new Uint32Array(buf, s.indices, nnz);
    indptr.fill(0);
    for (let q = 0; q < nnz; q++) {
      indptr[Math.floor(pos[q] / inn) + 1]++;
      cols[q] = pos[q] % inn;
    }
    for (let r = 0; r < out; r++) indptr[r + 1] += indptr[r];
    // The transpose: rows are inputs; perm[t] is the nonzero of W that entry t of Wᵀ copies.
    const indptrT = new Uint32Array(buf, this.indptrT, inn + 1);
    const rowsT = this.indexT === 'u16' ? new Uint16Array(buf, s.indicesT, nnz) : new Uint32Array(buf, s.indicesT, nnz);
    const perm = new Uint32Array(buf, s.perm, nnz);
    indptrT.fill(0);
    for (let q = 0; q < nnz; q++) indptrT[cols[q] + 1]++;
    for (let c = 0; c < inn; c++) indptrT[c + 1] += indptrT[c];
    const next = indptrT.slice(0, inn);
    for (let q = 0; q < nnz; q++) {
      const t = next[cols[q]]++;
      rowsT[t] = Math.floor(pos[q] / inn);
      perm[t] = q;
    }
  }

  /** Copies the CSR values into the transposed copy (after every change of the values). */
  refreshTransposed(): void {
    if (this.nnz) this.k.f32_gather_u32(this.data.ptr, this.perm, this.dataT.ptr, this.nnz);
  }

  /** Y = act(W·X + b) over a batch (SpMV at batch 1). */
  forward(b: F32Buf, X: Ptr, Y: Ptr, B: number, act: number): void {
    const k = this.k,
      a = act as 0;
    if (this.index === 'u16') {
      if (B === 1) k.f32_spmv_csr_u16(this.data.ptr, this.indices, this.indptr, b.ptr, X, Y, this.out, a);
      else k.f32_spmm_csr_u16(this.data.ptr, this.indices, this.indptr, b.ptr, X, Y, this.out, B, a, 0);
    } else {
      if (B === 1) k.f32_spmv_csr_u32(this.data.ptr, this.indices, this.indptr, b.ptr, X, Y, this.out, a);
      else k.f32_spmm_csr_u32(this.data.ptr, this.indices, this.indptr, b.ptr, X, Y, this.out, B, a, 0);
    }
  }

  /** grad (or `into`, nnz long) = dW at the nonzeros and db = Σ_b dZ, from dZ [out × B] and the layer input A [in × B]. */
  weightGrad(dZ: Ptr, A: Ptr, db: F32Buf, B: number, into: F32Buf = this.grad): void {
    const k = this.k;
    if (this.index === 'u16') k.f32_csr_weight_grad_u16(this.indices, this.indptr, dZ, A, into.ptr, db.ptr, this.out, B);
    else k.f32_csr_weight_grad_u32(this.indices, this.indptr, dZ, A, into.ptr, db.ptr, this.out, B);
  }

  /** dA [in × B] = Wᵀ·dZ through the transposed copy. */
  inputGrad(dZ: Ptr, dA: Ptr, B: number): void {
    const k = this.k;
    if (this.indexT === 'u16') k.f32_spmm_csr_u16(this.dataT.ptr, this.indicesT, this.indptrT, this.zeroBias.ptr, dZ, dA, this.inn, B, 0, 0);
    else k.f32_spmm_csr_u32(this.dataT.ptr, this.indicesT, this.indptrT, this.zeroBias.ptr, dZ, dA, this.inn, B, 0, 0);
  }

  /** One SGD step over the nonzeros (the dense kernel's exact arithmetic), then the copy follows. */
  step(lr: number, momentum: number, weightDecay: number, nesterov: number): void {
    if (!this.nnz) return;
    this.k.f32_sgd_masked(this.data.ptr, this.mom.ptr, this.grad.ptr, 0, this.nnz, lr, momentum, weightDecay, nesterov);
    this.refreshTransposed();
  }

  /** Scatters per-nonzero values (data, grad or mom) into a dense out × in array, zeros elsewhere. */
  scatter(src: F32Buf, dst: Float32Array): Float32Array {
    dst.fill(0);
    const v = viewF32(this.k, src);
    for (let q = 0; q < this.pos.length; q++) dst[this.pos[q]] = v[q];
    return dst;
  }

  /**
   * Bytes the layer holds: in kernel memory its CSR values and column indices, the transposed copy
   * and its permutation, one gradient and one momentum per nonzero (all sized for the storage's
   * capacity), both row-pointer arrays and the zero bias; on the host the nonzeros' positions.
   */
  heldBytes(): { wasm: number; host: number } {
    const idx = (t: IndexType) => (t === 'u16' ? 2 : 4);
    const cap = this.s?.cap ?? 0;
    const perNonzero = 4 * 5 + idx(this.index) + idx(this.indexT); // data, grad, mom, dataT, perm; indices, indicesT
    const rowPointersAndZeroBias = 4 * (this.out + 1) + 4 * (this.inn + 1) + 4 * this.inn;
    return { wasm: perNonzero * cap + rowPointersAndZeroBias, host: this.pos.byteLength };
  }

  /** Σ grad² over the nonzeros. */
  gradNormSq(): number {
    return this.nnz ? this.k.f32_sum_squares_masked(this.grad.ptr, 0, this.nnz) : 0;
  }
}
