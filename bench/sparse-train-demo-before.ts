/**
 * The demo's iterative schedule end to end, this tree against the code as it was before sparse
 * training (the parent of the merge that brought it: masked dense fine-tuning, the older input
 * transpose), in alternating fresh processes (order swapped every round). Same options as
 * bench/sparse-train-demo.ts (those of `prunekit demo`). Prints each run's wall-clock and CPU
 * seconds (user + system of the child process), its points' accuracies, and the paired ratios.
 * With --in-process both trees' modules load into this one process (each with its own kernel
 * instance) and the runs alternate there: on a shared machine a round's two runs then sit closer
 * in time; --before may name any other checkout (e.g. the previous commit, to time one change).
 *
 *   git archive 1a92473^1 | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (cd /tmp/before && npm run build:wasm)
 *   npx tsx bench/sparse-train-demo-before.ts --before /tmp/before [--rounds 3] [--runs 5] [--in-process]
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string' },
    runs: { type: 'string' },
    child: { type: 'string' },
    'in-process': { type: 'boolean' },
  },
});
const runs = Number(flags.runs ?? 5);

interface RunResult {
  wall: number;
  cpu: number;
  denseTrain: number;
  accuracies: number[];
}

/** One demo run with the modules of the tree at `root`. */
async function demoRun(root: string): Promise<RunResult> {
  const { loadData } = await import(pathToFileURL(resolve(root, 'src/data/index.ts')).href);
  const { runSweep } = await import(pathToFileURL(resolve(root, 'src/report/sweep.ts')).href);
  const data = await loadData('mnist', { seed: 42 });
  const t0 = performance.now(),
    c0 = process.cpuUsage();
  const { report } = await runSweep({
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
    runs,
    fineTune: { lr: 0.05 },
  });
  const c = process.cpuUsage(c0);
  return {
    wall: (performance.now() - t0) / 1000,
    cpu: (c.user + c.system) / 1e6,
    denseTrain: report.dense.trainSeconds,
    accuracies: report.points.map((p: { accuracy: number }) => p.accuracy),
  };
}

if (flags.child) console.log(JSON.stringify(await demoRun(flags.child)));
else {
  if (!flags.before) throw new Error('--before DIR (a checkout of the code before sparse training) is required');
  const trees = { before: resolve(flags.before), now: resolve(fileURLToPath(new URL('..', import.meta.url))) };
  const rounds = Number(flags.rounds ?? 3);
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  const where = flags['in-process'] ? 'in one process' : 'fresh processes';
  console.log(`demo schedule, ${trees.before} vs now, ${where}; load average ${load()}`);
  const res: Record<'before' | 'now', RunResult[]> = { before: [], now: [] };
  for (let r = 0; r < rounds; r++) {
    for (const which of (r % 2 ? ['now', 'before'] : ['before', 'now']) as ('before' | 'now')[]) {
      const x = flags['in-process'] ? await demoRun(trees[which]) : freshProcess(trees[which], which);
      res[which].push(x);
      console.log(
        `round ${r + 1}, ${which}: ${x.wall.toFixed(1)} s end to end, ${x.cpu.toFixed(1)} CPU s (dense training ${x.denseTrain.toFixed(1)} s); ` +
          `accuracy ${x.accuracies.map((a) => (a * 100).toFixed(2)).join(' / ')}%`,
      );
    }
  }
  const med = (xs: number[]) => {
    const s = xs.slice().sort((a, b) => a - b),
      h = s.length >> 1;
    return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
  };
  for (const key of ['wall', 'cpu'] as const) {
    const ratios = res.before.map((b, i) => b[key] / res.now[i][key]);
    console.log(
      `${key} before / now per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}; median ${med(ratios).toFixed(2)}×, range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×`,
    );
  }
  console.log(`load average after: ${load()}`);
}

/** One demo run in a fresh process with the tree at `root`. */
function freshProcess(root: string, which: string): RunResult {
  const p = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', root, '--runs', String(runs)], {
    encoding: 'utf8',
    cwd: root,
    maxBuffer: 1 << 26,
  });
  const line = p.stdout.trim().split('\n').at(-1) ?? '';
  if (p.status !== 0 || !line.startsWith('{')) throw new Error(`the ${which} run failed (exit ${p.status}): ${p.stderr.slice(-2000)}`);
  return JSON.parse(line) as RunResult;
}
