/**
 * The kernel benchmark behind `prunekit bench`: dense vs CSR forward passes on the same random,
 * magnitude-pruned weights, timed together with this machine's limits (read bandwidth, f32x4
 * multiply-add peak) in one run, and checked against the kernels' speed targets.
 */
import { cpus } from 'node:os';
import {
  Act,
  allocF32,
  layerForward,
  panelFloats,
  loadKernelsSync,
  uploadCsr,
  uploadDense,
  type F32Buf,
  type Kernels,
  type LayerOnDevice,
  type WasmFlavor,
} from '../kernels/index.js';
import { cloneMLP, createMLP, type MLP } from '../nn/model.js';
import { magnitudeScores } from '../prune/criteria.js';
import { pruneLayer } from '../prune/mask.js';
import { maskByCount } from '../prune/threshold.js';
import { denseToCsr } from '../sparse/csr.js';
import { Rng } from '../util/rng.js';
import { benchIndex } from './bench-budget.js';
import { pairedRatio, timeInterleaved, type Timing, type Variant } from './latency.js';
import { machineLimits, machineProbes, readLimitFor, type MachineLimits } from './machine.js';

export interface BenchOptions {
  layers: number[];
  sparsities: number[];
  batches: number[];
  runs: number;
  minRunMs: number;
  seed: number;
  kernels?: WasmFlavor;
  /** Bytes of the DRAM read-bandwidth probe (default 256 MiB; 0 skips it). */
  dramProbeBytes?: number;
  onRound?: (round: number, rounds: number) => void;
}

export interface BenchResult {
  sparsity: number;
  batch: number;
  format: 'dense' | 'csr';
  /** Column-index type of the CSR layers ('u16' when every layer has ≤ 65,536 inputs). */
  index: 'u16' | 'u32' | null;
  median_us: number;
  min_us: number;
  /** Forward passes per timed run. */
  reps_per_run: number;
  /** Nonzero weights over all layers (dense: all weights, zeros included, as the kernel reads them). */
  weights: number;
  /** Weight storage: dense f32 values, or CSR data + indices + indptr. Biases excluded (same in both). */
  weight_bytes: number;
  bias_bytes: number;
  /** weight_bytes / dense weight_bytes. */
  bytes_vs_dense: number;
  /** Multiply-adds actually performed ×2 / median time. */
  gflops: number;
  /** (weight + bias bytes) / median time: how fast the weights stream, GB/s. */
  gbs: number;
  /** The read-bandwidth probe that applies to this working set (weights + biases): 'cache' (4 MiB) or 'dram'. */
  read_limit: 'cache' | 'dram';
  /** That probe's read bandwidth (median), GB/s, and gbs / it: the share of the limit this variant streams at. */
  read_limit_gbs: number;
  of_read_limit: number;
  /** CSR only: dense time / CSR time, median over rounds of the paired ratio. */
  speedup_vs_dense?: number;
  /** CSR only: dense min / CSR min (the fastest runs: least disturbed by background load). */
  speedup_vs_dense_min?: number;
}

/** measured: from medians (paired per round); measured_min: the same figure from the fastest runs. */
export interface TargetCheck {
  name: string;
  target: string;
  measured: number;
  measured_min: number;
  met: boolean;
}

export interface BenchReport {
  kernels: WasmFlavor;
  layers: number[];
  runs: number;
  min_run_ms: number;
  seed: number;
  node: string;
  cpu: string;
  timing: string;
  results: BenchResult[];
  /** Per batch: the smallest tested sparsity where CSR beats dense (null if none). */
  crossover: { batch: number; sparsity: number | null }[];
  machine: MachineLimits;
  /** layerForward (validated) vs the raw kernel calls, dense, first batch and sparsity: time ratio − 1. */
  validation_overhead: number;
  targets: TargetCheck[];
}

/**
 * Each layer pruned by magnitude to `sparsity` on its own: exactly round(s·n) of its n weights
 * become zero, the smallest |w| first (ties: lower index first).
 */
export function pruneEachLayer(model: MLP, sparsity: number): MLP {
  const m = cloneMLP(model);
  const scores = magnitudeScores(m);
  m.layers.forEach((L, l) => {
    const all = new Uint8Array(L.weight.length).fill(1);
    pruneLayer(L, maskByCount([scores[l]], [all], Math.round(sparsity * L.weight.length))[0]);
  });
  return m;
}

export interface Net {
  layers: LayerOnDevice[];
  weights: number;
  weightBytes: number;
  biasBytes: number;
  index: 'u16' | 'u32' | null;
}

/** The net's forward pass: ReLU hidden layers, identity output; `step` is `layerForward` or its threaded twin (`panel`: one per thread). */
export function forward(k: Kernels, net: Net, acts: F32Buf[], batch: number, step: typeof layerForward = layerForward, panel: F32Buf | null = null): void {
  const last = net.layers.length - 1;
  for (let l = 0; l <= last; l++) step(k, net.layers[l], acts[l], acts[l + 1], batch, l === last ? Act.identity : Act.relu, panel);
}

/** The pruned model uploaded twice: every layer dense (scratch for `runs` runs of a threaded split), and every layer CSR. */
export function uploadBoth(k: Kernels, pruned: MLP, biasBytes: number, runs = 1): { dense: Net; csr: Net } {
  const dense: Net = { layers: [], weights: 0, weightBytes: 0, biasBytes, index: null };
  const csr: Net = { layers: [], weights: 0, weightBytes: 0, biasBytes, index: 'u16' };
  for (const { weight: w, bias, outFeatures: rows, inFeatures: cols } of pruned.layers) {
    dense.layers.push(uploadDense(k, w, bias, rows, cols, runs));
    dense.weights += rows * cols;
    dense.weightBytes += 4 * rows * cols;
    const m = denseToCsr(w, rows, cols, benchIndex(cols));
    const up = uploadCsr(k, m, bias);
    csr.layers.push(up);
    if (up.format === 'csr' && up.index === 'u32') csr.index = 'u32';
    csr.weights += m.data.length;
    csr.weightBytes += m.data.byteLength + m.indices.byteLength + m.indptr.byteLength;
  }
  return { dense, csr };
}

/** The dense forward pass through the raw kernels, skipping layerForward's checks (to time them). */
function rawDenseForward(k: Kernels, net: Net, bufs: F32Buf[], batch: number): () => void {
  const last = net.layers.length - 1;
  const calls = net.layers.map((Ld, l) => {
    if (Ld.format !== 'dense') throw new Error('rawDenseForward: a dense net holds dense layers only');
    const a = l === last ? Act.identity : Act.relu,
      X = bufs[l].ptr,
      Y = bufs[l + 1].ptr;
    const scratch = Ld.scratch?.ptr;
    if (batch === 1) return () => k.f32_gemv(Ld.W.ptr, Ld.b.ptr, X, Y, Ld.rows, Ld.cols, a);
    return scratch
      ? () => k.f32_gemm_scratch(Ld.W.ptr, Ld.b.ptr, X, Y, Ld.rows, Ld.cols, batch, a, scratch)
      : () => k.f32_gemm(Ld.W.ptr, Ld.b.ptr, X, Y, Ld.rows, Ld.cols, batch, a);
  });
  return () => {
    for (const f of calls) f();
  };
}

/** One result per (sparsity, batch, format) from the timings (variants named `s/b/format`). */
function benchResults(o: BenchOptions, nets: Map<string, Net>, T: (name: string) => Timing, m: MachineLimits): BenchResult[] {
  const results: BenchResult[] = [];
  for (const s of o.sparsities)
    for (const b of o.batches)
      for (const f of ['dense', 'csr'] as const) {
        const net = nets.get(`${s}/${f}`)!,
          t = T(`${s}/${b}/${f}`);
        const denseBytes = nets.get(`${s}/dense`)!.weightBytes;
        const gbs = (net.weightBytes + net.biasBytes) / (t.median_us * 1e3);
        const limit = readLimitFor(m, net.weightBytes + net.biasBytes);
        results.push({
          sparsity: s,
          batch: b,
          format: f,
          index: net.index,
          median_us: t.median_us,
          min_us: t.min_us,
          reps_per_run: t.reps,
          weights: net.weights,
          weight_bytes: net.weightBytes,
          bias_bytes: net.biasBytes,
          bytes_vs_dense: net.weightBytes / denseBytes,
          gflops: (2 * net.weights * b) / (t.median_us * 1e3),
          gbs,
          read_limit: limit.probe,
          read_limit_gbs: limit.gbs,
          of_read_limit: gbs / limit.gbs,
          ...(f === 'csr' ? { speedup_vs_dense: pairedRatio(T(`${s}/${b}/dense`), t), speedup_vs_dense_min: T(`${s}/${b}/dense`).min_us / t.min_us } : {}),
        });
      }
  return results;
}

/**
 * The networks and inputs both kernel benchmarks time: He-initialised weights (createMLP's default
 * for ReLU) with small random biases, magnitude-pruned to each sparsity and uploaded dense and CSR
 * (`nets`, keyed "sparsity/dense|csr"); per batch size, one activation buffer per layer, the first
 * holding a seeded random input (`acts`); the CSR SpMM's packing scratch for the widest layer input
 * and each of `threads` threads (`panel`, as the runtime has it from batch 16 on).
 */
export function benchNetworks(
  k: Kernels,
  o: { layers: readonly number[]; sparsities: readonly number[]; batches: readonly number[]; seed: number },
  runs = 1,
  threads = 1,
): { nets: Map<string, Net>; acts: Map<number, F32Buf[]>; panel: F32Buf | null } {
  const rng = new Rng(o.seed);
  // no training-memory check: the CLI checked what this allocates (bench-budget.ts) before any work
  const full = createMLP({ sizes: [...o.layers], activation: 'relu', seed: o.seed, budgetCheck: false });
  for (const layer of full.layers) layer.bias = Float32Array.from(layer.bias, () => rng.uniform(-0.05, 0.05));
  const biasBytes = full.layers.reduce((a, layer) => a + 4 * layer.outFeatures, 0);
  const nets = new Map<string, Net>();
  for (const s of o.sparsities) {
    const { dense, csr } = uploadBoth(k, pruneEachLayer(full, s), biasBytes, runs);
    nets.set(`${s}/dense`, dense);
    nets.set(`${s}/csr`, csr);
  }
  const acts = new Map<number, F32Buf[]>();
  for (const b of o.batches) {
    const bufs = o.layers.map((n) => allocF32(k, n * b));
    const x = new Float32Array(o.layers[0] * b).map(() => rng.next());
    new Float32Array(k.memory.buffer, bufs[0].ptr, x.length).set(x);
    acts.set(b, bufs);
  }
  const panel = o.batches.some((b) => b >= 16) ? allocF32(k, threads * panelFloats(Math.max(...o.layers.slice(0, -1)))) : null;
  return { nets, acts, panel };
}

/** Runs the benchmark; all figures come from one set of interleaved rounds. */
export async function runBench(o: BenchOptions): Promise<BenchReport> {
  const k = loadKernelsSync(o.kernels ? { flavor: o.kernels } : {});
  const { nets, acts, panel } = benchNetworks(k, o);

  const variants: Variant[] = [];
  for (const s of o.sparsities)
    for (const b of o.batches)
      for (const f of ['dense', 'csr'] as const) {
        const net = nets.get(`${s}/${f}`)!,
          bufs = acts.get(b)!;
        variants.push({ name: `${s}/${b}/${f}`, fn: () => forward(k, net, bufs, b, layerForward, panel) });
      }
  // the same dense forward with the raw kernels, to show that validation costs nothing measurable
  const s0 = o.sparsities[0],
    b0 = o.batches[0];
  variants.push({ name: 'raw', fn: rawDenseForward(k, nets.get(`${s0}/dense`)!, acts.get(b0)!, b0) });
  const probes = machineProbes(k, undefined, undefined, o.dramProbeBytes);
  variants.push(...probes.variants);

  const timings = await timeInterleaved(variants, { runs: o.runs, minRunMs: o.minRunMs, onRound: o.onRound });
  const byName = new Map(timings.map((t) => [t.name, t]));
  const T = (name: string): Timing => byName.get(name)!;
  const machine = machineLimits(probes, timings);
  const results = benchResults(o, nets, T, machine);
  const crossover = o.batches.map((b) => {
    const wins = results.filter((r) => r.batch === b && r.format === 'csr' && r.speedup_vs_dense! > 1).map((r) => r.sparsity);
    return { batch: b, sparsity: wins.length ? Math.min(...wins) : null };
  });
  return {
    kernels: k.flavor as WasmFlavor,
    layers: o.layers,
    runs: o.runs,
    min_run_ms: o.minRunMs,
    seed: o.seed,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    timing: `each run loops the forward pass ≥ ${o.minRunMs} ms and divides; ${o.runs} runs per variant, interleaved in rounds (order rotated); median and min over runs; speedups are paired per round`,
    results,
    crossover,
    machine,
    validation_overhead: pairedRatio(T(`${s0}/${b0}/dense`), T('raw')) - 1,
    targets: checkTargets(results, machine),
  };
}

/**
 * The kernels' speed targets, for whichever of them this run's sparsities and batches cover:
 * dense batch 1 streams its weights at ≥ 70% of the measured read bandwidth that applies to its
 * working set (the 4 MiB probe for cache-sized weights, the DRAM probe beyond: `readLimitFor`); dense batch 64
 * reaches ≥ 40% of the f32x4 multiply-add peak; CSR at 90% / 95% sparsity is ≥ 2× / 3× faster
 * than dense at batch 1 and ≥ 6× / 10× at batch 64; CSR with u16 indices at 90% sparsity stores
 * ≤ 15.5% of the dense f32 bytes.
 */
export function checkTargets(results: BenchResult[], m: MachineLimits): TargetCheck[] {
  const out: TargetCheck[] = [];
  const get = (s: number, b: number, f: string) => results.find((r) => r.sparsity === s && r.batch === b && r.format === f);
  const d1 = results.find((r) => r.batch === 1 && r.format === 'dense' && r.sparsity === Math.min(...results.map((x) => x.sparsity)));
  const gbsMin = (r: BenchResult) => (r.weight_bytes + r.bias_bytes) / (r.min_us * 1e3);
  if (d1) {
    const limit = readLimitFor(m, d1.weight_bytes + d1.bias_bytes);
    out.push({
      name: `dense batch 1: weight stream / ${limit.probe === 'dram' ? 'DRAM ' : ''}read bandwidth`,
      target: '≥ 0.70',
      measured: d1.gbs / limit.gbs,
      measured_min: gbsMin(d1) / limit.gbs_best,
      met: d1.gbs / limit.gbs >= 0.7,
    });
  }
  const d64 = results.find((r) => r.batch === 64 && r.format === 'dense' && r.sparsity === d1?.sparsity);
  if (d64) {
    const best = (d64.gflops * d64.median_us) / d64.min_us;
    out.push({
      name: 'dense batch 64: GFLOP/s / f32x4 mul-add peak',
      target: '≥ 0.40',
      measured: d64.gflops / m.madd_gflops,
      measured_min: best / m.madd_gflops_best,
      met: d64.gflops / m.madd_gflops >= 0.4,
    });
  }
  for (const [s, b, want] of [
    [0.9, 1, 2],
    [0.9, 64, 6],
    [0.95, 1, 3],
    [0.95, 64, 10],
  ] as const) {
    const r = get(s, b, 'csr');
    if (r)
      out.push({
        name: `CSR ${s * 100}% sparse, batch ${b}: speedup vs dense`,
        target: `≥ ${want}×`,
        measured: r.speedup_vs_dense!,
        measured_min: r.speedup_vs_dense_min!,
        met: r.speedup_vs_dense! >= want,
      });
  }
  const r90 = results.find((r) => r.sparsity === 0.9 && r.format === 'csr' && r.index === 'u16');
  if (r90)
    out.push({
      name: 'CSR u16 90% sparse: bytes / dense f32 bytes',
      target: '≤ 0.155',
      measured: r90.bytes_vs_dense,
      measured_min: r90.bytes_vs_dense,
      met: r90.bytes_vs_dense <= 0.155,
    });
  return out;
}

const f1 = (x: number) => x.toFixed(1),
  f2 = (x: number) => x.toFixed(2);
/** "63% cache": the share of the read bandwidth that applies to the variant's working set. */
const ofLimit = (r: BenchResult) => `${(r.of_read_limit * 100).toFixed(0)}% ${r.read_limit}`;

/** The human-readable report. */
export function formatBenchReport(r: BenchReport): string {
  const m = r.machine;
  const lines = [
    `prunekit bench — kernels: ${r.kernels}, layers ${r.layers.join('-')}, ${r.runs} runs, node ${r.node}, ${r.cpu}`,
    `timing: ${r.timing}`,
    `machine (same run): read ${f1(m.read_gbs)} GB/s over ${(m.read_buffer_bytes / 2 ** 20).toFixed(0)} MiB (best ${f1(m.read_gbs_best)}), ` +
      (m.dram_read_gbs === undefined
        ? ''
        : `DRAM read ${f1(m.dram_read_gbs)} GB/s over ${(m.dram_buffer_bytes! / 2 ** 20).toFixed(0)} MiB (best ${f1(m.dram_read_gbs_best!)}), `) +
      `mul-add peak ${f1(m.madd_gflops)} GFLOP/s (best ${f1(m.madd_gflops_best)}), loadavg ${m.loadavg.map(f2).join(' ')} on ${m.cpus} CPUs`,
    '',
    'sparsity  batch  dense µs (min)        csr µs (min)          speedup (by min)  csr bytes   dense GFLOP/s  dense GB/s (of limit)  csr GFLOP/s  csr GB/s (of limit)',
  ];
  const keys = [...new Set(r.results.map((x) => `${x.sparsity}/${x.batch}`))];
  for (const key of keys) {
    const d = r.results.find((x) => `${x.sparsity}/${x.batch}` === key && x.format === 'dense')!;
    const c = r.results.find((x) => `${x.sparsity}/${x.batch}` === key && x.format === 'csr')!;
    lines.push(
      [
        `${(d.sparsity * 100).toFixed(0)}%`.padStart(8),
        String(d.batch).padStart(6),
        `${f1(d.median_us)} (${f1(d.min_us)})`.padEnd(20),
        `${f1(c.median_us)} (${f1(c.min_us)})`.padEnd(20),
        `${f2(c.speedup_vs_dense!)}× (${f2(c.speedup_vs_dense_min!)}×)`.padStart(16),
        `${f2(c.bytes_vs_dense)}× ${c.index}`.padStart(10),
        f1(d.gflops).padStart(14),
        `${f1(d.gbs)} (${ofLimit(d)})`.padStart(21),
        f1(c.gflops).padStart(12),
        `${f1(c.gbs)} (${ofLimit(c)})`.padStart(19),
      ].join('  '),
    );
  }
  lines.push(
    '',
    `crossover (smallest tested sparsity where CSR beats dense): ${r.crossover.map((c) => `batch ${c.batch}: ${c.sparsity === null ? 'none' : `${(c.sparsity * 100).toFixed(0)}%`}`).join(', ')}`,
  );
  lines.push(`validation (layerForward vs raw kernel calls): ${(r.validation_overhead * 100).toFixed(1)}% of the time`);
  if (r.targets.length) {
    lines.push('', 'kernel speed targets (judged on medians, speedups paired per round):');
    for (const t of r.targets) lines.push(`  ${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${f2(t.measured)} (by min: ${f2(t.measured_min)}; target ${t.target})`);
  }
  return lines.join('\n') + '\n';
}
