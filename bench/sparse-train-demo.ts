/**
 * The demo's iterative schedule end to end (LeNet-300-100 on the built-in MNIST split, 20 dense
 * epochs, global magnitude 50 → 80 → 90 → 95 → 98% with 5 fine-tuning epochs per step; the
 * options of `prunekit demo`, src/cli/commands/demo.ts) with fine-tuning masked dense
 * (`sparse: 'off'`, as before sparse training) and on the sparse kernels (`'auto'`, the default),
 * alternating in one process (order swapped every round, so neither always runs first). Prints
 * each run's wall time, each step's prune + fine-tune seconds and accuracy, the end-to-end ratio
 * per round with its median and range, and the largest accuracy difference between the two paths.
 * Each run is timed in wall-clock seconds and in CPU seconds of this process (user + system,
 * `process.cpuUsage`): on a machine shared with other jobs the wall time also counts the time
 * the process waited for a core, the CPU time mostly does not, so its ratio is the steadier one.
 *
 *   npx tsx bench/sparse-train-demo.ts [--rounds 1] [--runs 5]
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { loadData } from '../src/data/index.js';
import { runSweep, type SweepOptions } from '../src/report/sweep.js';

const { values: flags } = parseArgs({ options: { rounds: { type: 'string' }, runs: { type: 'string' } } });
const rounds = Number(flags.rounds ?? 1);
const data = await loadData('mnist', { seed: 42 });
const demo: Omit<SweepOptions, 'fineTune'> = {
  data,
  dataSpec: 'mnist',
  hidden: [300, 100],
  activation: 'relu',
  seed: 42,
  train: { epochs: 20, batchSize: 64, lr: 0.1, momentum: 0.9, alpha: 0.1, schedule: 'cosine', nesterov: true },
  sparsities: [0.5, 0.8, 0.9, 0.95, 0.98],
  criteria: ['magnitude'],
  scopes: ['global'],
  schedules: ['iterative'],
  finetuneEpochs: 5,
  runs: Number(flags.runs ?? 5),
};

console.log(
  `demo schedule, fine-tuning masked dense vs sparse; load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const totals: Record<string, number[]> = { off: [], auto: [] };
const steps: Record<string, number[][]> = { off: [], auto: [] };
const accs: Record<string, number[][]> = { off: [], auto: [] };
const denseSeconds: Record<string, number[]> = { off: [], auto: [] };
const cpuTotals: Record<string, number[]> = { off: [], auto: [] };
for (let r = 0; r < rounds; r++) {
  for (const mode of (r % 2 ? ['auto', 'off'] : ['off', 'auto']) as ('off' | 'auto')[]) {
    const t0 = performance.now(),
      c0 = process.cpuUsage();
    const { report } = await runSweep({ ...demo, fineTune: { lr: 0.05, sparse: mode } });
    const total = (performance.now() - t0) / 1000,
      c = process.cpuUsage(c0),
      cpu = (c.user + c.system) / 1e6;
    totals[mode].push(total);
    cpuTotals[mode].push(cpu);
    steps[mode].push(report.points.map((p) => p.pruneSeconds));
    accs[mode].push(report.points.map((p) => p.accuracy));
    denseSeconds[mode].push(report.dense.trainSeconds);
    console.log(
      `round ${r + 1}, fine-tuning ${mode === 'off' ? 'dense' : 'sparse'}: ${total.toFixed(1)} s end to end, ${cpu.toFixed(1)} CPU s (dense training ${report.dense.trainSeconds.toFixed(1)} s); ` +
        report.points.map((p) => `${(p.targetSparsity * 100).toFixed(0)}%: ${(p.accuracy * 100).toFixed(2)}% in ${p.pruneSeconds.toFixed(1)} s`).join(', '),
    );
  }
}
const med = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b),
    h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};
const ratios = totals.off.map((d, i) => d / totals.auto[i]);
console.log(
  `end to end per round (dense / sparse): ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${med(ratios).toFixed(2)}×, range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`,
);
const cpuRatios = cpuTotals.off.map((d, i) => d / cpuTotals.auto[i]);
console.log(
  `CPU seconds per round (dense / sparse): ${cpuRatios.map((x) => x.toFixed(2)).join(', ')}; median ${med(cpuRatios).toFixed(2)}×, range ${Math.min(...cpuRatios).toFixed(2)}–${Math.max(...cpuRatios).toFixed(2)}×`,
);
// The 20 dense epochs are the same work in both runs of a round: their time ratio shows how much load drift the pair saw.
console.log(
  `dense training seconds per round (dense-ft run / sparse-ft run): ${denseSeconds.off.map((d, i) => (d / denseSeconds.auto[i]).toFixed(2)).join(', ')}`,
);
const accDiff = Math.max(...accs.off.flatMap((a, r) => a.map((x, i) => Math.abs(x - accs.auto[r][i]))));
console.log(`largest test-accuracy difference, dense vs sparse fine-tuning, any step and round: ${(accDiff * 100).toFixed(2)} points`);
const stepMed = (mode: string, i: number) => med(steps[mode].map((s) => s[i]));
console.log(
  `end to end: dense fine-tuning ${med(totals.off).toFixed(1)} s, sparse ${med(totals.auto).toFixed(1)} s: ${(med(totals.off) / med(totals.auto)).toFixed(2)}× faster`,
);
console.log(
  `prune + fine-tune per step (sparse / dense): ${demo.sparsities.map((s, i) => `${s * 100}%: ${(stepMed('auto', i) / stepMed('off', i)).toFixed(2)}`).join(', ')}`,
);
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
