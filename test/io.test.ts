import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMLP } from '../src/nn/model.js';
import { decodeMLP, encodeMLP, loadModel, saveModel } from '../src/nn/io.js';

const bitsEqual = (a: ArrayBufferView, b: ArrayBufferView) =>
  Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('training-model file', () => {
  const m = createMLP(
    { sizes: [4, 5, 3], activation: 'tanh', seed: 9 },
    {
      mean: Float32Array.of(1, 2, 3, 4),
      scale: Float32Array.of(0.5, 1, 2, 3),
      featureNames: ['a', 'b', 'c', 'd'],
      labelNames: ['x', 'y', 'z'],
    },
  );
  m.layers[0].mask = new Uint8Array(20).map((_, i) => i % 2);
  m.layers[0].weight.forEach((_, i) => {
    if (i % 2 === 0) m.layers[0].weight[i] = 0;
  });
  m.provenance = { note: 'test', nested: { a: [1, 2] } };

  it('round-trips exactly: weights, masks, biases, activations, preprocessing, provenance', () => {
    const back = decodeMLP(encodeMLP(m));
    back.layers.forEach((l, i) => {
      expect(bitsEqual(l.weight, m.layers[i].weight)).toBe(true);
      expect(bitsEqual(l.bias, m.layers[i].bias)).toBe(true);
      expect(l.activation).toBe(m.layers[i].activation);
    });
    expect(Array.from(back.layers[0].mask!)).toEqual(Array.from(m.layers[0].mask!));
    expect(back.layers[1].mask).toBeUndefined();
    expect(Array.from(back.preprocessing.scale!)).toEqual([0.5, 1, 2, 3]);
    expect(back.preprocessing.labelNames).toEqual(['x', 'y', 'z']);
    expect(back.provenance).toEqual(m.provenance);
  });

  it('saves atomically and loads; a failed write leaves the old file intact and no temp files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-io-'));
    const p = join(dir, 'm.safetensors');
    saveModel(p, m);
    const before = readFileSync(p);
    expect(loadModel(p).layers).toHaveLength(2);
    const bad = { ...m, provenance: { big: 1n } as unknown as Record<string, unknown> }; // JSON.stringify throws on BigInt
    expect(() => saveModel(p, bad)).toThrow();
    expect(readFileSync(p).equals(before)).toBe(true);
    expect(readdirSync(dir)).toEqual(['m.safetensors']);
  });

  it('rejects files that are not prunekit training models, naming the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-io-'));
    const p = join(dir, 'x.safetensors');
    writeFileSync(p, Buffer.from('not a model at all'));
    expect(() => loadModel(p)).toThrow(/x\.safetensors/);
    expect(() => loadModel(join(dir, 'missing'))).toThrow(/cannot read model file .*missing: ENOENT/);
    const bytes = encodeMLP(m);
    const text = Buffer.from(bytes).toString('latin1').replace('"format_version":"1"', '"format_version":"9"');
    expect(() => decodeMLP(Buffer.from(text, 'latin1'))).toThrow(/unsupported format_version "9"/);
    expect(existsSync(p)).toBe(true);
  });
});
