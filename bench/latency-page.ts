/**
 * fit's per-layer latency table measured twice on this machine, by the latency page in headless
 * Chromium and by Node (the same grid, the same harness, each on its own engine's SIMD kernels),
 * side by side; then one compact model timed on the page and in Node at the same batch.
 *
 *   npm run build && npx tsx bench/latency-page.ts [--sizes 784,300,100,10] [--batch 1] [--runs 15]
 *     [--model bench/fixtures/lenet-90.prunekit.safetensors] [--save-table FILE] [--json]
 *
 * Prints, per layer, dense µs and CSR µs at a few densities (call cost taken off, as fit uses
 * them), the call cost, and the model's median µs per forward pass. --save-table writes the page's
 * table, for `fit --latency-table`. Chromium runs first, then
 * Node: drift between the two parts is not paired away, so the load average at the start and the
 * end is printed beside.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadModelSync } from '../src/runtime/index.js';
import { benchModel } from '../src/report/model-bench.js';
import { measureLatencyTable, parseLatencyTable, type LatencyTable } from '../src/report/latency-table.js';
import { shapesFromSizes } from '../src/report/latency-page.js';
import { hasChromium, launchChromium, serveStatic } from '../test/helpers/chromium.js';

const { values: v } = parseArgs({
  options: {
    sizes: { type: 'string', default: '784,300,100,10' },
    batch: { type: 'string', default: '1' },
    runs: { type: 'string', default: '15' },
    model: { type: 'string', default: 'bench/fixtures/lenet-90.prunekit.safetensors' },
    'save-table': { type: 'string' },
    json: { type: 'boolean' },
  },
});
if (!hasChromium) throw new Error('needs /usr/bin/chromium (apt-get install -y chromium)');
const batch = Number(v.batch),
  runs = Number(v.runs);
const shapes = shapesFromSizes(v.sizes!);
const modelBytes = new Uint8Array(readFileSync(v.model!));
const load0 = loadavg()[0];

const server = await serveStatic({ '/': ['text/html', readFileSync('dist/latency-page.html')] });
const browser = await launchChromium();
let chromium: { table: LatencyTable; model_us: number; userAgent: string };
try {
  const page = await browser.newPage();
  await page.goto(`${server.base}/?sizes=${v.sizes}&batch=${batch}&runs=${runs}`);
  await page.click('#measure');
  await page.waitForSelector('#status[data-state=done], #status[data-state=error]', { timeout: 600_000 });
  const table = parseLatencyTable(await page.inputValue('#table'), shapes, 'the page');
  await page.setInputFiles('#delivered', { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(modelBytes) });
  await page.click('#time');
  await page.waitForSelector('#timing[data-state=done], #timing[data-state=error]', { timeout: 120_000 });
  const model_us = Number(await page.$eval('#timing', (el) => (el as HTMLElement).dataset.medianUs));
  chromium = { table, model_us, userAgent: await page.evaluate(() => navigator.userAgent) };
} finally {
  await browser.close();
  await server.close();
}
if (v['save-table']) writeFileSync(v['save-table'], JSON.stringify(chromium.table, null, 2) + '\n');
const nodeTable = await measureLatencyTable(shapes, batch, loadModelSync, { runs, where: `Node ${process.version}` });
const nodeModel = (await benchModel(loadModelSync(modelBytes), { batches: [batch], runs, minRunMs: 0.5 })).results[0].median_us;
const load1 = loadavg()[0];

if (v.json) {
  console.log(JSON.stringify({ batch, runs, loadavg: [load0, load1], chromium, node: { table: nodeTable, model_us: nodeModel } }, null, 2));
} else {
  const SHOWN = [0.35, 0.12, 0.05, 0.01];
  const f = (x: number) => x.toFixed(2);
  console.log(`batch ${batch}, ${runs} runs; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}; ${chromium.userAgent}`);
  console.log(`| layer | where | dense µs | ${SHOWN.map((d) => `CSR ${d * 100}% µs`).join(' | ')} |`);
  console.log(`|---|---|---|${SHOWN.map(() => '---|').join('')}`);
  for (const [l, s] of shapes.entries()) {
    for (const [where, t] of [
      ['Chromium', chromium.table],
      ['Node', nodeTable],
    ] as const) {
      const row = t.layers[l];
      const csr = SHOWN.map((d) => f(row.csr.find((c) => c.density === d)!.us));
      console.log(`| ${s.inFeatures}→${s.outFeatures} | ${where} | ${f(row.dense_us)} | ${csr.join(' | ')} |`);
    }
  }
  console.log(`call cost: Chromium ${f(chromium.table.call_us ?? 0)} µs, Node ${f(nodeTable.call_us ?? 0)} µs`);
  console.log(`${v.model}: median ${f(chromium.model_us)} µs on the page, ${f(nodeModel)} µs in Node, at batch ${batch}`);
}
