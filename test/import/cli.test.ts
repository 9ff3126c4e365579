// prunekit import end to end through main(): the imported file works unchanged with eval, prune,
// compact, predict and the runtime, and predicts what the source framework predicted.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModelSync } from '../../src/runtime/index.js';
import { FIXTURES, inputsOf, maxAbsDiff, references } from './fixtures.js';
import { runCli as cli } from '../helpers/cli.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'pk-import-cli-'));

describe('prunekit import (CLI)', () => {
  it('scikit-learn pipeline: import → compact → runtime predicts exactly what scikit-learn predicted, with its labels', async () => {
    const dir = tmp();
    const name = 'sklearn-pipeline-iris.onnx';
    const model = join(dir, 'iris.safetensors'),
      compact = join(dir, 'iris.compact.safetensors');
    const imp = await cli(['import', '--from', FIXTURES + name, '--out', model]);
    expect(imp.code).toBe(0);
    expect(imp.out).toMatch(/imported sklearn-pipeline-iris\.onnx \(onnx, skl2onnx 1\.13, opset 15\): 4 → 16 relu → 3/);
    expect(imp.out).toMatch(/labels: setosa, versicolor, virginica/);
    expect((await cli(['compact', '--model', model, '--out', compact])).code).toBe(0);
    const rt = loadModelSync(readFileSync(compact), { warmUp: false });
    const ref = references[name];
    const rows = inputsOf(name);
    expect(Array.from(rt.predict(rows), (i) => rt.labels[i])).toEqual(ref.predictions);
    const p = rt.predictProba(rows);
    const probs = rows.map((_, i) => Array.from(p.subarray(3 * i, 3 * i + 3)));
    expect(maxAbsDiff(probs, ref.probabilities!)).toBeLessThanOrEqual(1e-5);

    // predict (CLI) on the raw features, as a CSV without the label column
    const csv = join(dir, 'x.csv');
    writeFileSync(csv, rows.map((r) => r.join(',')).join('\n') + '\n');
    const pr = await cli(['predict', '--model', compact, '--input', csv]);
    expect(pr.code).toBe(0);
    expect(pr.out.trim().split('\n')).toEqual(ref.predictions);
  });

  it('torch state dict: import --json → eval and prune work unchanged; compact predicts as torch did', async () => {
    const dir = tmp();
    const name = 'torch-seq.safetensors';
    const model = join(dir, 'seq.safetensors');
    const imp = await cli(['import', '--from', FIXTURES + name, '--out', model, '--activation', 'relu,tanh', '--labels', 'a,b,c', '--json']);
    expect(imp.code).toBe(0);
    const j = JSON.parse(imp.out);
    expect(Object.keys(j)).toEqual(['out', 'bytes', 'source', 'sizes', 'layers', 'labels', 'features', 'preprocessing', 'notes']);
    expect(j.features).toEqual([]); // a state dict names no features
    expect(j.source).toMatchObject({ file: name, format: 'safetensors', layout: 'out-in' });
    expect(j.source.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(j.sizes).toEqual([8, 16, 12, 3]);
    expect(j.layers.map((l: { activation: string; from: string }) => [l.from, l.activation])).toEqual([
      ['1', 'relu'],
      ['4', 'tanh'],
      ['6', 'identity'],
    ]);
    expect(j.labels).toEqual(['a', 'b', 'c']);
    expect(j.preprocessing).toBeNull();

    const ev = await cli(['eval', '--model', model, '--data', FIXTURES + 'blobs8-test.csv', '--json']);
    expect(ev.code).toBe(0);
    expect(JSON.parse(ev.out).sizes).toEqual([8, 16, 12, 3]);

    const pruned = join(dir, 'pruned.safetensors');
    const pr = await cli(['prune', '--model', model, '--data', FIXTURES + 'blobs8-train.csv', '--sparsity', '0.5', '--out', pruned, '--json']);
    expect(pr.code).toBe(0);

    const compact = join(dir, 'seq.compact.safetensors');
    expect((await cli(['compact', '--model', model, '--out', compact])).code).toBe(0);
    const rt = loadModelSync(readFileSync(compact), { warmUp: false });
    const ref = references[name];
    expect(Array.from(rt.predict(inputsOf(name)), (i) => ['a', 'b', 'c'].indexOf(rt.labels[i]))).toEqual(ref.predictions.map(Number));
  });

  it('usage errors exit 2 and write nothing', async () => {
    const dir = tmp();
    const out = join(dir, 'm.safetensors');
    const from = FIXTURES + 'torch-seq.safetensors';
    for (const args of [
      ['--out', out],
      ['--from', from],
      ['--from', from, '--out', out, '--layout', 'columns'],
      ['--from', from, '--out', out, '--activation', 'gelu'],
      ['--from', from, '--out', out, '--labels', 'a,,b'],
      ['--from', FIXTURES + 'no-such-file.onnx', '--out', out],
    ]) {
      const r = await cli(['import', ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/usage: prunekit import/);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('is listed by prunekit --help', async () => {
    expect((await cli(['--help'])).out).toMatch(/import +import an MLP trained elsewhere/);
  });
});
