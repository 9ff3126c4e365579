/** `prunekit bench`: parse the flags, run the kernel benchmark (src/report/bench.ts), print it. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatBenchReport, runBench, type BenchOptions } from '../../report/bench.js';
import { BENCH_WASM_AVAILABLE, benchWasmBytes, probeBytes, type BenchFootprint } from '../../report/bench-budget.js';
import { formatBytes } from '../../nn/budget.js';
import { DRAM_PROBE_BYTES } from '../../report/machine.js';
import { splitRuns } from '../../kernels/checked.js';
import { formatTrainBench, runTrainBench } from '../../report/bench-train.js';
import { loadSplit } from '../common.js';
import { KERNEL_CHOICES, WASM_KERNEL_CHOICES } from '../choices.js';
import { inputFile, num, numList, oneOf, parse, required, RunError, UsageError, type NumOptions } from '../args.js';
import { progress } from '../progress.js';
import { printJson } from '../json.js';
import type { Command } from '../main.js';
import type { Dataset } from '../../data/types.js';
import { Rng } from '../../util/rng.js';

const usage = `usage: prunekit bench [--layers 784,300,100,10] [--sparsity 0,0.5,0.8,0.9,0.95,0.98] [--batch 1,64]
                     [--runs 30] [--min-run-ms 1] [--seed 1] [--kernels ${WASM_KERNEL_CHOICES.join('|')}]
                     [--dram-probe-mib 256] [--json]
       prunekit bench --train [--data mnist] [--layers 784,300,100,10] [--sparsity 0.5,0.9,0.98] [--batch 64]
                     [--runs 5] [--seed 1] [--kernels ${WASM_KERNEL_CHOICES.join('|')}] [--json]
       prunekit bench --peers [--layers 784,300,100,10] [--sparsity …] [--batch 1,64] [--runs 30] [--seed 1] [--json]
       prunekit bench --model FILE [--batch 1,64] [--runs 30] [--min-run-ms 1] [--kernels NAME] [--json]
       prunekit bench --train --threads 1,2 [--layers 1024,4096,1024] [--samples 1024 | --data SPEC] [--sparsity 0]
                     [--batch 64] [--runs 5] [--seed 1] [--kernels NAME] [--json]
       prunekit bench --threads 1,2 [--layers 1024,4096,1024] [--sparsity 0,0.9] [--batch 64] [--runs 20]
                     [--min-run-ms 1] [--seed 1] [--kernels NAME] [--json]

Builds random weights (He init, seeded), prunes every layer by magnitude to each sparsity, and times
a full forward pass (ReLU hidden, identity output; activations feature-major) with the dense and the
CSR kernels on the same weights (u16 indices when a layer has ≤ 65,536 inputs). Warm-up first, then
--runs interleaved rounds; each run loops the forward for ≥ --min-run-ms and divides. The machine's
read bandwidth (over 4 MiB, and over --dram-probe-mib MiB, far past the caches; 0 skips that probe,
and weights past 4 MiB are then shown against the 4 MiB probe) and multiply-add peak are measured
in the same rounds; each variant's GB/s is shown against the read bandwidth that applies to its
working set. Human table on stdout, or JSON with --json; progress on stderr.
Before any work, what the bench will hold in WebAssembly memory (each sparsity's dense and CSR
uploads, each batch's activations, the probes' buffers) is checked against wasm32's 4 GiB.

--train times one training epoch (masked SGD over the training split of --data, Nesterov momentum,
L2) with every layer dense and with the pruned layers on the sparse kernels, on the same weights
pruned by magnitude to each sparsity, in --runs interleaved rounds; --json gives
{"train": [{"sparsity", "epoch_s", "dense_epoch_s", "speedup"}], ...}.

--peers runs the same weights (LeNet-300-100, or any shape with --layers) through onnxruntime-web,
onnxruntime-node and tfjs-backend-wasm beside prunekit (bench/peers/run.ts; needs a source checkout
with its dev dependencies) and prints every ratio; results go to bench/results/. It sets its own
kernels, run length and DRAM probe: --kernels, --min-run-ms and --dram-probe-mib are refused.

--model times a compact model file (from \`prunekit compact\`) through the runtime, as an application
calls it (\`model.predictLogits(x, batch)\` on seeded random inputs), at each --batch; --json prints
{"model", "kernels", "runs", "results": [{"batch", "median_us", "min_us"}]}.

--threads times the same dense and CSR forward passes on one thread and split over each listed
number of threads (worker threads sharing one wasm memory, as \`loadModel(bytes, { threads })\`
runs a model), interleaved in the same rounds; the load average before and after is printed (other
processes take cores from the threads). --json gives {"layers", "loadavgBefore", "loadavgAfter",
"results": [{"sparsity", "batch", "format", "threads", "medianUs", "minUs", "speedupVsOneThread",
"speedupVsOneThreadMin", "cpuUs", "cpuVsOneThread"}], ...}; cpuUs is the process's CPU
time per forward pass over all its threads, so cpuVsOneThread shows the work the split adds.
--train --threads times one training epoch (as --train; dense, or at each --sparsity > 0 the pruned
layers on the sparse kernels) on one thread and with each batch's products split over N (as
\`train --threads N\`), in --runs interleaved rounds, on --samples random samples shaped for --layers
(default 1024) or on --data. --json gives {"trainThreads": [{"sparsity", "threads", "epoch_s",
"epoch_s_min", "speedupVsOneThread", "speedupVsOneThreadMin", "cpu_s", "cpuVsOneThread"}], "loadavg", ...}.`;

/** Every mode's --sparsity check: a share of weights pruned, below 1 (at 1 no weight is left to time). */
const SPARSITY: NumOptions = { min: 0, max: 1, maxExclusive: true };
/** Bounds on the timing flags, so that a typo cannot keep a bench running for days. */
const RUNS: NumOptions = { int: true, min: 1, max: 10000 };
const MIN_RUN_MS_MAX = 600000; // ten minutes per run
const DEFAULT_SPARSITIES = [0, 0.5, 0.8, 0.9, 0.95, 0.98];
const DEFAULT_DRAM_PROBE_MIB = DRAM_PROBE_BYTES / 2 ** 20;

/** --dram-probe-mib: 0 (skip the probe) or a buffer larger than the 4 MiB cache probe's, up to 2047. */
function dramProbeMib(value: string | undefined): number {
  const mib = num(value, 'dram-probe-mib', { int: true, min: 0, max: 2047 }) ?? DEFAULT_DRAM_PROBE_MIB;
  if (mib !== 0 && mib <= 4) throw new UsageError(`--dram-probe-mib: must be 0 (no DRAM probe) or more than the 4 MiB cache probe, got ${value}`);
  return mib;
}

/** --min-run-ms: ≥ 0, and at most ten minutes per run, so that a typo cannot keep a bench running for days. */
function minRunMsFlag(value: string | undefined): number | undefined {
  const ms = num(value, 'min-run-ms', { min: 0 });
  if (ms !== undefined && ms > MIN_RUN_MS_MAX) throw new UsageError(`--min-run-ms: must be ≤ ${MIN_RUN_MS_MAX} (ten minutes per run), got ${value}`);
  return ms;
}

/**
 * Refuses, before any work, a kernel bench whose buffers cannot fit in wasm memory (what it
 * allocates there: report/bench-budget.ts), naming the flags that size them and the figure.
 */
function assertBenchFits(o: BenchFootprint, dramProbeGiven = false): void {
  const need = benchWasmBytes(o);
  if (need <= BENCH_WASM_AVAILABLE) return;
  const n = o.sparsities.length,
    threads = o.threads ?? 1;
  // only the changes that would bring it within the limit on their own, or help (the layers always can)
  const fits = (change: Partial<BenchFootprint>) => benchWasmBytes({ ...o, ...change }) <= BENCH_WASM_AVAILABLE;
  const fixes = [
    ...(n > 1 ? ['fewer --sparsity values'] : []),
    ...(Math.max(...o.batches) > 1 ? ['a smaller --batch'] : []),
    ...(threads > 1 && fits({ threads: 1, runs: 1 }) ? ['fewer --threads'] : []),
    ...(dramProbeGiven ? ['a smaller --dram-probe-mib'] : []),
    'smaller --layers',
  ];
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`; // GB figures this close print the same
  const [needText, limitText] =
    formatBytes(need) === formatBytes(BENCH_WASM_AVAILABLE) ? [mib(need), mib(BENCH_WASM_AVAILABLE)] : [formatBytes(need), formatBytes(BENCH_WASM_AVAILABLE)];
  throw new UsageError(
    `--layers ${o.layers.join(',')} with ${n} ${n === 1 ? 'sparsity' : 'sparsities'}, --batch ${o.batches.join(',')}${threads > 1 ? ` and ${threads} threads` : ''} ` +
      `needs ${needText} of WebAssembly memory, more than the ${limitText} it can hold (4 GiB): ${fixes.slice(0, -1).join(', ')}${fixes.length > 1 ? ' or ' : ''}${fixes.at(-1)}`,
  );
}

/** --layers: at least two whole sizes (input and output), or `fallback`. */
function layersFlag(value: string | undefined, fallback: number[]): number[] {
  const layers = numList(value, 'layers', { int: true, min: 1 }) ?? fallback;
  if (layers.length < 2) throw new UsageError('--layers: need at least two sizes (input and output)');
  return layers;
}

/** A list flag with repeats dropped, first-seen order kept: `--batch 1,1` times batch 1 once (as --threads always did). */
function distinctList(value: string | undefined, flag: string, opts: NumOptions): number[] | undefined {
  const xs = numList(value, flag, opts);
  return xs && [...new Set(xs)];
}

/** Refuses the flags among `flags` that were given, naming only those: "<why>: drop --a, --b and --c<note>". */
function refuseGiven(values: Record<string, unknown>, flags: readonly string[], why: string, note = ''): void {
  const given = flags.filter((f) => values[f] !== undefined && values[f] !== false).map((f) => `--${f}`);
  if (given.length === 0) return;
  throw new UsageError(`${why}: drop ${given.length > 1 ? `${given.slice(0, -1).join(', ')} and ${given.at(-1)}` : given[0]}${note}`);
}

const command: Command = {
  usage,
  async run(argv) {
    const { values } = parse(argv, {
      layers: { type: 'string' },
      sparsity: { type: 'string' },
      batch: { type: 'string' },
      runs: { type: 'string' },
      'min-run-ms': { type: 'string' },
      seed: { type: 'string' },
      kernels: { type: 'string' },
      json: { type: 'boolean' },
      peers: { type: 'boolean' },
      'dram-probe-mib': { type: 'string' },
      train: { type: 'boolean' },
      data: { type: 'string' },
      model: { type: 'string' },
      threads: { type: 'string' },
      samples: { type: 'string' },
    });
    if (values.threads !== undefined && values.train) return trainThreadBench(values);
    if (values.samples !== undefined) throw new UsageError('--samples goes with --train --threads');
    if (values.threads !== undefined) return threadBench(values);
    if (values.model !== undefined) {
      refuseGiven(values, ['train', 'data', 'dram-probe-mib', 'layers', 'sparsity', 'peers'], '--model times the given file');
      return benchModelFile(values);
    }
    if (values.train) {
      refuseGiven(values, ['peers', 'dram-probe-mib', 'min-run-ms'], '--train times whole epochs');
      return trainBench(values);
    }
    if (values.data !== undefined) throw new UsageError('--data goes with --train');
    if (values.peers) {
      // the peers are dev dependencies of a source checkout; the library never imports them
      const script = fileURLToPath(new URL('../../../bench/peers/run.ts', import.meta.url));
      // the peer script sets these itself (its kernels, 2 ms runs, a 256 MiB DRAM probe): refuse rather than ignore them
      refuseGiven(values, ['kernels', 'min-run-ms', 'dram-probe-mib'], '--peers times every engine with its own kernels and run length');
      // the same checks as the kernel bench, so a bad list is a usage error here, not the script's
      const layers = layersFlag(values.layers, [784, 300, 100, 10]);
      const sparsities = distinctList(values.sparsity, 'sparsity', SPARSITY) ?? DEFAULT_SPARSITIES;
      const batches = distinctList(values.batch, 'batch', { int: true, min: 1 }) ?? [1, 64];
      num(values.runs, 'runs', RUNS);
      num(values.seed, 'seed', { int: true });
      assertBenchFits({ layers, sparsities, batches, probes: probeBytes(DRAM_PROBE_BYTES) }); // as the peer script checks it
      if (!existsSync(script)) throw new RunError('bench --peers needs a source checkout with its dev dependencies (npm ci): bench/peers/run.ts not found');
      const lists = { sparsity: sparsities.join(','), batch: batches.join(',') } as Record<string, string>; // repeats dropped
      const pass = (['layers', 'sparsity', 'batch', 'runs', 'seed'] as const).flatMap((f) =>
        values[f] === undefined ? [] : [`--${f}`, lists[f] ?? values[f]!],
      );
      const r = spawnSync(process.execPath, ['--import', 'tsx', script, ...pass, ...(values.json ? ['--json'] : [])], { stdio: 'inherit' });
      return r.status ?? 1;
    }
    const layers = layersFlag(values.layers, [784, 300, 100, 10]);
    const opts: BenchOptions = {
      layers,
      sparsities: distinctList(values.sparsity, 'sparsity', SPARSITY) ?? DEFAULT_SPARSITIES,
      batches: distinctList(values.batch, 'batch', { int: true, min: 1 }) ?? [1, 64],
      runs: num(values.runs, 'runs', RUNS) ?? 30,
      minRunMs: minRunMsFlag(values['min-run-ms']) ?? 1,
      seed: num(values.seed, 'seed', { int: true }) ?? 1,
      kernels: oneOf(values.kernels, 'kernels', WASM_KERNEL_CHOICES),
      dramProbeBytes: dramProbeMib(values['dram-probe-mib']) * 2 ** 20,
    };
    assertBenchFits({ ...opts, probes: probeBytes(opts.dramProbeBytes!) }, values['dram-probe-mib'] !== undefined);
    const bar = progress('bench rounds', opts.runs);
    opts.onRound = (done) => bar.update(done);
    const report = await runBench(opts);
    bar.done();
    if (values.json) printJson(report);
    else process.stdout.write(formatBenchReport(report));
    return 0;
  },
};
async function trainBench(values: {
  layers?: string;
  sparsity?: string;
  batch?: string;
  runs?: string;
  seed?: string;
  kernels?: string;
  data?: string;
  json?: boolean;
}): Promise<number> {
  const layers = layersFlag(values.layers, [784, 300, 100, 10]);
  const batches = distinctList(values.batch, 'batch', { int: true, min: 1 }) ?? [64];
  if (batches.length !== 1) throw new UsageError('--batch: bench --train takes one batch size');
  // every flag is checked before the data loads
  const rounds = num(values.runs, 'runs', RUNS) ?? 5;
  const sparsities = distinctList(values.sparsity, 'sparsity', SPARSITY) ?? [0.5, 0.9, 0.98];
  const seed = num(values.seed, 'seed', { int: true }) ?? 1;
  const kernels = oneOf(values.kernels, 'kernels', WASM_KERNEL_CHOICES);
  const spec = values.data ?? 'mnist';
  const data = (await loadSplit(spec, {})).train;
  if (data.nFeatures !== layers[0] || data.labelNames.length !== layers.at(-1)) {
    throw new UsageError(
      `--layers ${layers.join(',')}: the data ${spec} has ${data.nFeatures} features and ${data.labelNames.length} classes (first and last size)`,
    );
  }
  const bar = progress('bench --train rounds', rounds);
  const report = await runTrainBench({ data, layers, batch: batches[0], rounds, sparsities, seed, kernels, onRound: (done) => bar.update(done) });
  bar.done();
  if (values.json) printJson(report);
  else process.stdout.write(formatTrainBench(report));
  return 0;
}

/**
 * `--train --threads 1,2`: one training epoch on one thread against N. On --data, or (default) on
 * --samples random samples shaped for --layers: random features, one class per sample, seeded.
 */
async function trainThreadBench(values: Record<string, string | boolean | undefined>): Promise<number> {
  const str = (name: string) => values[name] as string | undefined;
  refuseGiven(values, ['model', 'peers'], '--train --threads times training');
  refuseGiven(values, ['dram-probe-mib', 'min-run-ms'], '--train --threads times whole epochs');
  const layers = layersFlag(str('layers'), [1024, 4096, 1024]);
  const batches = distinctList(str('batch'), 'batch', { int: true, min: 1 }) ?? [64];
  if (batches.length !== 1) throw new UsageError('--batch: bench --train takes one batch size');
  const seed = num(str('seed'), 'seed', { int: true, min: 0 }) ?? 1;
  const samples = num(str('samples'), 'samples', { int: true, min: 1, max: 1 << 20 });
  const spec = str('data');
  if (spec !== undefined && samples !== undefined) throw new UsageError('--samples sizes the random data: drop it with --data');
  if ((samples ?? 0) * layers[0] > 2 ** 28) throw new UsageError(`--samples ${samples} × ${layers[0]} features is over 1 GiB of random data: use fewer`);
  const rounds = num(str('runs'), 'runs', RUNS) ?? 5;
  const threads = required(distinctList(str('threads'), 'threads', { int: true, min: 1, max: 64 }), 'threads');
  const sparsities = distinctList(str('sparsity'), 'sparsity', SPARSITY) ?? [0];
  const kernels = oneOf(str('kernels'), 'kernels', WASM_KERNEL_CHOICES);
  const data = spec === undefined ? randomData(layers[0], layers.at(-1)!, samples ?? 1024, seed) : (await loadSplit(spec, {})).train;
  if (data.nFeatures !== layers[0] || data.labelNames.length !== layers.at(-1))
    throw new UsageError(
      `--layers ${layers.join(',')}: the data ${spec} has ${data.nFeatures} features and ${data.labelNames.length} classes (first and last size)`,
    );
  const { runTrainThreadBench, formatTrainThreadBench } = await import('../../report/bench-train.js');
  const bar = progress('bench --train --threads rounds', rounds);
  const report = await runTrainThreadBench({
    data,
    layers,
    batch: batches[0],
    threads,
    sparsities,
    rounds,
    seed,
    kernels,
    onRound: (done) => bar.update(done),
  });
  bar.done();
  if (values.json) printJson({ ...report, data: spec ?? `random ${data.nSamples}×${data.nFeatures}` });
  else process.stdout.write(formatTrainThreadBench(report));
  return 0;
}

/** `n` samples of `features` uniform values in [−1, 1) and a uniform class each, from `seed`: shapes for a timing, nothing to learn. */
function randomData(features: number, classes: number, n: number, seed: number): Dataset {
  const r = new Rng(seed);
  return {
    features: Float32Array.from({ length: n * features }, () => r.uniform(-1, 1)),
    labels: Int32Array.from({ length: n }, () => r.int(classes)),
    nSamples: n,
    nFeatures: features,
    featureNames: Array.from({ length: features }, (_, i) => `x${i}`),
    labelNames: Array.from({ length: classes }, (_, i) => `c${i}`),
    source: 'random',
  };
}

/** `--threads 1,2`: one thread against N, same weights, same rounds. */
async function threadBench(values: Record<string, string | boolean | undefined>): Promise<number> {
  const str = (name: string) => values[name] as string | undefined;
  refuseGiven(values, ['model', 'peers', 'data'], '--threads times forward passes on random pruned weights', ' (--train --threads times training)');
  refuseGiven(values, ['dram-probe-mib'], '--threads measures no bandwidth');
  const layers = layersFlag(str('layers'), [1024, 4096, 1024]);
  const runs = num(str('runs'), 'runs', RUNS) ?? 20;
  const threads = required(distinctList(str('threads'), 'threads', { int: true, min: 1, max: 64 }), 'threads');
  const sparsities = distinctList(str('sparsity'), 'sparsity', SPARSITY) ?? [0, 0.9];
  const batches = distinctList(str('batch'), 'batch', { int: true, min: 1 }) ?? [64];
  // GEMM scratch for every run of the split, a panel for every thread
  assertBenchFits({ layers, sparsities, batches, runs: splitRuns(Math.max(...threads)), threads: Math.max(...threads) });
  const { runThreadBench, formatThreadBench } = await import('../../report/bench-threads.js');
  const bar = progress('bench --threads rounds', runs);
  const report = await runThreadBench({
    layers,
    threads,
    sparsities,
    batches,
    runs,
    minRunMs: minRunMsFlag(str('min-run-ms')) ?? 1,
    seed: num(str('seed'), 'seed', { int: true }) ?? 1,
    kernels: oneOf(str('kernels'), 'kernels', WASM_KERNEL_CHOICES),
    onRound: (done) => bar.update(done),
  });
  bar.done();
  if (values.json) printJson(report);
  else process.stdout.write(formatThreadBench(report));
  return 0;
}

/** `--model FILE`: the runtime's forward pass over the file at each batch size. */
async function benchModelFile(values: {
  model?: string;
  batch?: string;
  runs?: string;
  'min-run-ms'?: string;
  seed?: string;
  kernels?: string;
  json?: boolean;
}): Promise<number> {
  const path = required(inputFile(values.model, 'model'), 'model');
  const batches = distinctList(values.batch, 'batch', { int: true, min: 1 }) ?? [1, 64];
  const runs = num(values.runs, 'runs', RUNS) ?? 30;
  const minRunMs = minRunMsFlag(values['min-run-ms']) ?? 1;
  const seed = num(values.seed, 'seed', { int: true }) ?? 1;
  const flavor = oneOf(values.kernels, 'kernels', KERNEL_CHOICES);
  const { loadModelSync } = await import('../../runtime/index.js');
  const { readModelFile } = await import('../../sparse/node.js');
  const { benchModel, formatModelBench } = await import('../../report/model-bench.js');
  let model;
  try {
    model = loadModelSync(readModelFile(path), flavor ? { flavor } : {});
  } catch (e) {
    throw new RunError(`${path}: ${(e as Error).message}`, { cause: e });
  }
  // the runtime streams a batch through its layers in chunks; what grows with --batch is each batch's inputs and logits
  const need = batches.reduce((a, b) => a + 4 * b * (model.inFeatures + model.outFeatures), 0);
  if (need > BENCH_WASM_AVAILABLE)
    throw new UsageError(
      `--batch ${batches.join(',')} needs ${formatBytes(need)} of inputs and logits for ${path} (${model.inFeatures} inputs, ${model.outFeatures} outputs), ` +
        'more than the 4 GiB a bench may hold: a smaller --batch',
    );
  const bar = progress('bench rounds', runs);
  const report = await benchModel(model, { batches, runs, minRunMs, seed, onRound: (done) => bar.update(done) });
  bar.done();
  const { flavor: kernels, results } = report;
  if (values.json) printJson({ model: path, kernels, runs, results });
  else process.stdout.write(formatModelBench(path, report));
  return 0;
}

export default command;
