/** `--sparse-kernels auto|on|off` on train, prune, sweep and demo: the choice reaches training, is recorded only when given, and is checked. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '../src/nn/io.js';
import { tempDir } from './helpers/tmp.js';
import { runCli as run } from './helpers/cli.js';

const tmp = tempDir('sparse-kernels-cli');
const SET = [
  'train',
  '--data',
  'iris',
  '--hidden',
  '32',
  '--epochs',
  '20',
  '--batch',
  '16',
  '--lr',
  '0.05',
  '--sparsity',
  '0.9',
  '--method',
  'set',
  '--delta-t',
  '10',
];

describe('--sparse-kernels', () => {
  it('train: on and off train the same sparse network to float rounding; recorded only when given; same flags, same bytes', async () => {
    const file = (name: string) => join(tmp.dir, `${name}.safetensors`);
    const results: Record<string, { accuracy: number }> = {};
    for (const [name, extra] of [
      ['on', ['--sparse-kernels', 'on']],
      ['on-again', ['--sparse-kernels', 'on']],
      ['off', ['--sparse-kernels', 'off']],
      ['default', []],
    ] as const) {
      const r = await run([...SET, ...extra, '--out', file(name), '--json']);
      expect(r.code, r.err).toBe(0);
      results[name] = JSON.parse(r.out);
    }
    expect(readFileSync(file('on-again'))).toEqual(readFileSync(file('on')));
    const on = loadModel(file('on')),
      off = loadModel(file('off'));
    expect((on.provenance.train as { sparse?: string }).sparse).toBe('on');
    expect((off.provenance.train as { sparse?: string }).sparse).toBe('off');
    expect('sparse' in (loadModel(file('default')).provenance.train as object)).toBe(false);
    on.layers.forEach((l, i) => {
      expect(Array.from(l.mask!)).toEqual(Array.from(off.layers[i].mask!));
      const scale = Math.max(...off.layers[i].weight.map(Math.abs));
      for (let j = 0; j < l.weight.length; j++) expect(Math.abs(l.weight[j] - off.layers[i].weight[j])).toBeLessThan(1e-3 * scale);
    });
    expect(results.on.accuracy).toBe(results.off.accuracy);
  });

  it('prune fine-tunes with it; refusals exit 2 (an unknown mode; prune without --data)', async () => {
    const model = join(tmp.dir, 'dense.safetensors');
    expect((await run(['train', '--data', 'iris', '--hidden', '16', '--epochs', '5', '--out', model])).code).toBe(0);
    const out = join(tmp.dir, 'pruned.safetensors');
    const r = await run([
      'prune',
      '--model',
      model,
      '--data',
      'iris',
      '--sparsity',
      '0.9',
      '--finetune-epochs',
      '2',
      '--sparse-kernels',
      'on',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).sparsity).toBeCloseTo(0.9, 2);
    const bad = await run([...SET, '--sparse-kernels', 'always', '--out', out]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--sparse-kernels: expected one of auto\|on\|off, got 'always'/);
    expect((await run(['prune', '--model', model, '--sparsity', '0.5', '--sparse-kernels', 'on', '--out', out])).code).toBe(2);
    expect((await run(['prune', '--model', model, '--data', 'iris', '--sparsity', '0.5', '--sparse-kernels', 'x', '--out', out])).code).toBe(2);
    expect((await run(['sweep', '--data', 'iris', '--sparse-kernels', 'x', '--report', join(tmp.dir, 'r')])).code).toBe(2);
    expect((await run(['demo', '--sparse-kernels', 'x', '--report', join(tmp.dir, 'r')])).code).toBe(2);
  });
});
