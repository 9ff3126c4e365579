/**
 * An MLP bound to a kernel backend: its weights, gradients, momentum buffers, masks and
 * activations live in kernel (wasm) memory, allocated once for a maximum batch size. The forward
 * and backward passes and the SGD step are sequences of kernel calls on feature-major activations
 * ([features][batch]). `syncToModel` copies the weights back into the plain `MLP`.
 *
 * A layer on the sparse path holds its nonzeros only (sparse-layer.ts): it has no dense weight,
 * gradient, momentum or mask buffers, which are allocated when it moves to the dense path.
 *
 * Backward pass (softmax + cross-entropy on the mean over the batch), for layer l with input
 * A_l, pre-activation Z_l = W_l A_l + b_l and output A_{l+1} = act(Z_l):
 *   dZ_L = (softmax(Z_L) − onehot(y)) / B
 *   dW_l = dZ_l · A_lᵀ,   db_l = Σ_batch dZ_l
 *   dA_l = W_lᵀ · dZ_l,   dZ_{l−1} = dA_l ⊙ act'(A_l)
 */
import { Act, type Kernels } from '../kernels/types.js';
import { allocF32, viewF32, writeF32, type F32Buf } from '../kernels/checked.js';
import type { MLP } from './model.js';
import { assertNetworkFits, WASM_MEMORY_LIMIT, WASM_PAGE } from './budget.js';
import { SparseLayer } from './sparse-layer.js';

/** A layer's out × in buffers on the dense path: weights, their gradient and momentum, and the f32 0/1 mask (null while the layer has none). */
interface DenseBufs {
  W: F32Buf;
  dW: F32Buf;
  vW: F32Buf;
  mask: F32Buf | null;
}

interface LayerBufs {
  out: number;
  inn: number;
  act: number;
  b: F32Buf;
  db: F32Buf;
  vb: F32Buf;
  /** Set while the layer trains dense; null on the sparse path. Exactly one of `dense` and `sparse` is set. */
  dense: DenseBufs | null;
  /** Set while the layer trains sparse: its weights, gradient and momentum live here, at its nonzeros only. */
  sparse: SparseLayer | null;
  /** Kept across switches so their buffers are reused (the arena frees only on reset). */
  denseStore: DenseBufs | null;
  sparseStore: SparseLayer | null;
}

export interface NetworkOptions {
  /**
   * A masked layer whose density (trainable weights / all) is below this trains on the CSR
   * kernels (sparse-layer.ts), the others dense with the mask. 0 (default): every layer dense.
   */
  sparseBelow?: number;
}

export interface SgdParams {
  lr: number;
  momentum: number;
  nesterov: boolean;
  /** L2 coefficient applied to weights (not biases) in this step. */
  weightDecay: number;
}

export class Network {
  readonly layers: LayerBufs[];
  /** acts[0] is the input [in × B]; acts[l+1] the output of layer l [out_l × B]. */
  private readonly acts: F32Buf[];
  /** Gradient w.r.t. each layer's pre-activation [out_l × B]. */
  private readonly dZ: F32Buf[];
  /** Scratch for Wᵀ·dZ [max width × B]. */
  private readonly dA: F32Buf;
  readonly nIn: number;
  readonly nOut: number;

  readonly sparseBelow: number;

  constructor(
    readonly k: Kernels,
    readonly model: MLP,
    readonly maxBatch: number,
    opts: NetworkOptions = {},
  ) {
    this.sparseBelow = opts.sparseBelow ?? 0;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new RangeError(`Network: batch size must be a positive integer, got ${maxBatch}`);
    this.nIn = model.layers[0].inFeatures;
    this.nOut = model.layers.at(-1)!.outFeatures;
    const sizes = [this.nIn, ...model.layers.map((l) => l.outFeatures)];
    assertNetworkFits({ sizes, batch: maxBatch, sparseBelow: this.sparseBelow }, 'Network', WASM_MEMORY_LIMIT - WASM_PAGE - k.heapTop()); // the arena keeps the last page
    this.layers = model.layers.map((l, i) => {
      if (i > 0 && l.inFeatures !== model.layers[i - 1].outFeatures) {
        throw new RangeError(`Network: layer ${i} takes ${l.inFeatures} inputs but layer ${i - 1} gives ${model.layers[i - 1].outFeatures}`);
      }
      const n = l.outFeatures * l.inFeatures;
      if (l.weight.length !== n || l.bias.length !== l.outFeatures || (l.mask && l.mask.length !== n)) {
        throw new RangeError(`Network: layer ${i} arrays do not match its shape ${l.outFeatures}×${l.inFeatures}`);
      }
      return {
        out: l.outFeatures,
        inn: l.inFeatures,
        act: Act[l.activation],
        b: allocF32(k, l.outFeatures),
        db: allocF32(k, l.outFeatures),
        vb: allocF32(k, l.outFeatures),
        dense: null,
        sparse: null,
        denseStore: null,
        sparseStore: null,
      };
    });
    const widths = [this.nIn, ...model.layers.map((l) => l.outFeatures)];
    this.acts = widths.map((w) => allocF32(k, w * maxBatch));
    this.dZ = model.layers.map((l) => allocF32(k, l.outFeatures * maxBatch));
    this.dA = allocF32(k, Math.max(...widths) * maxBatch);
    this.staging = { rows: allocF32(k, maxBatch * this.nIn), zero: allocF32(k, this.nIn), one: allocF32(k, this.nIn, new Float32Array(this.nIn).fill(1)) };
    this.uploadFromModel();
  }

  /**
   * Copies weights, biases and masks from the model; pruned weights and their momentum are set
   * to 0. Other momentum is kept (so a hook may prune mid-training without resetting SGD state).
   * Each layer goes to the sparse path or the dense one (see `NetworkOptions.sparseBelow`).
   */
  uploadFromModel(): void {
    this.model.layers.forEach((l, i) => {
      const L = this.layers[i];
      writeF32(this.k, L.b, l.bias);
      if (this.goesSparse(l.mask, L)) this.uploadSparse(l.mask!, l.weight, L);
      else this.uploadDense(l.mask, l.weight, L);
    });
  }

  /** Whether a layer with this mask trains on the sparse path: masked, and its density below `sparseBelow`. */
  private goesSparse(mask: ArrayLike<number> | undefined | null, L: LayerBufs): boolean {
    if (!mask || this.sparseBelow <= 0) return false;
    const n = L.out * L.inn;
    let ones = 0;
    for (let j = 0; j < n; j++) if (mask[j] !== 0) ones++;
    return ones < this.sparseBelow * n;
  }

  /** The sparse path: the pattern and weights into the layer's CSR; momentum carried over from wherever it lived. */
  private uploadSparse(mask: ArrayLike<number>, weight: Float32Array, L: LayerBufs): void {
    const S = (L.sparseStore ??= new SparseLayer(this.k, L.out, L.inn));
    const from = L.sparse ? 'sparse' : L.dense ? 'dense' : 'none';
    const n = L.out * L.inn;
    S.load(mask, weight, () =>
      from === 'sparse' ? S.scatter(S.mom, new Float32Array(n)) : from === 'dense' ? viewF32(this.k, L.dense!.vW).slice() : new Float32Array(n),
    );
    L.sparse = S;
    L.dense = null; // its buffers stay in the arena (denseStore) for a move back; the layer no longer holds them
  }

  /** The dense path: weights and mask into out × in buffers (allocated on first use); momentum moves over from the sparse path. */
  private uploadDense(mask: ArrayLike<number> | undefined | null, weight: Float32Array, L: LayerBufs): void {
    const k = this.k,
      n = L.out * L.inn;
    const D = (L.denseStore ??= { W: allocF32(k, n), dW: allocF32(k, n), vW: allocF32(k, n), mask: null });
    if (L.sparse) L.sparse.scatter(L.sparse.mom, viewF32(k, D.vW));
    else if (!L.dense) viewF32(k, D.vW).fill(0); // back from nowhere (first upload): no momentum yet
    L.sparse = null;
    L.dense = D;
    if (mask && !D.mask) D.mask = allocF32(k, n); // pruned during training (gradual schedule)
    if (!mask) D.mask = null;
    writeF32(k, D.W, weight);
    if (mask && D.mask) {
      const m = viewF32(k, D.mask),
        w = viewF32(k, D.W),
        v = viewF32(k, D.vW);
      for (let j = 0; j < m.length; j++) {
        m[j] = mask[j];
        if (!mask[j]) {
          w[j] = 0;
          v[j] = 0;
        }
      }
    }
  }

  /** How many layers train on the sparse path now. */
  get sparseLayers(): number {
    return this.layers.filter((L) => L.sparse).length;
  }

  /**
   * Bytes layer i holds now: in kernel memory its bias, bias gradient and momentum and either its
   * out × in weight, gradient, momentum (and mask) buffers on the dense path or its nonzeros'
   * storage on the sparse path (`SparseLayer.heldBytes`); on the host, a sparse layer's positions.
   */
  heldBytes(i: number): { wasm: number; host: number } {
    const L = this.layers[i],
      bias = 3 * 4 * L.out;
    if (L.sparse) {
      const s = L.sparse.heldBytes();
      return { wasm: bias + s.wasm, host: s.host };
    }
    const D = L.dense!;
    return { wasm: bias + 4 * (D.W.length + D.dW.length + D.vW.length + (D.mask?.length ?? 0)), host: 0 };
  }

  /** Copies weights and biases back into the model's arrays. */
  syncToModel(): void {
    this.model.layers.forEach((l, i) => {
      const L = this.layers[i];
      if (L.sparse) L.sparse.scatter(L.sparse.data, l.weight);
      else l.weight.set(viewF32(this.k, L.dense!.W));
      l.bias.set(viewF32(this.k, L.b));
    });
  }

  /**
   * Loads samples `rows[0..B)` of a row-major dataset into the input buffer, transposing to
   * feature-major [feature][sample].
   */
  setInput(features: Float32Array, nFeatures: number, rows: ArrayLike<number>, B: number): void {
    if (nFeatures !== this.nIn) throw new RangeError(`Network: the data has ${nFeatures} features, the model expects ${this.nIn}`);
    if (B > this.maxBatch) throw new RangeError(`Network: batch ${B} exceeds the allocated ${this.maxBatch}`);
    // Rows copied as they are (one memcpy each), transposed by the layout kernel with mean 0, scale 1
    // (x − 0)·1 = x exactly): a JavaScript transpose cost as much as a 98%-sparse training step.
    const staging = this.staging;
    const x = viewF32(this.k, staging.rows);
    for (let j = 0; j < B; j++) x.set(features.subarray(rows[j] * nFeatures, (rows[j] + 1) * nFeatures), j * nFeatures);
    this.k.f32_standardize_transpose(staging.rows.ptr, this.acts[0].ptr, staging.zero.ptr, staging.one.ptr, B, nFeatures);
  }

  /** Row-major input samples, and the mean 0 / scale 1 the layout kernel takes. */
  private readonly staging: { rows: F32Buf; zero: F32Buf; one: F32Buf };

  /** Forward pass over a batch already set with `setInput`; returns a view of the logits [nOut × B]. */
  forward(B: number): Float32Array {
    const k = this.k;
    for (let i = 0; i < this.layers.length; i++) {
      const L = this.layers[i],
        X = this.acts[i].ptr,
        Y = this.acts[i + 1].ptr;
      if (L.sparse) L.sparse.forward(L.b, X, Y, B, L.act);
      else if (B === 1) k.f32_gemv(L.dense!.W.ptr, L.b.ptr, X, Y, L.out, L.inn, L.act as 0);
      else k.f32_gemm(L.dense!.W.ptr, L.b.ptr, X, Y, L.out, L.inn, B, L.act as 0);
    }
    return new Float32Array(k.memory.buffer, this.acts.at(-1)!.ptr, this.nOut * B);
  }

  /**
   * Softmax cross-entropy on the logits of the last forward pass: writes dZ_L = (p − onehot)/B,
   * returns the summed loss and the number of correct argmax predictions.
   */
  lossAndGrad(labels: Int32Array, rows: ArrayLike<number>, B: number, writeGrad: boolean): { lossSum: number; correct: number } {
    const z = new Float32Array(this.k.memory.buffer, this.acts.at(-1)!.ptr, this.nOut * B);
    const g = writeGrad ? viewF32(this.k, this.dZ.at(-1)!) : null;
    const C = this.nOut;
    let lossSum = 0,
      correct = 0;
    for (let j = 0; j < B; j++) {
      const y = labels[rows[j]];
      let max = -Infinity,
        arg = 0;
      for (let c = 0; c < C; c++) {
        const v = z[c * B + j];
        if (v > max) {
          max = v;
          arg = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < C; c++) sum += Math.exp(z[c * B + j] - max);
      const logSum = Math.log(sum) + max;
      lossSum += logSum - z[y * B + j]; // −log softmax(z)_y
      if (arg === y) correct++;
      if (g) for (let c = 0; c < C; c++) g[c * B + j] = (Math.exp(z[c * B + j] - logSum) - (c === y ? 1 : 0)) / B;
    }
    return { lossSum, correct };
  }

  /** Backward pass: fills dW, db of every layer from dZ_L written by `lossAndGrad`. */
  backward(B: number): void {
    const k = this.k;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const L = this.layers[i],
        S = L.sparse,
        D = L.dense;
      if (S) S.weightGrad(this.dZ[i].ptr, this.acts[i].ptr, L.db, B);
      else k.f32_gemm_nt_grad(this.dZ[i].ptr, this.acts[i].ptr, D!.dW.ptr, L.db.ptr, L.out, L.inn, B);
      if (i > 0) {
        if (S) S.inputGrad(this.dZ[i].ptr, this.dA.ptr, B);
        else k.f32_gemm_tn(D!.W.ptr, this.dZ[i].ptr, this.dA.ptr, L.out, L.inn, B);
        k.f32_act_backward(this.dA.ptr, this.acts[i].ptr, this.dZ[i - 1].ptr, L.inn * B, this.layers[i - 1].act as 0);
      }
    }
  }

  /** One masked SGD step on every layer (weights decayed, biases not). */
  step(p: SgdParams): void {
    const nest = p.nesterov ? 1 : 0;
    for (const L of this.layers) {
      const D = L.dense;
      if (L.sparse) L.sparse.step(p.lr, p.momentum, p.weightDecay, nest);
      else if (D) this.k.f32_sgd_masked(D.W.ptr, D.vW.ptr, D.dW.ptr, D.mask?.ptr ?? 0, L.out * L.inn, p.lr, p.momentum, p.weightDecay, nest);
      this.k.f32_sgd_masked(L.b.ptr, L.vb.ptr, L.db.ptr, 0, L.out, p.lr, p.momentum, 0, nest);
    }
  }

  /**
   * The weight gradient of the masked objective L(M ⊙ W) for layer i from the last backward pass,
   * M ⊙ ∂L/∂W, 0 at pruned weights on either path: a dense unmasked layer's as a fresh view, a
   * dense masked layer's as a new masked copy, a sparse layer's scattered into a new out × in array
   * (its pattern is the mask). For the gradient at pruned weights too, see `denseWeightGrad`.
   */
  weightGrad(i: number): Float32Array {
    const L = this.layers[i];
    if (L.sparse) return L.sparse.scatter(L.sparse.grad, new Float32Array(L.out * L.inn));
    const D = L.dense!,
      g = viewF32(this.k, D.dW);
    if (!D.mask) return g;
    const m = viewF32(this.k, D.mask),
      out = new Float32Array(g.length);
    for (let j = 0; j < g.length; j++) out[j] = m[j] ? g[j] : 0;
    return out;
  }

  /**
   * ∂L/∂W of layer i at every weight, pruned ones included, from the last backward pass (a new
   * array). A sparse layer keeps its gradient at its nonzeros only; here dW = dZ·Aᵀ is formed in a
   * transient out × in kernel buffer, released before returning (RigL's regrowth scores).
   */
  denseWeightGrad(i: number, B: number): Float32Array {
    const L = this.layers[i];
    if (!L.sparse) return viewF32(this.k, L.dense!.dW).slice();
    const k = this.k,
      mark = k.heapTop();
    try {
      const dW = allocF32(k, L.out * L.inn),
        db = allocF32(k, L.out);
      k.f32_gemm_nt_grad(this.dZ[i].ptr, this.acts[i].ptr, dW.ptr, db.ptr, L.out, L.inn, B);
      return viewF32(k, dW).slice();
    } finally {
      k.reset(mark);
    }
  }

  /**
   * ‖M ⊙ ∂L/∂W‖² of layer i: the squared norm over its kept weights only (all of them if it has no
   * mask), the same on the dense and the sparse path (as `weightGrad`).
   */
  weightGradNormSq(i: number): number {
    const L = this.layers[i];
    if (L.sparse) return L.sparse.gradNormSq();
    const D = L.dense!;
    return this.k.f32_sum_squares_masked(D.dW.ptr, D.mask?.ptr ?? 0, D.dW.length);
  }

  /**
   * One step of layer i's movement scores (Sanh et al. 2020; src/nn/history.ts), S ← S − W ⊙ ∂L/∂W
   * at its trainable weights, from the last backward pass: `S` holds out × in scores in kernel
   * memory. A pruned weight is 0 on either path, so S changes only where w ≠ 0.
   */
  accumulateMovement(i: number, S: F32Buf): void {
    const L = this.layers[i];
    if (S.length !== L.out * L.inn) throw new RangeError(`Network.accumulateMovement: ${S.length} scores for layer ${i}'s ${L.out}×${L.inn} weights`);
    const P = L.sparse;
    if (!P) {
      this.k.f32_movement_step(S.ptr, L.dense!.W.ptr, L.dense!.dW.ptr, S.length);
      return;
    }
    const movement = P.index === 'u16' ? this.k.f32_csr_movement_u16 : this.k.f32_csr_movement_u32;
    if (P.nnz) movement(S.ptr, P.data.ptr, P.grad.ptr, P.indices, P.indptr, L.out, L.inn);
  }

  /** Layer i's weights and gradient now: every weight, or a sparse layer's trainable ones with their dense positions (views). */
  gradientAt(i: number): { positions: Int32Array | null; weights: Float32Array; grads: Float32Array } {
    const L = this.layers[i],
      S = L.sparse;
    if (S) return { positions: S.pos, weights: viewF32(this.k, S.data), grads: viewF32(this.k, S.grad) };
    return { positions: null, weights: viewF32(this.k, L.dense!.W), grads: viewF32(this.k, L.dense!.dW) };
  }

  /**
   * The weights of layer i as the device holds them now: a dense layer's as a fresh view (writes
   * reach the device; it dies when memory grows), a sparse layer's scattered into a new out × in array.
   */
  weightView(i: number): Float32Array {
    const L = this.layers[i];
    return L.sparse ? L.sparse.scatter(L.sparse.data, new Float32Array(L.out * L.inn)) : viewF32(this.k, L.dense!.W);
  }

  /** Scratch for `sumSquaredSampleGrads`, allocated on first use (training never needs it); `out` per dense layer. */
  private fisher: { dZ2: F32Buf; A2: F32Buf; out: (F32Buf | null)[]; db: F32Buf } | null = null;

  /**
   * Σ_b (dZ_l[r,b] · A_l[c,b])² per weight of layer i, over the batch of the last backward pass
   * (a fresh view). dZ_l[r,b]·A_l[c,b] is sample b's share of dW_l = dZ_l·A_lᵀ, so this is the sum
   * of squared per-sample gradients of the batch-mean loss; multiply by B² for the per-sample
   * losses' (the batch mean divides each by B). Computed as (dZ⊙dZ)·(A⊙A)ᵀ with the gradient kernel;
   * for a sparse layer at its nonzeros only, with the CSR gradient kernel (a new out × in array, 0 off its pattern).
   */
  sumSquaredSampleGrads(i: number, B: number): Float32Array {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch) throw new RangeError(`Network: batch ${B} is outside 1..${this.maxBatch}`);
    const k = this.k;
    if (!this.fisher) {
      const widest = Math.max(this.nIn, ...this.layers.map((L) => L.out));
      this.fisher = {
        dZ2: allocF32(k, widest * this.maxBatch),
        A2: allocF32(k, widest * this.maxBatch),
        out: this.layers.map(() => null),
        db: allocF32(k, widest),
      };
    }
    const L = this.layers[i],
      f = this.fisher;
    const square = (src: F32Buf, dst: F32Buf, n: number) => {
      const s = viewF32(k, src),
        d = viewF32(k, dst);
      for (let j = 0; j < n; j++) d[j] = s[j] * s[j];
    };
    square(this.dZ[i], f.dZ2, L.out * B);
    square(this.acts[i], f.A2, L.inn * B);
    const S = L.sparse;
    if (S) {
      const mark = k.heapTop();
      try {
        const at = allocF32(k, S.nnz);
        S.weightGrad(f.dZ2.ptr, f.A2.ptr, f.db, B, at);
        return S.scatter(at, new Float32Array(L.out * L.inn));
      } finally {
        k.reset(mark);
      }
    }
    const out = (f.out[i] ??= allocF32(k, L.out * L.inn));
    k.f32_gemm_nt_grad(f.dZ2.ptr, f.A2.ptr, out.ptr, f.db.ptr, L.out, L.inn, B);
    return viewF32(k, out);
  }

  /** Zeroes the momentum buffers (e.g. after rewinding weights). */
  resetMomentum(): void {
    for (const L of this.layers) {
      if (L.dense) viewF32(this.k, L.dense.vW).fill(0);
      viewF32(this.k, L.vb).fill(0);
      if (L.sparse) viewF32(this.k, L.sparse.mom).fill(0);
    }
  }
}
