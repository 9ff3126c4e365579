/**
 * Where a compact file's bytes go, in the sweep report: `fileParts` (info's parts + the header,
 * summing to the file size), the report's "smallest file", the HTML table, and the sweep and demo
 * flags that store the points in format_version 2 — with the defaults still writing exactly
 * compact's default file (format_version 1, f32).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compact } from '../src/compact/compact.js';
import { loadData } from '../src/data/index.js';
import { renderReport } from '../src/report/html.js';
import { summarize } from '../src/report/summary.js';
import { fileParts, SMALL_FILE, smallFile } from '../src/report/file-parts.js';
import type { FileParts, SweepReport } from '../src/report/report-types.js';
import { runSweep } from '../src/report/sweep.js';
import { decodeModel, encodeModel } from '../src/sparse/format.js';
import { describeModel } from '../src/sparse/info.js';
import { runCli as run } from './helpers/cli.js';
import { tinyModel } from './helpers/models.js';
import { sampleReport, sampleReportWithParts } from './helpers/report-sample.js';
import { tempDir } from './helpers/tmp.js';

const sum = (p: FileParts) => p.weight + p.indices + p.indptr + p.codebook + p.tables + p.bias + p.preprocessing + p.header;

/** A 4-8-3 model with every other weight zeroed (50% sparse). */
function halfPruned() {
  const m = tinyModel([4, 8, 3], 7);
  for (const L of m.layers) for (let i = 0; i < L.weight.length; i += 2) L.weight[i] = 0;
  return m;
}

describe('fileParts', () => {
  it('dense f32: weights 4·(4·8 + 8·3) = 224 B, biases 4·(8 + 3) = 44 B, the header the rest of the file', () => {
    const c = compact(tinyModel([4, 8, 3], 7), { layout: 'dense', values: 'f32' }).compact;
    const bytes = encodeModel(c);
    const p = fileParts(c, bytes.length);
    expect(p).toEqual({ weight: 224, indices: 0, indptr: 0, codebook: 0, tables: 0, bias: 44, preprocessing: 0, header: bytes.length - 268 });
    expect(p.header).toBeGreaterThan(0);
  });

  it("version 2 CSR with k-means codes and Huffman: info's parts summed, and the parts sum to the file size", () => {
    const c = compact(halfPruned(), { layout: 'csr', values: 'kmeans', bits: 3, index: 'delta:4', entropy: 'huffman' }).compact;
    const bytes = encodeModel(c);
    const p = fileParts(c, bytes.length);
    expect(sum(p)).toBe(bytes.length);
    const layers = describeModel(c, bytes.length).layers;
    for (const k of ['weight', 'indices', 'indptr', 'codebook', 'tables', 'bias'] as const) expect(p[k]).toBe(layers.reduce((s, l) => s + l.bytes[k], 0));
    expect(p.indices).toBeGreaterThan(0);
    expect(p.codebook).toBeGreaterThan(0);
    expect(fileParts(decodeModel(bytes), bytes.length)).toEqual(p); // the reader accounts as the writer
  });

  it('smallFile: the model stored with 4-bit codes and Huffman, its parts summing to its size, its accuracy as decoded', async () => {
    const { test } = await loadData('iris', { seed: 1 });
    const s = smallFile(halfPruned(), test, [1]);
    expect(s.flags).toBe('--values kmeans:4 --index auto --entropy huffman');
    expect(sum(s.parts)).toBe(s.bytes);
    expect(s.bytes).toBe(encodeModel(compact(halfPruned(), { ...SMALL_FILE, batchSizes: [1] }).compact).length);
    expect(s.accuracy).toBeGreaterThanOrEqual(0);
    expect(s.accuracy).toBeLessThanOrEqual(1);
  });
});

describe('the report table', () => {
  const withParts = sampleReportWithParts;

  it('has a row per point and the dense file, each with its parts and a stacked bar', () => {
    const r = withParts();
    const html = renderReport(r);
    const table = /<table data-table="bytes">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect((table.match(/<tr/g) ?? []).length).toBe(r.points.length + 2); // head + dense + points
    expect((table.match(/class="stack"/g) ?? []).length).toBe(r.points.length + 1);
    expect(table).toContain('>1,066,160<');
    expect(table).toContain('4.0×'); // bytes ÷ (bytes / 4)
    expect(table).toContain('(−0.2)'); // 0.2 points lost by the smallest file
    expect(html).toContain('--values kmeans:4 --index auto --entropy huffman');
  });

  it('the memory sentence says what the smallest file of the headline point weighs and costs', () => {
    // headline: 90%, 166,700 B → 41,675 B = 41.7 kB; 1,067,000 / 41,675 = 25.6×; 97.35% − 0.2 = 97.15%
    expect(summarize(withParts())[3]).toContain(
      'Stored with --values kmeans:4 --index auto --entropy huffman, the 90% model would take 41.7 kB (25.6× smaller than dense) at 97.15% test accuracy (−0.2 points).',
    );
    expect(summarize(sampleReport())[3]).not.toContain('Stored with');
    const already = sampleReportWithParts();
    for (const p of already.points) p.smallFile!.bytes = p.bytes; // the sweep stored its points that way itself
    expect(summarize(already)[3]).not.toContain('Stored with');
  });

  it('a report without parts (written before they were recorded) renders without the table', () => {
    const html = renderReport(sampleReport());
    expect(html).not.toContain('data-table="bytes"');
    expect(html).toContain('data-table="points"');
  });
});

describe('sweep and demo: parts in report.json, format_version 2 on request', () => {
  const { dir } = tempDir('report-bytes');
  const tiny = ['--data', 'iris', '--hidden', '8', '--epochs', '3', '--batch', '16', '--sparsities', '0.5,0.8', '--runs', '1', '--finetune-epochs', '0'];

  it("default sweep: each point's parts sum to its file size, format_version 1, and a smallest file", async () => {
    const rep = join(dir, 'v1');
    const s = await run(['sweep', ...tiny, '--report', rep, '--json']);
    expect(s.code, s.err).toBe(0);
    const r = JSON.parse(readFileSync(join(rep, 'report.json'), 'utf8')) as SweepReport;
    expect(sum(r.dense.parts!)).toBe(r.dense.bytes);
    expect(r.dense.parts!.preprocessing).toBe(32); // iris is standardised: mean and scale, 4 inputs × 4 B each
    for (const p of r.points) {
      expect(sum(p.parts!)).toBe(p.bytes);
      expect(p.formatVersion).toBe(1);
      expect(p.parts!.codebook).toBe(0); // f32 values
      expect(sum(p.smallFile!.parts)).toBe(p.smallFile!.bytes);
      expect(p.smallFile!.parts.codebook).toBeGreaterThan(0); // k-means values
    }
    expect(readFileSync(join(rep, 'report.html'), 'utf8')).toContain('data-table="bytes"');

    // the smallest file is what sweep writes with those flags: same bytes, same parts
    const small = join(dir, 'small');
    expect((await run(['sweep', ...tiny, ...r.points[0].smallFile!.flags.split(' '), '--report', small, '--json'])).code).toBe(0);
    const rs = JSON.parse(readFileSync(join(small, 'report.json'), 'utf8')) as SweepReport;
    expect(rs.points.map((p) => [p.formatVersion, p.bytes, p.parts])).toEqual(r.points.map((p) => [2, p.smallFile!.bytes, p.smallFile!.parts]));
  });

  it("the default sweep's files are exactly compact's defaults (format_version 1, f32): nothing changed for existing users", async () => {
    const data = await loadData('iris', { seed: 42 });
    const o = { hidden: [8], activation: 'relu' as const, seed: 42, train: { epochs: 2 }, sparsities: [0.5], criteria: ['magnitude' as const] };
    const r = await runSweep({
      ...o,
      data,
      dataSpec: 'iris',
      scopes: ['global'],
      schedules: ['oneshot'],
      finetuneEpochs: 0,
      runs: 1,
      batches: [1],
      keepModels: true,
    });
    const expected = encodeModel(compact(r.pruned[0], { values: 'f32', batchSizes: [1] }).compact);
    expect(Buffer.from(r.compactFiles[0]).equals(Buffer.from(expected))).toBe(true);
    expect(r.report.points[0].formatVersion).toBe(1);
  });

  it('demo --format 2 --values kmeans:4 --entropy huffman writes a version 2 file that info, eval and predict read', async () => {
    const rep = join(dir, 'demo2');
    const d = await run(['demo', ...tiny, '--sparsities', '0.9', '--values', 'kmeans:4', '--entropy', 'huffman', '--format', '2', '--report', rep, '--json']);
    expect(d.code, d.err).toBe(0);
    const r = JSON.parse(readFileSync(join(rep, 'report.json'), 'utf8')) as SweepReport;
    expect(r.points[0].formatVersion).toBe(2);
    const file = join(rep, 'model-90.prunekit.safetensors');
    const info = JSON.parse((await run(['info', file, '--json'])).out);
    expect(info.format_version).toBe(2);
    expect(info.bytes).toBe(r.points[0].bytes);
    expect(info.layers.reduce((s: number, l: { bytes: { codebook: number } }) => s + l.bytes.codebook, 0)).toBe(r.points[0].parts!.codebook);
    const e = await run(['eval', '--model', file, '--data', 'iris', '--json']);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).kind).toBe('compact');
    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n');
    const p = await run(['predict', '--model', file, '--input', csv, '--json']);
    expect(p.code, p.err).toBe(0);
    expect(p.out).toMatch(/setosa|versicolor|virginica/);
  });

  it('sweep --format 1 with --entropy huffman is a usage error', async () => {
    const bad = await run(['sweep', '--data', 'iris', '--format', '1', '--entropy', 'huffman', '--report', join(dir, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--entropy huffman needs --format 2/);
  });
});
