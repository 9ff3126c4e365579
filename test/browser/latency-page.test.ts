/**
 * The latency page end to end in headless Chromium: `prunekit latency-page` writes the built page;
 * served on 127.0.0.1, it measures the latency table of a tiny trained model picked in its file
 * input; that table (checked field by field) drives `fitToBudget`; the delivered compact model is
 * timed on the same page and must meet the budget there. The budget is generous on purpose (no
 * speed is asserted: this checks the pipeline, not the machine). A malformed table gives an error
 * naming the file and the field, from the library and from `prunekit fit`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createMLP } from '../../src/nn/model.js';
import { encodeMLP } from '../../src/nn/io.js';
import { train } from '../../src/nn/train.js';
import { trainerContext } from '../../src/prune/trainer.js';
import { encodeModel } from '../../src/sparse/format.js';
import { DENSITY_GRID, fitToBudget } from '../../src/report/fit.js';
import { layerShapesOf, parseLatencyTable, validateLatencyTable, type LatencyTable } from '../../src/report/latency-table.js';
import type { SplitDataset } from '../../src/data/types.js';
import { blobs } from '../helpers/datasets.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { hasChromium, launchChromium, serveStatic } from '../helpers/chromium.js';

if (!hasChromium) console.warn('SKIPPED: the latency page tests — /usr/bin/chromium is missing (apt-get install -y chromium)');

const BATCH = 4;
const tmp = tempDir('latency-page');
const data: SplitDataset = { train: blobs(40, 8, 3, 1), test: blobs(15, 8, 3, 2), mean: null, scale: null };
const model = createMLP({ sizes: [8, 16, 3], activation: 'relu', seed: 3 });
const shapes = model.layers.map((l) => ({ inFeatures: l.inFeatures, outFeatures: l.outFeatures }));

type Pick = { name: string; mimeType: string; buffer: Buffer };
const upload = (name: string, bytes: Uint8Array): Pick => ({ name, mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });

/** Waits until the element's data-state is done or error; returns [state, text]. */
async function settled(page: Page, selector: string): Promise<[string, string]> {
  await page.waitForSelector(`${selector}[data-state=done], ${selector}[data-state=error]`, { timeout: 15_000 });
  return page.$eval(selector, (el) => [(el as HTMLElement).dataset.state ?? '', el.textContent ?? '']);
}

describe.skipIf(!hasChromium)('the latency page in headless Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let page: Page;
  let table: LatencyTable;

  beforeAll(async () => {
    await train(model, data, { epochs: 5, lr: 0.05, seed: 1 });
    const written = await runCli(['latency-page', '--out', join(tmp.dir, 'latency.html'), '--json']);
    expect(written.code, written.err).toBe(0);
    expect(JSON.parse(written.out).bytes).toBeGreaterThan(10_000);
    server = await serveStatic({ '/': ['text/html', readFileSync(join(tmp.dir, 'latency.html'))] });
    browser = await launchChromium();
    page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server.base}/?batch=${BATCH}&runs=3`);
    await page.waitForSelector('#measure');
    expect(errors).toEqual([]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('measures the table of the picked model file: same grid and shapes as Node, a valid --latency-table file', async () => {
    await page.setInputFiles('#model', upload('tiny.safetensors', encodeMLP(model)));
    await page.click('#measure');
    const [state, text] = await settled(page, '#status');
    expect(state, text).toBe('done');
    table = parseLatencyTable(await page.inputValue('#table'), shapes, 'the page');
    expect(table.batch).toBe(BATCH);
    expect(table.measuredOn).toMatch(/^simd kernels, .*Chrome/);
    for (const row of table.layers) expect(row.csr.map((c) => c.density)).toEqual(DENSITY_GRID.filter((d) => d < 1));
    expect(table.call_us).toBeGreaterThan(0);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('latency-table.json');
    expect(readFileSync((await download.path())!, 'utf8')).toBe(await page.inputValue('#table'));
  }, 60_000);

  it('the table drives fit, and the delivered model meets the budget when timed on the page', async () => {
    expect(table).toBeDefined();
    // Generous: 20× the dense model's time the table predicts, and at least 2 ms.
    const budget = Math.max(2000, 20 * ((table.call_us ?? 0) + table.layers.reduce((a, l) => a + l.dense_us, 0)));
    const ctx = trainerContext(data, { trainMetrics: false });
    const fit = await fitToBudget(model, data, ctx, { budget: { maxLatencyUs: budget, batch: BATCH }, latencyTable: table, finetuneEpochs: 1, runs: 3 });
    expect(fit.latencyTable).toBe(table);
    expect(fit.met).toBe(true);
    expect(fit.predicted.cost).toBeLessThanOrEqual(budget);
    const delivered = encodeModel(fit.model);
    expect(() => layerShapesOf(delivered, 'fitted.prunekit')).toThrow(/fitted\.prunekit: a compact model file; pick the training model/);
    await page.setInputFiles('#delivered', upload('fitted.prunekit', delivered));
    await page.fill('#budget', String(budget));
    await page.click('#time');
    const [state, text] = await settled(page, '#timing');
    expect(state, text).toBe('done');
    const median = Number(await page.$eval('#timing', (el) => (el as HTMLElement).dataset.medianUs));
    expect(median).toBeGreaterThan(0);
    expect(median).toBeLessThanOrEqual(budget);
    expect(text).toMatch(new RegExp(`at batch ${BATCH} .*within the ${budget} µs budget`));
  }, 60_000);

  it('says what is wrong with the form instead of measuring', async () => {
    const fresh = await browser.newPage();
    await fresh.goto(`${server.base}/?sizes=8,x`);
    await fresh.click('#measure');
    expect(await settled(fresh, '#status')).toEqual(['error', expect.stringMatching(/layer sizes: expected whole numbers ≥ 1 .*got "8,x"/)]);
    // dropped on the first section, as a user drags a file in
    const drop = await fresh.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['not a model'], 'notes.txt'));
      return dt;
    });
    await fresh.dispatchEvent('#measure-part', 'drop', { dataTransfer: drop });
    expect(await fresh.$eval('#model', (el) => (el as HTMLInputElement).files?.[0]?.name)).toBe('notes.txt');
    await fresh.click('#measure');
    expect((await settled(fresh, '#status'))[1]).toMatch(/notes\.txt: /);
    await fresh.close();
  });

  it('a malformed table is refused, naming the file and the field (library and prunekit fit)', async () => {
    expect(table).toBeDefined();
    const bad = (edit: (t: LatencyTable) => void) => {
      const t = structuredClone(table);
      edit(t);
      return t;
    };
    const cases: [LatencyTable, RegExp][] = [
      [bad((t) => (t.layers[1].csr[3].us = -1)), /t\.json: layers\[1\]\.csr\[3\]\.us must be a finite number ≥ 0 \(µs\), got -1/],
      [bad((t) => ((t.layers[0] as { dense_us: unknown }).dense_us = 'fast')), /t\.json: layers\[0\]\.dense_us must be a finite number ≥ 0/],
      [bad((t) => (t.batch = 0)), /t\.json: batch must be a whole number ≥ 1, got 0/],
      [bad((t) => (t.call_us = Number.NaN)), /t\.json: call_us must be a finite number ≥ 0 \(µs\), got null/],
      [bad((t) => (t.layers[0].inFeatures = 9)), /t\.json: layers\[0\] is 16×9 \(outFeatures×inFeatures\), the model's is 16×8/],
      [bad((t) => t.layers.pop()), /t\.json: 1 layers, the model has 2/],
      [bad((t) => (t.layers[0].csr = [])), /t\.json: layers\[0\]\.csr must be a non-empty list/],
      [bad((t) => (t.layers[0].csr[1].density = t.layers[0].csr[0].density)), /t\.json: layers\[0\]\.csr\[1\]\.density must be different/],
    ];
    // NaN is not JSON: through a file it arrives as null, which is what the check sees
    for (const [t, msg] of cases) expect(() => validateLatencyTable(JSON.parse(JSON.stringify(t)), shapes, 't.json')).toThrow(msg);
    expect(() => parseLatencyTable('{"batch": 4,', shapes, 't.json')).toThrow(/t\.json: not a JSON latency table/);

    const modelFile = tmp.file(encodeMLP(model), 'tiny.safetensors');
    const tableFile = tmp.file(JSON.stringify(cases[0][0]), 'bad-table.json');
    const r = await runCli(
      ['fit', '--model', modelFile, '--data', 'iris', '--max-latency-us', '100', '--batch', String(BATCH)].concat([
        '--latency-table',
        tableFile,
        '--out',
        join(tmp.dir, 'never.prunekit'),
      ]),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad-table\.json: layers\[1\]\.csr\[3\]\.us must be a finite number ≥ 0/);
    writeFileSync(tableFile, JSON.stringify(table));
    const wrongBatch = await runCli(
      ['fit', '--model', modelFile, '--data', 'iris', '--max-latency-us', '100', '--batch', '1', '--latency-table', tableFile].concat([
        '--out',
        join(tmp.dir, 'never.prunekit'),
      ]),
    );
    expect(wrongBatch.code).toBe(2);
    expect(wrongBatch.err).toMatch(/measured at batch 4, --batch is 1/);
  });
});
