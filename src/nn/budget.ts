/**
 * What a network costs in WebAssembly memory, checked before anything is allocated: wasm32 memory
 * ends at 4 GiB, and a layer list like [4, 30000, 30000, 3] (9·10⁸ weights) or a width of 10⁹
 * would otherwise fill gigabytes of host memory for minutes before failing.
 *
 * A Network (src/nn/network.ts) holds per weight W, ∂L/∂W and the momentum v (f32 each) plus, on
 * pruned layers, an f32 mask; per bias b, ∂L/∂b, v; per sample of a batch every layer's
 * activations and ∂L/∂Z, one scratch row as wide as the widest layer and the row-major input
 * staging. A layer trained sparse (src/nn/sparse-layer.ts) holds instead per nonzero its value, gradient,
 * momentum, transposed value and permutation entry (f32/u32) and two indices (≤ u32 each); since a
 * layer may move between the two paths, the estimate with `sparseBelow` counts both (an upper bound).
 */
import { HEAP_BASE } from '../kernels/arena.js';

/** wasm32's address space: 65,536 pages of 64 KiB. */
export const WASM_MEMORY_LIMIT = 4 * 1024 ** 3;
export const WASM_PAGE = 65536;
const ALIGN = 64; // the arena's alignment, paid at most once per buffer

export interface NetworkShape {
  /** Layer widths including input and output. */
  sizes: number[];
  /** Largest batch the network is built for. */
  batch: number;
  /** Count an f32 mask for every layer (pruned models, or pruning during training). Default true. */
  masks?: boolean;
  /** Layers below this density may train sparse (NetworkOptions.sparseBelow): count their storage. Default 0. */
  sparseBelow?: number;
}

/** Bytes per nonzero of a layer trained sparse: data, grad, mom, dataT, perm (4 each), indices and transposed indices (≤ 4 each). */
const SPARSE_BYTES_PER_NONZERO = 28;

/** Bytes of wasm memory a Network with this shape allocates. */
export function networkBytes({ sizes, batch, masks = true, sparseBelow = 0 }: NetworkShape): number {
  let weights = 0,
    biases = 0,
    buffers = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    weights += sizes[i] * sizes[i + 1];
    biases += sizes[i + 1];
    buffers += masks ? 7 : 6;
  }
  const widths = sizes.reduce((a, b) => a + b, 0);
  const activations = widths + (widths - sizes[0]) + Math.max(...sizes); // acts, ∂L/∂Z, scratch
  buffers += 2 * sizes.length + 3;
  const staging = sizes[0] * (batch + 2); // input rows, and the layout kernel's mean 0 / scale 1
  const sparse =
    sparseBelow > 0 ? SPARSE_BYTES_PER_NONZERO * Math.ceil(Math.min(1, sparseBelow) * weights) + 4 * (biases + sizes.length) + ALIGN * 12 * sizes.length : 0;
  return 4 * (weights * (masks ? 4 : 3) + biases * 3 + activations * batch + staging) + sparse + ALIGN * buffers;
}

export function weightCount(sizes: number[]): number {
  let n = 0;
  for (let i = 0; i + 1 < sizes.length; i++) n += sizes[i] * sizes[i + 1];
  return n;
}

/** "3.62 GB" */
export function formatBytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${Math.ceil(n / 1e3)} kB`;
}

/**
 * Throws a RangeError naming the sizes, the weight count and the bytes needed when a Network of
 * this shape cannot fit in the wasm memory that is left (`available`, default all of it).
 */
export function assertNetworkFits(shape: NetworkShape, what: string, available = WASM_MEMORY_LIMIT - WASM_PAGE - HEAP_BASE): void {
  const need = networkBytes(shape);
  if (need <= available) return;
  throw new RangeError(
    `${what}: layer sizes [${shape.sizes.join(', ')}] have ${weightCount(shape.sizes).toLocaleString('en-US')} weights; ` +
      `training them at batch ${shape.batch} needs ${formatBytes(need)} of WebAssembly memory (weights, gradients, momentum` +
      `${shape.masks === false ? '' : ', masks'} and activations), more than the ${formatBytes(available)} available under wasm32's 4 GiB limit`,
  );
}
