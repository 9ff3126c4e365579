/**
 * Peer benchmark: the same weights — LeNet-300-100 by default, any shape with --layers — through
 * prunekit (dense and CSR) and the engines users would otherwise deploy — onnxruntime-web (wasm,
 * 1 thread), onnxruntime-node (native CPU, 1 thread) and tfjs-backend-wasm — at several
 * sparsities and batch sizes. Every engine's output is checked against a plain-TS f64 forward
 * before it is timed; timing is interleaved in rounds after warm-up; ratios are paired per round
 * (src/report/latency.ts).
 *
 *   npx tsx bench/peers/run.ts [--json] [--quick] [--runs N] [--seed N] [--no-memory] [--out DIR]
 *                              [--layers 784,300,100,10] [--sparsity 0,0.5,…] [--batch 1,64]
 *
 * Writes bench/results/peers-<date>.json (peers-<shape>-<date>.json for another shape) and
 * bench/results/peers.html (peers-<shape>.html); prints tables and ratios.
 */
import { loadavg, cpus, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { loadKernelsSync, type Kernels } from '../../src/kernels/index.js';
import { pairedRatio, spread, timeInterleaved, type Timing } from '../../src/report/latency.js';
import { DRAM_PROBE_BYTES, machineLimits, machineProbes, type MachineLimits } from '../../src/report/machine.js';
import { BENCH_WASM_AVAILABLE, benchWasmBytes, probeBytes } from '../../src/report/bench-budget.js';
import { formatBytes } from '../../src/nn/budget.js';
import { Rng } from '../../src/util/rng.js';
import { writeFileAtomic } from '../../src/util/fs.js';
import { printJson } from '../../src/cli/json.js';
import { benchModels, LENET, nonzeros, referenceForward, weightCount, SPARSITIES, type BenchModel } from './models.js';
import { loadTfWasm, ortNodeEngine, ortWebEngine, prunekitEngine, prunekitRuntimeEngine, tfjsWasmEngine, type Engine } from './engines.js';
import { measureMemory, type MemoryRow } from './memory.js';
import { renderPeersHtml } from './html.js';
import { evaluateTargets, type Target } from './targets.js';

/** Largest accepted |output − reference|, relative to max(1, max |reference|) (f32 sums over long rows drift with K). */
export const TOLERANCE = 1e-3;
const TRANSPOSE = 'input-transpose-js';

export interface EngineResult {
  engine: string;
  median_us: number;
  min_us: number;
  /** (p90 − p10) / median over the rounds. */
  spread: number;
  runs: number;
  reps: number;
  /** Useful flops per forward / median time: 2·nonzeros·batch for CSR, 2·weights·batch for dense engines. */
  gflops: number;
  /** Weight bytes read per forward / median time (10⁹ B/s). */
  gbs: number;
  weight_bytes: number;
  max_abs_diff: number;
  /** Paired ratios: peer time / prunekit time (> 1: prunekit faster). */
  prunekit_dense_speedup: number;
  prunekit_csr_speedup: number;
  /** prunekit-runtime: the per-layer formats its compact file chose. */
  formats?: string[];
}

export interface GroupResult {
  source: string;
  sparsity: number;
  batch: number;
  weights: number;
  nonzeros: number;
  engines: EngineResult[];
  /**
   * Median time to transpose the row-major input [batch][in] to prunekit's feature-major layout in
   * plain JS, timed in the same rounds (batch > 1 only): what a caller holding row-major samples adds.
   */
  input_transpose_us: number | null;
}

export interface PeersReport {
  date: string;
  command: string;
  node: string;
  cpu: string;
  cpus: number;
  kernels: string;
  /** The random models' layer sizes. */
  layers: number[];
  engines: { name: string; describe: string }[];
  ort_web_default_threads: number | undefined;
  machine: MachineLimits | null;
  loadavg_start: number[];
  loadavg_end: number[];
  groups: GroupResult[];
  targets: Target[];
  memory: MemoryRow[];
  notes: string[];
}

/** Row-wise softmax of [batch][classes] logits. */
function softmaxRows(z: Float64Array, classes: number): Float64Array {
  const p = new Float64Array(z.length);
  for (let o = 0; o < z.length; o += classes) {
    let mx = -Infinity,
      sum = 0;
    for (let c = 0; c < classes; c++) mx = Math.max(mx, z[o + c]);
    for (let c = 0; c < classes; c++) sum += p[o + c] = Math.exp(z[o + c] - mx);
    for (let c = 0; c < classes; c++) p[o + c] /= sum;
  }
  return p;
}

function weightBytesRead(engine: string, m: BenchModel['model'], nnz: number, fileBytes: number): number {
  if (engine === 'prunekit-runtime') return fileBytes; // its compact file: weights, indices, biases
  const rows = m.layers.reduce((s, L) => s + L.outFeatures, 0);
  if (engine === 'prunekit-csr') return nnz * (4 + 2) + (rows + m.layers.length) * 4 + rows * 4; // data + u16 indices + indptr + bias
  return 4 * (weightCount(m) + rows);
}

interface RunOptions {
  json: boolean;
  quick: boolean;
  runs: number;
  seed: number;
  memory: boolean;
  out: string;
  layers: number[];
  sparsities: number[];
  batches: number[];
}

/** A comma-separated list of numbers, each checked by `ok` (`what` names the expectation in the error). */
function numbers(flag: string, value: string, ok: (n: number) => boolean, what: string): number[] {
  const xs = value.split(',').map((v) => Number(v.trim()));
  if (!xs.length || xs.some((n, i) => value.split(',')[i].trim() === '' || !ok(n)))
    throw new Error(`--${flag}: expected ${what}, comma-separated, got '${value}'`);
  return xs;
}

function parseOptions(): RunOptions {
  const { values: a } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      seed: { type: 'string', default: '1' },
      'no-memory': { type: 'boolean', default: false },
      out: { type: 'string', default: fileURLToPath(new URL('../results', import.meta.url)) },
      layers: { type: 'string' },
      sparsity: { type: 'string' },
      batch: { type: 'string' },
    },
  });
  const runs = a.runs ? Number(a.runs) : a.quick ? 10 : 30;
  const seed = Number(a.seed);
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed)) throw new Error('--runs and --seed must be integers (runs ≥ 1)');
  const layers = a.layers ? numbers('layers', a.layers, (n) => Number.isInteger(n) && n >= 1, 'whole numbers ≥ 1') : LENET;
  if (layers.length < 2) throw new Error('--layers: need at least two sizes (input and output)');
  const sparsities = a.sparsity ? numbers('sparsity', a.sparsity, (n) => n >= 0 && n < 1, 'numbers in [0, 1)') : a.quick ? [0, 0.9, 0.98] : SPARSITIES;
  const batches = a.batch ? numbers('batch', a.batch, (n) => Number.isInteger(n) && n >= 1, 'whole numbers ≥ 1') : [1, 64];
  const need = benchWasmBytes({ layers, sparsities, batches, probes: probeBytes(DRAM_PROBE_BYTES) });
  if (need > BENCH_WASM_AVAILABLE)
    throw new Error(
      `--layers ${layers.join(',')}: the bench needs ${formatBytes(need)} of WebAssembly memory, more than the ${formatBytes(BENCH_WASM_AVAILABLE)} it can hold (4 GiB)`,
    );
  return { json: a.json!, quick: a.quick!, runs, seed, memory: !a['no-memory'], out: a.out!, layers, sparsities, batches };
}

/** prunekit's engines, and each peer that loads (a peer that does not is noted and skipped). */
async function loadEngines(k: Kernels, note: (s: string) => void): Promise<Engine[]> {
  const engines: Engine[] = [prunekitEngine(k, 'dense'), prunekitEngine(k, 'csr'), prunekitRuntimeEngine()];
  try {
    engines.push(ortWebEngine(1).engine);
  } catch (e) {
    note(`peers: onnxruntime-web skipped: ${(e as Error).message.split('\n')[0]}`);
  }
  const ortNode = ortNodeEngine(note);
  if (ortNode) engines.push(ortNode);
  try {
    engines.push(tfjsWasmEngine(await loadTfWasm()));
  } catch (e) {
    note(`peers: tfjs-backend-wasm skipped: ${(e as Error).message}`);
  }
  return engines;
}

/** Machine limits measured in this run (read bandwidth, f32x4 multiply-add peak), or null if unavailable. */
async function measureMachine(k: Kernels, runs: number, log: (s: string) => void, note: (s: string) => void): Promise<MachineLimits | null> {
  try {
    const mark = k.heapTop();
    const probes = machineProbes(k);
    const machine = machineLimits(probes, await timeInterleaved(probes.variants, { runs: Math.min(runs, 15), minRunMs: 2 }));
    k.reset(mark);
    const dram =
      machine.dram_read_gbs === undefined ? '' : `, DRAM read ${machine.dram_read_gbs.toFixed(1)} GB/s (best ${machine.dram_read_gbs_best!.toFixed(1)})`;
    log(
      `machine: read ${machine.read_gbs.toFixed(1)} GB/s (best ${machine.read_gbs_best.toFixed(1)})${dram}, f32 mul-add peak ${machine.madd_gflops.toFixed(1)} GFLOP/s (best ${machine.madd_gflops_best.toFixed(1)})`,
    );
    return machine;
  } catch (e) {
    note(`peers: machine probes unavailable: ${(e as Error).message}`);
    return null;
  }
}

type Prepared = { e: Engine; p: Awaited<ReturnType<Engine['prepare']>>; diff: number };

/** Prepares every engine on one model and batch, refusing (throwing) if its output is not the reference's. */
async function prepareChecked(engines: Engine[], bm: BenchModel, batch: number, x: Float32Array): Promise<Prepared[]> {
  const ref = referenceForward(bm.model, x, batch);
  const refProba = softmaxRows(ref, bm.model.layers.at(-1)!.outFeatures);
  const prepared: Prepared[] = [];
  for (const e of engines) {
    const p = await e.prepare(bm.model, batch, x);
    const y = await p.output();
    const want = p.outputKind === 'proba' ? refProba : ref;
    let diff = 0,
      scale = 1;
    for (let i = 0; i < want.length; i++) {
      diff = Math.max(diff, Math.abs(y[i] - want[i]));
      scale = Math.max(scale, Math.abs(want[i]));
    }
    if (y.length !== ref.length || !(diff <= TOLERANCE * scale)) {
      throw new Error(
        `${e.name} on ${bm.source} at ${(bm.sparsity * 100).toFixed(0)}% sparsity, batch ${batch}: ` +
          `output differs from the reference forward by ${diff} (> ${TOLERANCE} × ${scale}; ${y.length} vs ${ref.length} values): not timed`,
      );
    }
    prepared.push({ e, p, diff });
  }
  return prepared;
}

/** One model at one batch size: every engine checked, then timed in the same interleaved rounds. */
async function runGroup(engines: Engine[], bm: BenchModel, batch: number, x: Float32Array, o: { runs: number; first: boolean }): Promise<GroupResult> {
  const inn = bm.model.layers[0].inFeatures;
  const nnz = nonzeros(bm.model),
    weights = weightCount(bm.model);
  const prepared = await prepareChecked(engines, bm, batch, x);
  const xt = new Float32Array(x.length);
  const transposeIn = {
    name: TRANSPOSE,
    fn: () => {
      for (let s = 0; s < batch; s++) for (let f = 0; f < inn; f++) xt[f * batch + s] = x[s * inn + f];
    },
  };
  const variants = prepared.map(({ e, p }) => ({ name: e.name, fn: p.fn }));
  if (o.first) {
    // a discarded pass first: the first session of some engines stays on slow paths for a while
    // (onnxruntime-web measured 2–10× slower in the first group without it)
    await timeInterleaved(variants, { runs: 5, minRunMs: 20, warmupMs: 500 });
  }
  const timings = await timeInterleaved([...variants, ...(batch > 1 ? [transposeIn] : [])], { runs: o.runs, minRunMs: 2, warmupMs: 100 });
  const byName = (n: string) => timings.find((t) => t.name === n)!;
  const pkDense = byName('prunekit-dense'),
    pkCsr = byName('prunekit-csr');
  const engineResults = prepared.map(({ e, p, diff }, i): EngineResult => {
    const t: Timing = timings[i];
    const flops = 2 * (e.name === 'prunekit-csr' || e.name === 'prunekit-runtime' ? nnz : weights) * batch;
    return {
      engine: e.name,
      median_us: t.median_us,
      min_us: t.min_us,
      spread: spread(t),
      runs: t.samples_us.length,
      reps: t.reps,
      gflops: flops / (t.median_us * 1e3),
      gbs: weightBytesRead(e.name, bm.model, nnz, p.weightBytes ?? 0) / (t.median_us * 1e3),
      weight_bytes: p.weightBytes ?? 0,
      ...(p.formats ? { formats: p.formats } : {}),
      max_abs_diff: diff,
      prunekit_dense_speedup: pairedRatio(t, pkDense),
      prunekit_csr_speedup: pairedRatio(t, pkCsr),
    };
  });
  for (const { p } of [...prepared].reverse()) p.dispose(); // LIFO: arena marks nest
  return {
    source: bm.source,
    sparsity: bm.sparsity,
    batch,
    weights,
    nonzeros: nnz,
    engines: engineResults,
    input_transpose_us: batch > 1 ? byName(TRANSPOSE).median_us : null,
  };
}

async function main(): Promise<number> {
  const o = parseOptions();
  const log = (s: string) => (o.json ? process.stderr : process.stdout).write(s + '\n');
  const notes: string[] = [];
  const note = (s: string) => {
    notes.push(s);
    log(s);
  };
  const loadavgStart = loadavg();

  const k = loadKernelsSync();
  const engines = await loadEngines(k, note);
  for (const e of engines) log(`engine ${e.name}: ${e.describe}`);
  const machine = await measureMachine(k, o.runs, log, note);

  const models = benchModels(o.seed, o.sparsities, note, o.layers);
  const groups: GroupResult[] = [];
  const rng = new Rng(o.seed + 100);
  for (const bm of models) {
    for (const batch of o.batches) {
      const x = new Float32Array(batch * bm.model.layers[0].inFeatures);
      for (let i = 0; i < x.length; i++) x[i] = rng.next(); // pixel-like inputs in [0, 1)
      const g = await runGroup(engines, bm, batch, x, { runs: o.runs, first: groups.length === 0 });
      groups.push(g);
      log(formatGroup(g));
    }
  }

  const memorySparsities = o.sparsities.filter((v) => [0, 0.9, 0.98].includes(v));
  const memory = o.memory ? await measureMemory(o.seed, memorySparsities.length ? memorySparsities : [o.sparsities[0]], log, o.layers) : [];
  const report: PeersReport = {
    date: new Date().toISOString(),
    command: `npx tsx bench/peers/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: availableParallelism(),
    kernels: k.flavor,
    layers: o.layers,
    engines: engines.map((e) => ({ name: e.name, describe: e.describe })),
    ort_web_default_threads: defaultOrtWebThreads(),
    machine,
    loadavg_start: loadavgStart,
    loadavg_end: loadavg(),
    groups,
    targets: [],
    memory,
    notes,
  };
  report.targets = evaluateTargets(report);
  if (report.ort_web_default_threads === 1) {
    note("peers: onnxruntime-web's default thread count resolves to 1 on this machine (min(4, ⌈cores/2⌉)): the 1-thread rows are also its default");
  }
  log('\n' + formatTargets(report.targets));
  log(`load average: start ${loadavgStart.map((v) => v.toFixed(2)).join(' ')}, end ${report.loadavg_end.map((v) => v.toFixed(2)).join(' ')}`);
  await writeReport(report, o.out, log);
  if (o.json) printJson(report); // the CLI's one --json style: each snake_case key with its camelCase twin
  return 0;
}

/** bench/results/peers-<date>.json and peers.html, each written atomically. */
async function writeReport(report: PeersReport, dir: string, log: (s: string) => void): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const shape = report.layers.join() === LENET.join() ? '' : `-${report.layers.join('-')}`;
  const jsonPath = join(dir, `peers${shape}-${report.date.slice(0, 10)}.json`);
  writeFileAtomic(jsonPath, JSON.stringify(report, null, 1) + '\n');
  const htmlPath = join(dir, `peers${shape}.html`);
  writeFileAtomic(htmlPath, await renderPeersHtml(report));
  log(`wrote ${jsonPath} and ${htmlPath}`);
}

/** onnxruntime-web's default wasm thread count: min(4, ⌈hardwareConcurrency / 2⌉) (ort-web's env init). */
function defaultOrtWebThreads(): number {
  return Math.min(4, Math.ceil(availableParallelism() / 2));
}

const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);

export function formatGroup(g: GroupResult): string {
  const head = `\n${g.source} ${(g.sparsity * 100).toFixed(g.source === 'demo' ? 1 : 0)}% sparse, batch ${g.batch} (${g.nonzeros} of ${g.weights} weights nonzero)`;
  const rows = g.engines.map(
    (e) =>
      `  ${e.engine.padEnd(16)} median ${us(e.median_us).padStart(10)}  min ${us(e.min_us).padStart(10)}  spread ${(e.spread * 100).toFixed(0).padStart(3)}%  ` +
      `${e.gflops.toFixed(2).padStart(6)} GFLOP/s ${e.gbs.toFixed(1).padStart(5)} GB/s  diff ${e.max_abs_diff.toExponential(1)}  ` +
      `dense×${e.prunekit_dense_speedup.toFixed(2)} csr×${e.prunekit_csr_speedup.toFixed(2)}${e.formats ? '  [' + e.formats.join(',') + ']' : ''}`,
  );
  const tr =
    g.input_transpose_us === null
      ? []
      : [`  (naive row-major → feature-major input transpose in JS, if the caller's samples are row-major: ${us(g.input_transpose_us)})`];
  return [head, ...rows, ...tr].join('\n');
}

export function formatTargets(ts: readonly Target[]): string {
  return [
    'targets (ratio = peer time / prunekit time, paired per round):',
    ...ts.map((t) => `  ${t.met === null ? 'n/a ' : t.met ? 'MET ' : 'MISS'} ${t.name}: ${t.ratio === null ? '—' : t.ratio.toFixed(2) + '×'} (goal ${t.goal})`),
  ].join('\n');
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`peers: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
