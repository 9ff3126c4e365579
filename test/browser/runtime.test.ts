/**
 * The runtime in a real headless browser (Debian's chromium, driven by playwright-core): the
 * runtime is bundled with esbuild (already in node_modules via vite — no new dependency), served
 * with a model file from a tiny node:http server on 127.0.0.1, and must predict exactly what Node
 * predicts on the same file. Also reports the runtime's JS and wasm sizes (not asserted here).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compact } from '../../src/compact/compact.js';
import { supportedFlavors, wasmBytes } from '../../src/kernels/load.js';
import { createMLP } from '../../src/nn/model.js';
import { loadModelSync } from '../../src/runtime/index.js';
import { encodeModel } from '../../src/sparse/format.js';
import { rng } from '../helpers/rng.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';

if (!hasChromium) console.warn(`browser runtime test skipped: ${CHROMIUM} is missing (apt-get install -y chromium)`);

let server: Server | undefined;
let base = '';
let bundle = '';
const model = (() => {
  const m = createMLP({ sizes: [30, 24, 16, 5], activation: 'relu', seed: 9 });
  m.layers.forEach((l, k) => {
    l.weight = l.weight.map((w, i) => ((i + k) % 10 < 8 ? 0 : w));
  });
  return encodeModel(compact(m, { batchSizes: [64] }).compact);
})();
const r = rng(4);
const inputs = Array.from({ length: 9 * 30 }, () => r.uniform(-2, 2));
// for threads: layers past MIN_PARALLEL_MADDS at this batch, so they really are split; 50% pruned (CSR and dense layers)
const bigModel = (() => {
  const m = createMLP({ sizes: [120, 200, 60, 5], activation: 'relu', seed: 3 });
  m.layers.forEach((l, k) => {
    if (k === 1) l.weight = l.weight.map((w, i) => (i % 10 < 7 ? 0 : w));
  });
  return encodeModel(compact(m, { batchSizes: [64] }).compact);
})();
const bigInputs = Array.from({ length: 80 * 120 }, () => r.uniform(-2, 2));

beforeAll(async () => {
  const esbuild = await import('esbuild');
  const entry = fileURLToPath(new URL('../../src/runtime/browser.ts', import.meta.url)); // the 'browser' export condition
  const built = await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', minify: true, write: false, platform: 'neutral', target: 'es2022' });
  bundle = built.outputFiles[0].text;
  const wasm = supportedFlavors()
    .map((f) => `${f} ${wasmBytes(f).length} B`)
    .join(', ');
  console.log(`runtime size: browser JS bundle ${bundle.length} B minified incl. the base64 SIMD build; wasm files: ${wasm}`);
  if (!hasChromium) return;
  const page = `<!doctype html><script type="module">
    import { loadModel } from '/runtime.js';
    window.run = async (inputs, flavor) => {
      const bytes = await (await fetch('/model.safetensors')).arrayBuffer();
      const m = await loadModel(bytes, flavor ? { flavor } : {});
      return { flavor: m.flavor, labels: Array.from(m.predict(new Float32Array(inputs))), probs: Array.from(m.predictProba(new Float32Array(inputs))), one: Array.from(m.predict([inputs.slice(0, 30)])) };
    };
    window.runThreads = async (inputs) => {
      const bytes = await (await fetch('/big.safetensors')).arrayBuffer();
      try {
        const m = await loadModel(bytes, { flavor: 'simd', threads: 2 });
        const logits = m.predictLogits(new Float32Array(inputs));
        m.dispose();
        return { isolated: crossOriginIsolated, threads: m.threads, bits: Array.from(new Uint32Array(logits.buffer)) };
      } catch (e) {
        return { isolated: crossOriginIsolated, error: e.message };
      }
    };
    window.ready = true;
  </script>`;
  server = createServer((req, res) => {
    const body =
      req.url === '/runtime.js'
        ? bundle
        : req.url === '/model.safetensors'
          ? model
          : req.url === '/big.safetensors'
            ? bigModel
            : req.url === '/' || req.url === '/isolated'
              ? page
              : null;
    if (body === null) {
      res.writeHead(404).end();
      return;
    }
    const type = req.url === '/runtime.js' ? 'text/javascript' : req.url === '/' || req.url === '/isolated' ? 'text/html' : 'application/octet-stream';
    // /isolated is the same page, cross-origin isolated: shared memory, hence threads, allowed
    const isolation = req.url === '/isolated' ? { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } : {};
    res.writeHead(200, { 'content-type': type, ...isolation }).end(body);
  });
  await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((ok) => (server ? server.close(() => ok()) : ok())));

describe('runtime in headless chromium', () => {
  it.skipIf(!hasChromium)('predicts exactly what Node predicts on the same model file', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(base + '/');
      await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: 20_000 });
      type Result = { flavor: string; labels: number[]; probs: number[]; one: number[] };
      const run = (flavor: string | null) =>
        page.evaluate(([x, f]) => (window as unknown as { run: (x: number[], f: string | null) => Promise<Result> }).run(x, f), [
          Array.from(Float32Array.from(inputs)),
          flavor,
        ] as [number[], string | null]);
      const best = await run(null); // the browser entry's default (the embedded SIMD build)
      const simd = await run('simd'); // the build Node 20 runs without flags: same instructions as Node
      expect(errors).toEqual([]);
      const node = loadModelSync(model, { flavor: 'simd' });
      const want = node.predictProba(Float32Array.from(inputs));
      expect(simd.labels).toEqual(Array.from(node.predict(Float32Array.from(inputs))));
      // same wasm, same f32 operations; only Math.exp in the softmax may differ in the last bits
      simd.probs.forEach((p, i) => expect(Math.abs(p - want[i])).toBeLessThan(1e-6));
      expect(best.labels).toEqual(simd.labels);
      best.probs.forEach((p, i) => expect(Math.abs(p - want[i])).toBeLessThan(1e-5)); // FMA rounds once fewer
      expect(best.one).toEqual([best.labels[0]]);
      console.log(`browser kernels: ${best.flavor} and simd`);
    } finally {
      await browser.close();
    }
  });

  it.skipIf(!hasChromium)('threads: 2 on a cross-origin isolated page gives the one-thread logits bit for bit; elsewhere a clear error', async () => {
    const browser = await launchChromium();
    try {
      type Result = { isolated: boolean; threads?: number; bits?: number[]; error?: string };
      const open = async (path: string) => {
        const page = await browser.newPage();
        await page.goto(base + path);
        await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: 20_000 });
        return page;
      };
      const runThreads = (page: Awaited<ReturnType<typeof open>>) =>
        page.evaluate((x) => (window as unknown as { runThreads: (x: number[]) => Promise<Result> }).runThreads(x), Array.from(Float32Array.from(bigInputs)));
      const isolated = await runThreads(await open('/isolated'));
      expect(isolated.error).toBeUndefined();
      expect(isolated.isolated).toBe(true);
      expect(isolated.threads).toBe(2);
      const node = loadModelSync(bigModel, { flavor: 'simd' }).predictLogits(Float32Array.from(bigInputs));
      expect(isolated.bits).toEqual(Array.from(new Uint32Array(node.buffer)));
      const plain = await runThreads(await open('/'));
      expect(plain.isolated).toBe(false);
      expect(plain.error).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin/);
    } finally {
      await browser.close();
    }
  });
});
