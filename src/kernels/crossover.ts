/**
 * Where the CSR kernels start beating the dense ones: the sparsity per batch size from which
 * `prunekit bench` measured CSR faster than dense on this kind of machine (BENCHMARKS.md: 80% at
 * batch 1, 50% at batch 64). Compaction stores a layer as CSR from there (src/compact/), and
 * training runs a masked layer on the sparse kernels from there (src/nn/train.ts).
 */
export const DEFAULT_CROSSOVER: ReadonlyArray<readonly [batch: number, sparsity: number]> = [
  [1, 0.8],
  [64, 0.5],
];

/** Crossover sparsity for one batch size: linear in log2(batch) between table points, clamped. */
export function crossoverAt(batch: number, table: ReadonlyArray<readonly [number, number]> = DEFAULT_CROSSOVER): number {
  if (batch <= table[0][0]) return table[0][1];
  for (let i = 1; i < table.length; i++) {
    const [b0, s0] = table[i - 1],
      [b1, s1] = table[i];
    if (batch <= b1) return s0 + ((s1 - s0) * (Math.log2(batch) - Math.log2(b0))) / (Math.log2(b1) - Math.log2(b0));
  }
  return table[table.length - 1][1];
}
