/**
 * What the kernel bench (`prunekit bench`, `--threads`, `--peers`) allocates in WebAssembly memory,
 * counted before any work: wasm32 memory ends at 4 GiB, and a shape that cannot fit would otherwise
 * build and prune gigabytes of weights for minutes before an allocation fails.
 *
 * For each sparsity the pruned weights are uploaded twice (`uploadBoth` in bench.ts): dense —
 * 4·rows·cols bytes of weights, the bias and the dense GEMM's scratch (`uploadDense`) — and CSR —
 * per nonzero 4 bytes of value and 2 (u16) or 4 (u32) of column index, 4·(rows + 1) of row
 * pointers and the bias. Per batch size, one activation buffer per layer width; from batch 16 on,
 * the CSR SpMM's panel (one per thread); and the machine probes' read buffers. The full dense model the bench prunes
 * from (createMLP) and its pruned copies live in JS typed arrays, not in wasm memory: they cost host
 * RAM while the networks are built, but count nothing against the 4 GiB.
 */
import { HEAP_BASE } from '../kernels/arena.js';
import { panelFloats } from '../kernels/checked.js';
import { WASM_MEMORY_LIMIT, WASM_PAGE } from '../nn/budget.js';
import type { IndexType } from '../sparse/csr.js';

/** What the arena can hand out of wasm32's 4 GiB: it starts at HEAP_BASE and keeps the last page. */
export const BENCH_WASM_AVAILABLE = WASM_MEMORY_LIMIT - WASM_PAGE - HEAP_BASE;
const ALIGN = 64; // the arena's alignment, paid at most once per buffer

/** CSR column indices as the bench measures them: u16 when a layer has ≤ 65,536 inputs, else u32. */
export const benchIndex = (cols: number): IndexType => (cols <= 65536 ? 'u16' : 'u32');

/** Nonzeros a layer of n weights keeps after `pruneEachLayer` at `sparsity`: n − round(s·n). */
export const keptWeights = (n: number, sparsity: number): number => n - Math.round(sparsity * n);

/** Bytes of one layer uploaded dense with scratch for `runs` runs of a threaded split (`uploadDense`). */
export function denseLayerBytes(rows: number, cols: number, runs = 1): number {
  const usable = rows < 4 ? 0 : Math.min(runs, Math.ceil(rows / 4));
  return 4 * (rows * cols + rows) + (usable > 0 ? 16 * cols * usable + ALIGN : 0) + 2 * ALIGN;
}

/** Bytes of one layer pruned to `sparsity` and uploaded as CSR (`uploadCsr`): values, indices, row pointers, bias. */
export function csrLayerBytes(rows: number, cols: number, sparsity: number): number {
  const nnz = keptWeights(rows * cols, sparsity);
  return nnz * (4 + (benchIndex(cols) === 'u16' ? 2 : 4)) + 4 * (rows + 1) + 4 * rows + 4 * ALIGN;
}

/** Bytes of `machineProbes`' buffers: a 1 KiB ring, the 4 MiB read buffer and the DRAM probe's (0: skipped). */
export const probeBytes = (dramBytes: number): number => 1024 + (4 << 20) + dramBytes + 3 * ALIGN;

export interface BenchFootprint {
  /** Layer widths, input first. */
  layers: readonly number[];
  sparsities: readonly number[];
  batches: readonly number[];
  /** Runs of a threaded split each dense layer keeps GEMM scratch for (1 on one thread). */
  runs?: number;
  /** Threads that each get a CSR panel (1 on one thread). */
  threads?: number;
  /** The machine probes' buffers (`probeBytes`), 0 when the bench measures none. */
  probes?: number;
}

/** Bytes of wasm memory `benchNetworks` (and the probes) allocate for this bench. */
export function benchWasmBytes({ layers, sparsities, batches, runs = 1, threads = 1, probes = 0 }: BenchFootprint): number {
  let weights = 0;
  for (const s of sparsities)
    for (let l = 0; l + 1 < layers.length; l++) weights += denseLayerBytes(layers[l + 1], layers[l], runs) + csrLayerBytes(layers[l + 1], layers[l], s);
  const width = layers.reduce((a, n) => a + n, 0);
  const acts = batches.reduce((a, b) => a + 4 * width * b + ALIGN * layers.length, 0);
  const panel = batches.some((b) => b >= 16) ? 4 * threads * panelFloats(Math.max(...layers.slice(0, -1))) + ALIGN : 0;
  return weights + acts + panel + probes;
}
