/**
 * `prunekit bench --model FILE`: a compact file timed through the runtime. No speed is asserted:
 * the keys, one result per batch, the forward pass really being the model's, and the refusals.
 */
import { describe, expect, it } from 'vitest';
import { UsageError, RunError } from '../src/cli/args.js';
import { loadModelSync } from '../src/runtime/index.js';
import { encodeModel } from '../src/sparse/format.js';
import { benchModel, formatModelBench } from '../src/report/model-bench.js';
import type { Model } from '../src/runtime/model.js';
import { smallModel, smallTrainingFile } from './helpers/crafted-models.js';
import { tempDir } from './helpers/tmp.js';
import { runBenchCli } from './helpers/bench-cli.js';

const tmp = tempDir('bench-model');

const runCli = runBenchCli;

describe('prunekit bench --model', () => {
  const file = tmp.file(encodeModel(smallModel()), 'small.safetensors');

  it('prints {"results": [{"batch", "median_us", "min_us"}]} per batch size', async () => {
    const { code, out } = await runCli(['--model', file, '--batch', '1,3', '--runs', '3', '--min-run-ms', '0.1', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.model).toBe(file);
    expect(r.runs).toBe(3);
    expect(r.results.map((x: { batch: number }) => x.batch)).toEqual([1, 3]);
    // a repeated batch size is timed once
    const again = JSON.parse((await runCli(['--model', file, '--batch', '3,1,3', '--runs', '1', '--min-run-ms', '0', '--json'])).out);
    expect(again.results.map((x: { batch: number }) => x.batch)).toEqual([3, 1]);
    for (const x of r.results) {
      expect(Object.keys(x).sort()).toEqual(['batch', 'medianUs', 'median_us', 'minUs', 'min_us']); // the contract's keys and their camelCase twins (one --json style)
      expect(x.min_us).toBeGreaterThan(0);
      expect(x.min_us).toBeLessThanOrEqual(x.median_us);
    }
  });

  it('a human table by default', async () => {
    const { code, out } = await runCli(['--model', file, '--batch', '2', '--runs', '2', '--min-run-ms', '0.1']);
    expect(code).toBe(0);
    expect(out).toMatch(/small\.safetensors: 4 → 2, kernels \S+, 2 runs/m);
    expect(out).toMatch(/^ +2 +\d/m);
  });

  it("times the model's own forward pass at each batch size", async () => {
    const calls: number[] = [];
    const model = loadModelSync(encodeModel(smallModel()));
    const spy: Model = Object.create(model);
    spy.predictLogits = (x, batch) => {
      calls.push(batch ?? -1);
      return model.predictLogits(x, batch);
    };
    const r = await benchModel(spy, { batches: [1, 5], runs: 2, minRunMs: 0.05 });
    expect(new Set(calls)).toEqual(new Set([1, 5]));
    expect(formatModelBench('f', r).split('\n')[0]).toContain('4 → 2');
    await expect(benchModel(model, { batches: [0] })).rejects.toThrow(/whole numbers ≥ 1/);
  });

  it('refuses a training-model file (run compact first), a missing file and bad flags', async () => {
    const training = tmp.file(smallTrainingFile(), 'training.safetensors');
    await expect(runCli(['--model', training])).rejects.toThrow(RunError);
    await expect(runCli(['--model', training])).rejects.toThrow(/prunekit compact/);
    await expect(runCli(['--model', tmp.dir + '/none.safetensors'])).rejects.toThrow(/none\.safetensors: no such file \(--model\)/);
    await expect(runCli(['--model', file, '--batch', '0'])).rejects.toThrow(UsageError);
    await expect(runCli(['--model', file, '--runs', '10001'])).rejects.toThrow(/^--runs: must be ≤ 10000/);
    await expect(runCli(['--model', file, '--min-run-ms', '1e12'])).rejects.toThrow(/^--min-run-ms: must be ≤ 600000/);
    // flags of the other benches, which --model would ignore: only those given are named
    await expect(runCli(['--model', file, '--sparsity', '0.5'])).rejects.toThrow(/--model times the given file: drop --sparsity$/);
    await expect(runCli(['--model', file, '--peers'])).rejects.toThrow(/--model times the given file: drop --peers$/);
    await expect(runCli(['--model', file, '--layers', '4,2', '--peers'])).rejects.toThrow(/drop --layers and --peers$/);
    await expect(runCli(['--model', file, '--train', '--data', 'iris'])).rejects.toThrow(/--model times the given file: drop --train and --data$/);
    await expect(runCli(['--model', file, '--dram-probe-mib', '64'])).rejects.toThrow(/drop --dram-probe-mib$/);
  });
});
