/** `prunekit train --sparsity S --method set|rigl`: a sparse network from scratch, its JSON, its file, its refusals. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadModel } from '../src/nn/io.js';
import { tempDir } from './helpers/tmp.js';
import { runCli as run } from './helpers/cli.js';

const tmp = tempDir('dst-cli');

describe('prunekit train --sparsity', () => {
  it.each(['rigl', 'set'])('--method %s trains at the requested sparsity and stores the masks', async (method) => {
    const out = join(tmp.dir, `${method}.safetensors`);
    const r = await run([
      'train',
      '--data',
      'iris',
      '--hidden',
      '32',
      '--epochs',
      '40',
      '--batch',
      '16',
      '--lr',
      '0.05',
      '--sparsity',
      '0.8',
      '--method',
      method,
      '--delta-t',
      '10',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.sparseTraining).toMatchObject({ sparsity: 0.8, method, distribution: 'erk', deltaT: 10, initScale: 'dense' });
    expect(j.sparseTraining.maskUpdates).toBeGreaterThan(0);
    expect(j.accuracy).toBeGreaterThan(0.8);
    const m = loadModel(out);
    const total = m.layers.reduce((a, l) => a + l.weight.length, 0);
    const zeros = m.layers.reduce((a, l) => a + l.mask!.reduce((s, v) => s + (v ? 0 : 1), 0), 0);
    expect(zeros / total).toBeCloseTo(0.8, 2);
  });

  it('refuses the sparse-training flags without --sparsity, and --rewind-epoch with it (exit 2)', async () => {
    const out = join(tmp.dir, 'x.safetensors');
    expect((await run(['train', '--data', 'iris', '--method', 'set', '--out', out])).code).toBe(2);
    expect((await run(['train', '--data', 'iris', '--sparsity', '0.5', '--rewind-epoch', '1', '--out', out])).code).toBe(2);
    expect((await run(['train', '--data', 'iris', '--sparsity', '1', '--out', out])).code).toBe(2);
    expect((await run(['train', '--data', 'iris', '--sparsity', '0.5', '--method', 'dense', '--out', out])).code).toBe(2);
    expect((await run(['train', '--data', 'iris', '--init-scale', 'sparse', '--out', out])).code).toBe(2);
    expect((await run(['train', '--data', 'iris', '--sparsity', '0.5', '--init-scale', 'wide', '--out', out])).code).toBe(2);
    expect((await run(['train', '--data', 'iris', '--sparsity', '0.5', '--gradient-batch', '0', '--out', out])).code).toBe(2);
  });
});
