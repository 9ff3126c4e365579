// `prune --structured neurons` removes whole neurons (their weights are gone, not zeroed, so the
// sparsity stays 0): the command reports how many neurons and weights it removed.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { saveModel } from '../src/nn/io.js';
import { createMLP } from '../src/nn/model.js';
import { runCli as run } from './helpers/cli.js';

describe('prune --structured neurons', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-structured-'));
  const model = join(dir, 'm.safetensors');
  saveModel(model, createMLP({ sizes: [4, 10, 8, 3], activation: 'relu', seed: 3 }));
  const args = ['prune', '--model', model, '--structured', 'neurons', '--sparsity', '0.5', '--out', join(dir, 'p.safetensors')];

  it('--json: prunedNeurons per layer (half of 10 and of 8 hidden neurons) and weightsRemoved', async () => {
    const r = await run([...args, '--json']);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.prunedNeurons).toEqual([5, 4, 0]);
    // 4·10 + 10·8 + 8·3 = 144 weights before, 4·5 + 5·4 + 4·3 = 52 after
    expect(j.weightsRemoved).toBe(92);
    expect(j.layers.map((l: { out: number }) => l.out)).toEqual([5, 4, 3]);
  });

  it("refuses a --criterion it would not use (neurons are ranked by their weights' norm), and writes nothing", async () => {
    for (const c of ['obs', 'taylor', 'random']) {
      const r = await run([...args.slice(0, -1), join(dir, `never-${c}.safetensors`), '--criterion', c, '--data', 'iris']);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toContain(`--structured neurons ranks whole neurons by the norm of their weights: --criterion ${c} does not apply`);
      expect(existsSync(join(dir, `never-${c}.safetensors`))).toBe(false);
    }
    expect((await run([...args, '--criterion', 'magnitude'])).code).toBe(0);
  });

  it('text: names the neurons removed per layer', async () => {
    const r = await run(args);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('neurons removed per layer: 5, 4, 0 (92 of 144 weights removed)');
  });
});
