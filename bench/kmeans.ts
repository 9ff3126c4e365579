/**
 * k-means weight sharing (src/compact/kmeans.ts) against the plain version it must equal bit for
 * bit (test/helpers/kmeans-reference.ts), paired by CPU time in one process, rounds alternating.
 *
 *   npx tsx bench/kmeans.ts [--values 133000] [--bits 4] [--rounds 15]
 *
 * The values: a layer's weights after pruning to about 50% of LeNet-300-100's first layer, drawn
 * as most small and a tenth ten times larger. Prints per-round times and the median speed-up.
 */
import { parseArgs } from 'node:util';
import { kmeansQuantize } from '../src/compact/kmeans.js';
import { Rng } from '../src/util/rng.js';
import { kmeansReference } from '../test/helpers/kmeans-reference.js';

const { values } = parseArgs({ options: { values: { type: 'string' }, bits: { type: 'string' }, rounds: { type: 'string' } } });
const n = Number(values.values ?? 133_000),
  bits = Number(values.bits ?? 4),
  rounds = Number(values.rounds ?? 15);
const rng = new Rng(1);
const v = Float32Array.from({ length: n }, () => (rng.next() - 0.5) * (rng.next() < 0.1 ? 1 : 0.1));
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? ['plain', 'library'] : ['library', 'plain'];
  const ms: Record<string, number> = {};
  for (const which of order) {
    const t = cpuMs();
    if (which === 'plain') kmeansReference(v, bits, false);
    else kmeansQuantize(v, bits);
    ms[which] = cpuMs() - t;
  }
  ratios.push(ms.plain / ms.library);
  console.log(`round ${r + 1}: plain ${ms.plain.toFixed(0)} ms, library ${ms.library.toFixed(0)} ms`);
}
ratios.sort((a, b) => a - b);
console.log(`${n} values, ${bits} bits: library ${ratios[Math.floor(rounds / 2)].toFixed(2)}× the plain k-means (median of ${rounds} paired rounds, CPU time)`);
