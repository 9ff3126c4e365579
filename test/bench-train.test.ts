/** `prunekit bench --train`: its JSON contract and refusals, on iris with a tiny network (speed is measured in bench/, not here). */
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/cli/args.js';
import { runBenchCli } from './helpers/bench-cli.js';

/** argv starts with "bench", as on the command line. */
const runCli = (argv: string[]) => runBenchCli(argv.slice(1));

describe('prunekit bench --train', () => {
  it('prints {"train": [{sparsity, epoch_s, dense_epoch_s, speedup}]} for each sparsity', async () => {
    const { code, out } = await runCli([
      'bench',
      '--train',
      '--data',
      'iris',
      '--layers',
      '4,16,3',
      '--sparsity',
      '0.5,0.9',
      '--batch',
      '8',
      '--runs',
      '2',
      '--json',
    ]);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    expect(r.train.map((x: { sparsity: number }) => x.sparsity)).toEqual([0.5, 0.9]);
    for (const x of r.train) {
      for (const key of ['epoch_s', 'dense_epoch_s', 'speedup']) expect(x[key]).toBeGreaterThan(0);
    }
    expect(r).toMatchObject({ layers: [4, 16, 3], batch: 8, rounds: 2 });
    expect(r.samples).toBeGreaterThan(100);
  });

  it('prints a table, and refuses layers that do not fit the data and a second batch size (exit code 2)', async () => {
    const t = await runCli(['bench', '--train', '--data', 'iris', '--layers', '4,3', '--sparsity', '0.8', '--runs', '1']);
    expect(t.out).toMatch(/sparsity\s+dense epoch s/);
    await expect(runCli(['bench', '--train', '--data', 'iris', '--layers', '5,3'])).rejects.toThrow(/4 features and 3 classes/);
    await expect(runCli(['bench', '--train', '--data', 'iris', '--layers', '4,3', '--batch', '1,8'])).rejects.toThrow(UsageError);
    await expect(runCli(['bench', '--data', 'iris'])).rejects.toThrow(/--data goes with --train/);
  });
});
