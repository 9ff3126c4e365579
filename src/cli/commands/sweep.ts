import { mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../main.js';
import { num, numList, oneOf, parse, required, RunError, UsageError, writableFolder } from '../args.js';
import { DATA_HELP, dataFlags, headerArg, labelArg, loadSplit, parseStorage, parseValues, printJson, testDataArg, trainingFlags } from '../common.js';
import { progress } from '../progress.js';
import type { HeaderMode } from '../../data/csv.js';
import type { SweepOptions, SweepResult } from '../../report/sweep.js';
import {
  criteriaHelp,
  CRITERION_CHOICES,
  LR_SCHEDULE_CHOICES,
  PRUNING_SCHEDULE_CHOICES,
  pruningSchedulesHelp,
  SPARSE_KERNEL_CHOICES,
  sparseKernelsHelp,
} from '../choices.js';

const SCOPES = ['layer', 'global'] as const;

const usage = `usage: prunekit sweep --data SPEC --report DIR [options]

Trains once, prunes to each sparsity with each criterion × scope × schedule, compacts every pruned
model, measures accuracy, generalisation gap, bytes (and where they go, as prunekit info shows
them), latency (dense vs compact, through the runtime), time and gradient norms, and what the
smallest storage (--values kmeans:4 --index auto --entropy huffman) would weigh and cost in
accuracy; writes DIR/report.html (self-contained) and DIR/report.json.

${DATA_HELP}
  --hidden 300,100         hidden layer widths (default 300,100)
  --activation NAME        relu | tanh | logistic | identity (default relu)
  --epochs N               dense training epochs (default 20)
  --batch N --lr X --momentum X --alpha X    SGD settings (defaults 64, 0.1, 0.9, 1e-4)
  --lr-schedule NAME       dense training: ${LR_SCHEDULE_CHOICES.join(' | ')}; --nesterov
  --sparsities LIST        target sparsities (default 0.5,0.8,0.9,0.95,0.98)
  --criteria LIST          comma-separated criteria, or all (default magnitude):
${criteriaHelp(27)}
  --scope LIST             layer,global (default global)
  --schedule LIST          comma-separated pruning schedules, or all (default iterative):
${pruningSchedulesHelp(27)}
  --finetune-epochs N      per step (iterative, lottery) or in total (oneshot, gradual) (default 3)
  --finetune-lr X          fine-tuning learning rate (default: the training --lr, constant)
${sparseKernelsHelp(2, 27)}
  --rewind-epoch K         lottery: rewind to the weights after dense epoch K (default 0: w₀)
  --runs N                 timed runs per latency figure (default 30)
  --values f32|f16|kmeans:BITS  compact value encoding, as compact's --values (default f32;
                           kmeans:BITS: a 2^BITS-entry codebook, BITS 1…8, default 5)
  --index auto|u16|u32|delta:4|delta:5|delta:8   CSR column indices, as compact's (default auto)
  --entropy none|huffman   Huffman-code code and index streams, as compact's (default none)
  --format 1|2             compact file format_version, as compact's (default 1; delta:B
                           indices or huffman imply 2: bit-packed codes, relative indices)
  --report DIR             output folder (created if missing)
  --json                   print report.json to stdout too
  --jobs N                 run the grid in N worker threads after training once (default 1); the
                           points are those of --jobs 1 (latencies are measured while the
                           threads share the machine); not with --shard
  --shard i/n              run only slice i of n of the grid (1-based; e.g. one task of a cluster
                           array job); join the slices with prunekit merge DIR… --report DIR`;

export const sweepFlags = {
  ...dataFlags,
  ...trainingFlags,
  sparsities: { type: 'string' },
  criteria: { type: 'string' },
  scope: { type: 'string' },
  schedule: { type: 'string' },
  'finetune-epochs': { type: 'string' },
  runs: { type: 'string' },
  values: { type: 'string' },
  index: { type: 'string' },
  entropy: { type: 'string' },
  format: { type: 'string' },
  report: { type: 'string' },
  json: { type: 'boolean' },
  'finetune-lr': { type: 'string' },
  'lr-schedule': { type: 'string' },
  'rewind-epoch': { type: 'string' },
} as const;

/** A comma-separated subset of `choices`; `all` means every choice. */
function list<T extends string>(v: string | undefined, flag: string, choices: readonly T[], dflt: T[]): T[] {
  if (v === undefined) return dflt;
  if (v.trim() === 'all') return [...choices];
  return v.split(',').map((s) => oneOf(s.trim(), flag, choices)!);
}

/** Output folder: created if missing (its nearest existing parent must be writable); an existing file there is a usage error. */
export function reportDir(dir: string): string {
  if (dir === '') throw new UsageError('--report: expected a folder, got an empty name');
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--report: ${dir} is a file, expected a folder`);
  let parent = resolve(dir);
  while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
  writableFolder(parent, 'report');
  return dir;
}

export type SweepArgs = Omit<SweepOptions, 'data'> & {
  label?: string | number;
  header?: HeaderMode;
  testFraction?: number;
  testData?: string;
  reportDir: string;
  json: boolean;
};

export function sweepArgs(v: Record<string, string | boolean | undefined>, defaults: Partial<SweepArgs> = {}): SweepArgs {
  const s = (k: string) => v[k] as string | undefined;
  const sparsities = numList(s('sparsities'), 'sparsities', { min: 0, max: 1, maxExclusive: true }) ?? defaults.sparsities ?? [0.5, 0.8, 0.9, 0.95, 0.98];
  const a: SweepArgs = {
    dataSpec: s('data') ?? defaults.dataSpec ?? required<string>(undefined, 'data'),
    label: labelArg(s('label')),
    header: headerArg(s('header')),
    testFraction: num(s('test-fraction'), 'test-fraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    testData: testDataArg({ 'test-data': s('test-data'), 'test-fraction': s('test-fraction') }),
    hidden: numList(s('hidden'), 'hidden', { int: true, min: 1 }) ?? defaults.hidden ?? [300, 100],
    activation: oneOf(s('activation'), 'activation', ['relu', 'tanh', 'logistic', 'identity'] as const) ?? defaults.activation ?? 'relu',
    seed: num(s('seed'), 'seed', { int: true, min: 0 }) ?? defaults.seed ?? 42,
    train: {
      epochs: num(s('epochs'), 'epochs', { int: true, min: 0 }) ?? defaults.train?.epochs ?? 20,
      batchSize: num(s('batch'), 'batch', { int: true, min: 1 }) ?? defaults.train?.batchSize ?? 64,
      lr: num(s('lr'), 'lr', { min: 0, minExclusive: true }) ?? defaults.train?.lr ?? 0.1,
      momentum: num(s('momentum'), 'momentum', { min: 0, max: 1, maxExclusive: true }) ?? defaults.train?.momentum ?? 0.9,
      alpha: num(s('alpha'), 'alpha', { min: 0 }) ?? defaults.train?.alpha ?? 1e-4,
      schedule: oneOf(s('lr-schedule'), 'lr-schedule', LR_SCHEDULE_CHOICES) ?? defaults.train?.schedule ?? 'constant',
      nesterov: (v.nesterov as boolean | undefined) ?? defaults.train?.nesterov ?? false,
      ...sparseKernels(s('sparse-kernels')),
    },
    sparsities,
    criteria: list(s('criteria'), 'criteria', CRITERION_CHOICES, defaults.criteria ?? ['magnitude']),
    scopes: list(s('scope'), 'scope', SCOPES, defaults.scopes ?? ['global']),
    schedules: list(s('schedule'), 'schedule', PRUNING_SCHEDULE_CHOICES, defaults.schedules ?? ['iterative']),
    finetuneEpochs: num(s('finetune-epochs'), 'finetune-epochs', { int: true, min: 0 }) ?? defaults.finetuneEpochs ?? 3,
    rewindEpoch: num(s('rewind-epoch'), 'rewind-epoch', { int: true, min: 0 }) ?? defaults.rewindEpoch ?? 0,
    fineTune: s('finetune-lr') !== undefined ? { lr: num(s('finetune-lr'), 'finetune-lr', { min: 0, minExclusive: true }) } : defaults.fineTune,
    runs: num(s('runs'), 'runs', { int: true, min: 1 }) ?? defaults.runs ?? 30,
    ...(s('values') !== undefined ? parseValues(s('values')) : { values: defaults.values ?? 'f32', bits: defaults.bits }),
    ...parseStorage(s('index'), s('entropy'), s('format')),
    reportDir: reportDir(s('report') ?? defaults.reportDir ?? required<string>(undefined, 'report')),
    json: (v.json as boolean | undefined) ?? false,
  };
  if (a.rewindEpoch! > a.train.epochs) throw new UsageError(`--rewind-epoch ${a.rewindEpoch} is after the last training epoch (--epochs ${a.train.epochs})`);
  return a;
}

/** --sparse-kernels as a training option, absent when not given (the report and files stay as they were). */
function sparseKernels(v: string | undefined): { sparse?: (typeof SPARSE_KERNEL_CHOICES)[number] } {
  const mode = oneOf(v, 'sparse-kernels', SPARSE_KERNEL_CHOICES);
  return mode ? { sparse: mode } : {};
}

/** Loads the data, runs the sweep, writes DIR/report.json and DIR/report.html atomically. */
export async function runSweepAndWrite(a: SweepArgs, extra: Partial<SweepOptions> = {}, label = 'sweep'): Promise<SweepResult> {
  const { shareArrays } = await import('../../report/sweep-pool.js');
  // worker threads read the data in shared memory: moved there as soon as it is loaded, so the loaded copy can go
  const data = await loadSplit(a.dataSpec, { label: a.label, header: a.header, seed: a.seed, testFraction: a.testFraction, testData: a.testData }).then((d) =>
    (extra.jobs ?? 1) > 1 ? shareArrays(d) : d,
  );
  const { runSweep } = await import('../../report/sweep.js');
  // A bar on a terminal; elsewhere (CI logs, pipes) a line per epoch and per point; nothing with --json.
  const bar = !a.json && process.stderr.isTTY ? progress(label, 0) : null;
  const log = a.json || bar ? undefined : (m: string) => process.stderr.write(m + '\n');
  let last = 0;
  const result = await runSweep({
    ...a,
    data,
    command: `prunekit ${process.argv.slice(2).join(' ')}`,
    log,
    progress: bar
      ? (done, total, note) => {
          last = done;
          bar.update(done, note, total);
        }
      : undefined,
    ...extra,
  });
  bar?.done('', last);
  await writeSweepReport(result.report, a.reportDir);
  return result;
}

export function printSummary(r: SweepResult['report'], dir: string): void {
  const rows = r.points.map((p) => [
    `${p.criterion}/${p.scope}/${p.schedule}`,
    `${(p.sparsity * 100).toFixed(1)}%`,
    `${(p.accuracy * 100).toFixed(2)}%`,
    `${(p.gap * 100).toFixed(2)}`,
    `${(p.bytes / 1024).toFixed(1)} KB`,
    `${(r.dense.bytes / p.bytes).toFixed(1)}×`,
    ...Object.entries(p.latency).map(([, l]) => `${(l.dense_us / l.sparse_us).toFixed(1)}×`),
  ]);
  const batches = Object.keys(r.points[0]?.latency ?? {});
  const head = ['pruning', 'sparsity', 'test acc', 'gap', 'file', 'smaller', ...batches.map((b) => `faster@${b}`)];
  const all = [
    head,
    [
      'dense',
      '0.0%',
      `${(r.dense.accuracy * 100).toFixed(2)}%`,
      `${((r.dense.trainAccuracy - r.dense.accuracy) * 100).toFixed(2)}`,
      `${(r.dense.bytes / 1024).toFixed(1)} KB`,
      '1.0×',
      ...batches.map(() => '1.0×'),
    ],
    ...rows,
  ];
  const w = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  const out = all.map((row) => row.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ')).join('\n');
  process.stdout.write(`\n${r.summary.join('\n')}\n\n${out}\n\nreport: ${join(dir, 'report.html')} (and report.json)\n`);
}

/** Writes a finished report as DIR/report.json and DIR/report.html, atomically. */
export async function writeSweepReport(report: SweepResult['report'], dir: string): Promise<void> {
  const { renderReport } = await import('../../report/html.js');
  const { writeFileAtomic } = await import('../../util/fs.js');
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(dir, 'report.html'), renderReport(report));
}

/** `--shard i/n` (1-based): which slice of the grid this process runs. */
export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN,
    count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n (e.g. 1/4), got '${value}'`);
  return { index, count };
}

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, { ...sweepFlags, jobs: { type: 'string' }, shard: { type: 'string' } });
    const a = sweepArgs(v);
    const jobs = num(v.jobs, 'jobs', { int: true, min: 1 }) ?? 1;
    const shard = parseShard(v.shard);
    if (jobs > 1 && shard) throw new UsageError('--jobs and --shard: choose one (--jobs N runs the whole grid in N threads)');
    const { SweepWorkerError } = await import('../../report/sweep-pool.js');
    let report: SweepResult['report'];
    try {
      report = (await runSweepAndWrite(a, shard ? { shard } : { jobs })).report;
    } catch (e) {
      // "prunekit sweep: " is said already; a target that would collapse a layer names the way out as
      // "the target or minDensity" (prune's --min-density), which sweep leaves at its default
      const said = (m: string) => m.replace(/^sweep: /, '').replace(/ or minDensity\b/, ' sparsity');
      if (e instanceof SweepWorkerError) throw new RunError(said(e.message), { cause: e.cause });
      if (e instanceof RangeError) throw new RunError(said(e.message), { cause: e });
      throw e;
    }
    if (a.json) printJson(report);
    else printSummary(report, a.reportDir);
    return 0;
  },
};
export default command;
