// What compact and info print about sizes and the CSR crossover agrees with the numbers behind it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { crossoverAt } from '../src/kernels/crossover.js';
import { runCli as run } from './helpers/cli.js';

describe('compact and info text', () => {
  it("compact --help states the crossover table's sparsities", async () => {
    const r = await run(['compact', '--help']);
    const text = (r.out + r.err).replace(/\s+/g, ' ');
    expect(text).toContain(`≈ ${crossoverAt(1) * 100}% sparsity at batch 1, ≈ ${crossoverAt(64) * 100}% at batch 64`);
  });

  it('compact and info name their two different dense f32 sizes (before / after dead-neuron removal)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-compact-text-'));
    const m = join(dir, 'm.safetensors'),
      p = join(dir, 'p.safetensors'),
      c = join(dir, 'm.prunekit');
    expect((await run(['import', '--from', 'test/fixtures/import/sklearn-pipeline-iris.onnx', '--out', m])).code).toBe(0);
    expect((await run(['prune', '--model', m, '--sparsity', '0.5', '--out', p])).code).toBe(0);
    const compacted = await run(['compact', '--model', p, '--out', c]);
    const cj = JSON.parse((await run(['compact', '--model', p, '--out', c, '--json'])).out);
    const info = await run(['info', c]);
    const ij = JSON.parse((await run(['info', c, '--json'])).out);
    expect(compacted.out).toContain(`the input model as a dense f32 file, before dead-neuron removal: ${cj.denseBytes} bytes`);
    expect(info.out).toContain(`its layers as dense f32, after dead-neuron removal: ${ij.denseBytes} bytes`);
    expect(ij.denseBytes).toBeLessThan(cj.denseBytes); // this model loses dead neurons in compaction
  });
});
