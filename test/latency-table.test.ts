/**
 * The latency table's portable module (src/report/latency-table.ts) in Node: layer shapes from a
 * model file, the page's layer-size field, the measured table's shape (with Node's runtime) and
 * its check, and `prunekit latency-page`. The page itself runs in test/browser/latency-page.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { encodeMLP } from '../src/nn/io.js';
import { createMLP } from '../src/nn/model.js';
import { shapesFromSizes } from '../src/report/latency-page.js';
import { DENSITY_GRID, layerShapesOf, measureLatencyTable, validateLatencyTable } from '../src/report/latency-table.js';
import { loadModelSync } from '../src/runtime/index.js';
import { encodeModel } from '../src/sparse/format.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('latency-table');
const model = createMLP({ sizes: [6, 5, 3], activation: 'relu', seed: 2 });
const shapes = [
  { inFeatures: 6, outFeatures: 5 },
  { inFeatures: 5, outFeatures: 3 },
];

describe('layer shapes', () => {
  it('from a training-model file; a compact or foreign file is refused by name', () => {
    expect(layerShapesOf(encodeMLP(model), 'm.safetensors')).toEqual(shapes);
    expect(() => layerShapesOf(encodeModel(compact(model).compact), 'c.prunekit')).toThrow(/c\.prunekit: a compact model file; pick the training model/);
    expect(() => layerShapesOf(new TextEncoder().encode('hello'), 'notes.txt')).toThrow(/^notes\.txt: /);
  });

  it('from the layer-size field', () => {
    expect(shapesFromSizes('6, 5,3')).toEqual(shapes);
    for (const bad of ['6', '6,0', '6,x', '6,2.5', '']) expect(() => shapesFromSizes(bad)).toThrow(/layer sizes: expected whole numbers ≥ 1/);
  });
});

describe('measureLatencyTable (portable, given the runtime)', () => {
  it('times every layer at every grid density and passes its own check', async () => {
    const t = await measureLatencyTable(shapes, 2, loadModelSync, { runs: 1, where: 'test' });
    expect(t.batch).toBe(2);
    expect(t.measuredOn).toMatch(/ kernels, test$/);
    expect(t.layers.map((l) => [l.inFeatures, l.outFeatures])).toEqual([
      [6, 5],
      [5, 3],
    ]);
    for (const l of t.layers) expect(l.csr.map((c) => c.density)).toEqual(DENSITY_GRID.filter((d) => d < 1));
    expect(validateLatencyTable(JSON.parse(JSON.stringify(t)), shapes, 't.json')).toEqual(t);
    await expect(measureLatencyTable(shapes, 0, loadModelSync)).rejects.toThrow(/batch size must be a whole number ≥ 1, got 0/);
  });

  it('refuses a table that is not an object, or has no layers list', () => {
    expect(() => validateLatencyTable([], shapes, 't.json')).toThrow(/t\.json: the table must be a JSON object/);
    expect(() => validateLatencyTable({ batch: 1 }, shapes, 't.json')).toThrow(/t\.json: layers must be a list .*got nothing/);
    expect(() => validateLatencyTable({ batch: 1, layers: [null, null] }, shapes, 't.json')).toThrow(/t\.json: layers\[0\] must be an object/);
    expect(() => validateLatencyTable({ batch: 1, measuredOn: 3, layers: [] }, shapes, 't.json')).toThrow(/t\.json: measuredOn must be a string/);
  });
});

describe('prunekit latency-page', () => {
  it('writes the built page, and needs --out', async () => {
    const out = join(tmp.dir, 'page.html');
    const r = await runCli(['latency-page', '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote .*page\.html \(\d+ KB\)/);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!doctype html>[\s\S]*<script type="module">[\s\S]*<\/script>\s*$/);
    expect(html.match(/<\/script>/g)).toHaveLength(1); // the inlined bundle does not end the element early
    expect((await runCli(['latency-page'])).code).toBe(2);
    expect((await runCli(['latency-page', '--out', tmp.dir])).code).toBe(2);
  });
});
