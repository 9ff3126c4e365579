/**
 * `fit` (src/report/fit.ts): the greedy allocation on hand-made tables, the cost models, the
 * latency-table checks, and the whole loop on a tiny model with a bytes budget (exact: the
 * delivered file is measured) and a given latency table. No speed is asserted.
 */
import { describe, expect, it } from 'vitest';
import {
  allocate,
  ALLOCATION_GRID,
  bytesCost,
  checkLatencyTable,
  DENSITY_GRID,
  fitToBudget,
  latencyCost,
  layerBytes,
  measureLatencyTable,
  type LatencyTable,
} from '../src/report/fit.js';
import { compact } from '../src/compact/compact.js';
import { createMLP } from '../src/nn/model.js';
import { train } from '../src/nn/train.js';
import { trainerContext } from '../src/prune/trainer.js';
import type { SplitDataset } from '../src/data/types.js';
import { blobs } from './helpers/datasets.js';
import fitCommand from '../src/cli/commands/fit.js';
import { UsageError } from '../src/cli/args.js';

const G = DENSITY_GRID.length;

describe('allocate (greedy over the tables)', () => {
  it('takes the cheapest loss per unit of cost saved until the budget is met', () => {
    // Layer 0: cost 100·d, loss rises slowly; layer 1: cost 10·d, loss rises fast.
    const cost = (l: number, d: number) => ({ cost: (l === 0 ? 100 : 10) * d, layout: 'dense' as const });
    const loss = [DENSITY_GRID.map((d) => 1 + (1 - d) * 0.1), DENSITY_GRID.map((d) => 1 + (1 - d) * 10)];
    const r = allocate(2, cost, loss, 60);
    expect(r.cost).toBeLessThanOrEqual(60);
    expect(r.densities[1]).toBe(1); // the sensitive, cheap layer is left alone
    expect(r.densities[0]).toBeLessThan(1);
    expect(r.loss).toBeCloseTo(1 + (1 - r.densities[0]) * 0.1, 10);
  });

  it('jumps past densities that save nothing (CSR at 70% slower than dense)', () => {
    const cost = (_l: number, d: number) => ({ cost: d === 1 ? 10 : d >= 0.5 ? 12 : 20 * d, layout: 'csr' as const });
    const r = allocate(1, cost, [DENSITY_GRID.map((d) => 1 - d)], 9);
    expect(r.densities[0]).toBeLessThan(0.5);
  });

  it('a budget equal to the exact cost of the densest or the sparsest plan gets that plan (the rounding to units loses neither)', () => {
    // costs that are not whole numbers of the budget's units
    const cost = (l: number, d: number) => ({ cost: (l + 1) * 7.3 * d, layout: 'dense' as const });
    const loss = [DENSITY_GRID.map((d) => 1 - d), DENSITY_GRID.map((d) => 1 - d), DENSITY_GRID.map((d) => 1 - d)];
    const sum = (d: number) => [0, 1, 2].reduce((a, l) => a + cost(l, d).cost, 0);
    const dense = allocate(3, cost, loss, 1.7 + sum(1), 1.7);
    expect(dense.densities).toEqual([1, 1, 1]);
    const dMin = Math.min(...DENSITY_GRID);
    const sparsest = allocate(3, cost, loss, 1.7 + sum(dMin), 1.7);
    expect(sparsest.densities).toEqual([dMin, dMin, dMin]);
    expect(sparsest.cost).toBeLessThanOrEqual(1.7 + sum(dMin));
  });

  it('a budget equal to the sparsest plan still gets it when a layer has two options less than a knapsack unit apart', () => {
    const grid = [1, 0.5, 0.25];
    const s = [40.3, 71.9, 55.1];
    // the 0.5 option costs a hair more than the 0.25 one (a latency table flat at low density), and loses less
    const cost = (l: number, d: number) => ({ cost: d === 1 ? 3 * s[l] : d === 0.5 ? s[l] * (1 + 1e-4) : s[l], layout: 'csr' as const });
    const loss = s.map(() => [0, 0.1, 0.5]);
    const budget = s.reduce((a, b) => a + b, 0);
    const r = allocate(3, cost, loss, budget, 0, grid);
    expect(r.densities).toEqual([0.25, 0.25, 0.25]);
    expect(r.cost).toBeLessThanOrEqual(budget);
  });

  it('says so when even the sparsest allocation misses the budget', () => {
    const cost = () => ({ cost: 5, layout: 'dense' as const });
    expect(() => allocate(2, cost, [new Array(G).fill(0), new Array(G).fill(0)], 9)).toThrow(/no allocation .* meets the budget/);
  });
});

describe('cost models', () => {
  it('a latency table: CSR where it is faster, interpolated between densities', () => {
    const t: LatencyTable = {
      batch: 1,
      layers: [
        {
          inFeatures: 4,
          outFeatures: 2,
          dense_us: 10,
          csr: [
            { density: 0.5, us: 12 },
            { density: 0.1, us: 4 },
          ],
        },
      ],
    };
    const c = latencyCost(t);
    expect(c(0, 1)).toEqual({ cost: 10, layout: 'dense' });
    expect(c(0, 0.5)).toEqual({ cost: 10, layout: 'dense' });
    expect(c(0, 0.3)).toEqual({ cost: 8, layout: 'csr' });
    expect(c(0, 0.05)).toEqual({ cost: 4, layout: 'csr' });
  });

  it('bytes as compact stores the layer (within the header estimate)', () => {
    const m = createMLP({ sizes: [40, 30, 5], activation: 'relu', seed: 1 });
    const L = m.layers[0];
    for (let i = 0; i < L.weight.length; i++) if (i % 10) L.weight[i] = 0; // density 0.1
    const dense = compact(m, { layouts: ['dense', 'dense'] }).report.bytes;
    const csr = compact(m, { layouts: ['csr', 'dense'] }).report.bytes;
    const predicted = layerBytes(30, 40, 0.1, 'csr') - layerBytes(30, 40, 0.1, 'dense');
    expect(Math.abs(csr - dense - predicted)).toBeLessThan(64);
    expect(bytesCost(m, 'f32')(0, 0.1).layout).toBe('csr');
    expect(bytesCost(m, 'f32')(0, 1).layout).toBe('dense');
  });

  it('a measured table: every layer, dense and each CSR density, the per-call cost taken off (no speed asserted)', async () => {
    const m = createMLP({ sizes: [6, 4, 2], activation: 'relu', seed: 1 });
    const t = await measureLatencyTable(m, 2, { runs: 1 });
    expect(t.batch).toBe(2);
    expect(t.call_us).toBeGreaterThan(0);
    expect(t.layers.map((x) => [x.inFeatures, x.outFeatures])).toEqual([
      [6, 4],
      [4, 2],
    ]);
    for (const x of t.layers) {
      expect(x.csr.map((c) => c.density)).toEqual(DENSITY_GRID.filter((d) => d < 1));
      expect([x.dense_us, ...x.csr.map((c) => c.us)].every((v) => v >= 0 && Number.isFinite(v))).toBe(true);
    }
    expect(() => checkLatencyTable(t, m, 'measured')).not.toThrow();
  });

  it('a table from elsewhere must match the model, layer by layer', () => {
    const m = createMLP({ sizes: [4, 3, 2], activation: 'relu', seed: 1 });
    const row = (i: number, o: number) => ({ inFeatures: i, outFeatures: o, dense_us: 1, csr: [{ density: 0.5, us: 1 }] });
    expect(() => checkLatencyTable({ batch: 1, layers: [row(4, 3)] }, m, 't.json')).toThrow(/t\.json: 1 layers, the model has 2/);
    expect(() => checkLatencyTable({ batch: 1, layers: [row(4, 3), row(3, 3)] }, m, 't.json')).toThrow(
      /layers\[1\] is 3×3 \(outFeatures×inFeatures\), the model's is 2×3/,
    );
    expect(() => checkLatencyTable({ batch: 1, layers: [row(4, 3), { ...row(3, 2), csr: [{ density: 2, us: 1 }] }] }, m, 't.json')).toThrow(
      /t\.json: layers\[1\]\.csr\[0\]\.density must be a number in \(0, 1\], got 2/,
    );
    expect(() => checkLatencyTable({ batch: 1, layers: [row(4, 3), row(3, 2)] }, m, 't.json')).not.toThrow();
  });
});

describe('fitToBudget on a tiny model', () => {
  const data: SplitDataset = { train: blobs(60, 12, 3, 1), test: blobs(20, 12, 3, 2), mean: null, scale: null };
  const trained = async () => {
    const m = createMLP({ sizes: [12, 16, 8, 3], activation: 'relu', seed: 3 });
    await train(m, data, { epochs: 5, lr: 0.05, seed: 1 });
    return m;
  };

  it('a bytes budget is met exactly on the delivered file, with accuracy measured', async () => {
    const m = await trained();
    const ctx = trainerContext(data, { trainMetrics: false });
    const denseBytes = compact(m, { layouts: ['dense', 'dense', 'dense'] }).report.bytes;
    const budget = Math.round(denseBytes * 0.8);
    const r = await fitToBudget(m, data, ctx, { budget: { maxBytes: budget }, finetuneEpochs: 1, runs: 2 });
    expect(r.met).toBe(true);
    expect(r.bytes).toBeLessThanOrEqual(budget);
    expect(r.layers.some((l) => l.sparsity > 0)).toBe(true);
    expect(r.accuracy).toBeGreaterThan(0);
    r.layers.forEach((l) => expect(ALLOCATION_GRID).toContain(l.density));
  });

  it('a bytes budget below the predicted cost of the cheapest plan is met when that plan, compacted, fits; one below its file is refused, naming both', async () => {
    const m = await trained();
    const ctx = trainerContext(data, { trainMetrics: false });
    let why = '';
    const log: string[] = [];
    await fitToBudget(m, data, ctx, { budget: { maxBytes: 10 }, runs: 2, onProgress: (s) => log.push(s) }).catch((e: Error) => (why = e.message));
    const got =
      /the cheapest plan that could be pruned \(densities [\d.,]+\) was predicted to cost ([\d.]+) and measures ([\d.]+) bytes \(budget 10 bytes\)/.exec(why);
    expect(got, why).not.toBeNull();
    const [predicted, measured] = [Number(got![1]), Number(got![2])];
    expect(measured).toBeLessThan(predicted); // compaction removed the neurons the sparse plan leaves dead
    const r = await fitToBudget(m, data, ctx, { budget: { maxBytes: measured }, runs: 2 });
    expect(r.met).toBe(true);
    expect(r.bytes).toBeLessThanOrEqual(measured);
    // On this model the sparsest plan of the grid cuts every input→output path, though each of its
    // densities alone does not: a budget of exactly its predicted cost moves on to the next plan.
    expect(log.some((s) => /cannot be pruned together/.test(s))).toBe(true);
    const sparsest = Number(/attempt 1: allocating for ([\d.]+) bytes/.exec(log.join('\n'))![1]);
    const edge = await fitToBudget(m, data, ctx, { budget: { maxBytes: sparsest }, runs: 2 });
    expect(edge.met).toBe(true);
    expect(edge.bytes).toBeLessThanOrEqual(sparsest);
  });

  it('a latency budget allocates from the given table (a generous budget leaves the model dense)', async () => {
    const m = await trained();
    const ctx = trainerContext(data, { trainMetrics: false });
    const row = (i: number, o: number) => ({
      inFeatures: i,
      outFeatures: o,
      dense_us: 1,
      csr: [
        { density: 0.5, us: 0.8 },
        { density: 0.05, us: 0.1 },
      ],
    });
    const latencyTable: LatencyTable = { batch: 1, layers: [row(12, 16), row(16, 8), row(8, 3)] };
    const r = await fitToBudget(m, data, ctx, { budget: { maxLatencyUs: 1e6, batch: 1 }, latencyTable, runs: 2 });
    expect(r.met).toBe(true);
    expect(r.layers.map((l) => l.sparsity)).toEqual([0, 0, 0]);
    expect(r.latency_us).toBeGreaterThan(0);
  });
});

describe('prunekit fit: usage', () => {
  it('needs exactly one budget and valid --values', async () => {
    await expect(fitCommand.run(['--model', 'package.json', '--data', 'iris', '--out', '/tmp/x.safetensors'])).rejects.toThrow(UsageError);
    await expect(
      fitCommand.run(['--model', 'package.json', '--data', 'iris', '--max-bytes', '10', '--max-latency-us', '3', '--out', '/tmp/x.safetensors']),
    ).rejects.toThrow(/give one budget/);
    await expect(
      fitCommand.run(['--model', 'package.json', '--data', 'iris', '--max-bytes', '10', '--values', 'kmeans:9', '--out', '/tmp/x.safetensors']),
    ).rejects.toThrow(/--values/);
  });

  it('refuses the latency-table flags with a bytes budget, which would ignore them', async () => {
    for (const flag of ['--latency-table', '--save-latency-table'])
      await expect(
        fitCommand.run(['--model', 'package.json', '--data', 'iris', '--max-bytes', '10', flag, 'tsconfig.json', '--out', '/tmp/x.safetensors']),
      ).rejects.toThrow(new RegExp(`${flag} goes with --max-latency-us`));
  });
});
