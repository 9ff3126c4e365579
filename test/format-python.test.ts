/**
 * FORMAT.md's Python reader (numpy only), extracted from the document and run with python3 on a
 * file we write: it must rebuild the same dense weights (for dense, CSR u8/u16/u32, f16, k-means).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { createMLP } from '../src/nn/model.js';
import { type CompactModel, denseWeight, encodeModel } from '../src/sparse/format.js';
import { decodeSafetensors } from '../src/util/safetensors.js';
import { smallModelV2 } from './helpers/crafted-models.js';

// Resolve the real interpreter once (pyenv shims take seconds per start) and check numpy is there:
// Debian's /usr/bin/python3 with python3-numpy first (what CI installs), then python3 on PATH.
const probes = ['/usr/bin/python3', 'python3'].map((exe) => spawnSync(exe, ['-c', 'import sys, numpy; print(sys.executable)'], { encoding: 'utf8' }));
const found = probes.find((p) => p.status === 0);
const python = found ? found.stdout.trim() : '';
// CI (and anyone who sets PRUNEKIT_REQUIRE_PYTHON=1) must run this test; elsewhere a skip is announced.
const required = !!process.env.CI || process.env.PRUNEKIT_REQUIRE_PYTHON === '1';
if (!found && !required) {
  process.stderr.write(
    "\n*** SKIPPED test/format-python.test.ts: no python3 with numpy (apt-get install python3-numpy); FORMAT.md's Python reader is NOT checked ***\n\n",
  );
}
const dir = mkdtempSync(join(tmpdir(), 'prunekit-py-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FORMAT.md Python reader', () => {
  it.runIf(required && !found)('has python3 with numpy (required in CI)', () => {
    expect.fail('no python3 with numpy found (tried /usr/bin/python3 and python3 on PATH); install python3-numpy');
  });

  it.skipIf(!found)('rebuilds the dense weights of our files (python3 + numpy)', () => {
    const md = readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8');
    const reader = /```python\n([\s\S]*?)```/.exec(md)![1];
    expect(reader.split('\n').length).toBeLessThan(30);
    const m = createMLP({ sizes: [300, 40, 20, 3], activation: 'tanh', seed: 3 });
    m.layers.forEach((l, k) => {
      l.weight = l.weight.map((w, i) => ((i * 7 + k) % 10 < 8 ? 0 : w));
    });
    const variants = {
      f32: compact(m, { layout: 'csr' }).compact, // u16, u8, u8 indices
      u32: compact(m, { layout: 'csr', index: 'u32' }).compact,
      dense: compact(m, { layout: 'dense', values: 'f16' }).compact,
      kmeans: compact(m, { values: 'kmeans', bits: 4, layout: 'csr' }).compact,
    };
    const files = Object.keys(variants).map((name) => join(dir, `${name}.safetensors`));
    Object.values(variants).forEach((c, i) => writeFileSync(files[i], encodeModel(c)));
    const script = `${reader}\nimport sys, json\nprint(json.dumps([[[W.shape, W.astype(float).ravel().tolist(), b.astype(float).tolist(), a] for W, b, a in read_prunekit(f)[0]] for f in sys.argv[1:]]))`;
    const all = JSON.parse(execFileSync(python, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 1 << 27 }));
    Object.values(variants).forEach((c, f) => {
      const got = all[f];
      c.layers.forEach((L, i) => {
        const [shape, W, b, act] = got[i];
        expect(shape).toEqual([L.outFeatures, L.inFeatures]);
        expect(act).toBe(L.activation);
        const want = denseWeight(L);
        expect(W.length).toBe(want.length);
        expect(W.findIndex((v: number, k: number) => v !== want[k])).toBe(-1); // exact: f32 → f64 is exact
        expect(b).toEqual(Array.from(L.bias));
      });
    });
  });

  it.skipIf(!found)('the version 2 reader rebuilds the weights and names of version 2 (and 1) files', () => {
    const md = readFileSync(new URL('../FORMAT.md', import.meta.url), 'utf8');
    const reader = [...md.matchAll(/```python\n([\s\S]*?)```/g)].map((b) => b[1]).find((b) => b.includes('def read_prunekit_v2'))!;
    const m = createMLP({ sizes: [300, 40, 20, 3], activation: 'tanh', seed: 5 });
    m.layers.forEach((l, k) => {
      l.weight = l.weight.map((w, i) => ((i * 7 + k) % 20 < 19 ? 0 : w));
    });
    m.preprocessing.featureNames = Array.from({ length: 300 }, (_, i) => `px${i}`);
    const variants: CompactModel[] = [
      compact(m, { values: 'kmeans', bits: 4, entropy: 'huffman', layout: 'csr' }).compact, // auto: relative indices, Huffman streams
      compact(m, { values: 'f16', index: 'delta:4', layout: 'csr' }).compact, // many fillers
      compact(m, { values: 'f32', index: 'delta:8', layout: 'csr' }).compact,
      compact(m, { values: 'kmeans', bits: 3, formatVersion: 2, layout: 'dense' }).compact, // packed dense codes
      smallModelV2(),
      compact(m, { values: 'kmeans', bits: 4, layout: 'csr' }).compact, // version 1
    ];
    const files = variants.map((c, i) => {
      const f = join(dir, `v2-${i}.safetensors`);
      writeFileSync(f, encodeModel(c));
      return f;
    });
    const script = `${reader}\nimport sys, json\nprint(json.dumps([[[[W.shape, W.astype(float).ravel().tolist(), b.astype(float).tolist(), a] for W, b, a in L], m["features"]] for L, m in map(read_prunekit_v2, sys.argv[1:])]))`;
    const all = JSON.parse(execFileSync(python, ['-c', script, ...files], { encoding: 'utf8', maxBuffer: 1 << 27 }));
    expect(JSON.parse(decodeSafetensors(encodeModel(variants[0])).metadata.prunekit).features).toEqual({ prefix: 'px', count: 300 });
    variants.forEach((c, f) => {
      const [layers, features] = all[f];
      expect(features).toEqual(c.preprocessing.featureNames);
      c.layers.forEach((L, i) => {
        const [shape, W, b, act] = layers[i];
        expect(shape).toEqual([L.outFeatures, L.inFeatures]);
        expect(act).toBe(L.activation);
        const want = denseWeight(L);
        expect(W.findIndex((v: number, k: number) => v !== want[k])).toBe(-1);
        expect(b).toEqual(Array.from(L.bias));
      });
    });
  });
});
