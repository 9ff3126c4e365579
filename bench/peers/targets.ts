/**
 * The speed targets against the peers (prunekit at least as fast as the engines users would
 * otherwise deploy, by the stated factor), evaluated from one run's paired ratios (peer time /
 * prunekit time) on the seeded random model, whatever its shape.
 */
import { median } from '../../src/util/stats.js';
import type { PeersReport } from './run.js';
import { isRandomSource } from './models.js';

export interface Target {
  name: string;
  goal: string;
  /** Paired speed-up of prunekit over the peer in this run; null when the peer did not run. */
  ratio: number | null;
  met: boolean | null;
}

export function evaluateTargets(r: Pick<PeersReport, 'groups'>): Target[] {
  const find = (sparsity: number, batch: number, engine: string) =>
    r.groups.find((g) => isRandomSource(g.source) && g.sparsity === sparsity && g.batch === batch)?.engines.find((e) => e.engine === engine);
  const t = (name: string, sparsity: number, batch: number, peer: string, pk: 'dense' | 'csr', goal: number, strict = false): Target => {
    const e = find(sparsity, batch, peer);
    const ratio = e ? (pk === 'dense' ? e.prunekit_dense_speedup : e.prunekit_csr_speedup) : null;
    return { name, goal: strict ? `> ${goal}×` : `≥ ${goal}×`, ratio, met: ratio === null ? null : strict ? ratio > goal : ratio >= goal };
  };
  // dense prunekit and the dense peers ignore zeros: every sparsity is one more dense-vs-dense sample
  const allDense = (batch: number, goal: number): Target => {
    const rs = r.groups
      .filter((g) => isRandomSource(g.source) && g.batch === batch)
      .map((g) => g.engines.find((e) => e.engine === 'ort-web-1t')?.prunekit_dense_speedup)
      .filter((v): v is number => v !== undefined);
    const ratio = rs.length ? median(rs) : null;
    return {
      name: `prunekit dense vs ort-web dense (1 thread), batch ${batch}, median over all ${rs.length} sparsities`,
      goal: `≥ ${goal}×`,
      ratio,
      met: ratio === null ? null : ratio >= goal,
    };
  };
  return [
    t('prunekit dense vs ort-web dense (1 thread), batch 1, 0% sparse', 0, 1, 'ort-web-1t', 'dense', 2),
    t('prunekit dense vs ort-web dense (1 thread), batch 64, 0% sparse', 0, 64, 'ort-web-1t', 'dense', 1.5),
    allDense(1, 2),
    allDense(64, 1.5),
    t('prunekit CSR 90% vs ort-web dense (1 thread), batch 1', 0.9, 1, 'ort-web-1t', 'csr', 4),
    t('prunekit CSR 90% vs ort-web dense (1 thread), batch 64', 0.9, 64, 'ort-web-1t', 'csr', 8),
    t('prunekit CSR 90% vs ort-node native dense (1 thread), batch 1', 0.9, 1, 'ort-node-1t', 'csr', 1, true),
    t('prunekit CSR 90% vs ort-node native dense (1 thread), batch 64', 0.9, 64, 'ort-node-1t', 'csr', 1, true),
    // the same comparisons at any size (layers past the caches): dense batch 1 ≥ 1.15× ort-web, CSR 90% ≥ 5× / 10×
    t('at any size: prunekit dense vs ort-web dense (1 thread), batch 1, 0% sparse', 0, 1, 'ort-web-1t', 'dense', 1.15),
    t('at any size: prunekit CSR 90% vs ort-web dense (1 thread), batch 1', 0.9, 1, 'ort-web-1t', 'csr', 5),
    t('at any size: prunekit CSR 90% vs ort-web dense (1 thread), batch 64', 0.9, 64, 'ort-web-1t', 'csr', 10),
  ];
}
