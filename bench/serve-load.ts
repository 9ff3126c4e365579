/**
 * Load test of the serving example (examples/worker) under workerd on 127.0.0.1.
 *
 *   npm run build && npx tsx bench/serve-load.ts [--requests 10000] [--concurrency 32] [--model FILE] [--json]
 *
 * One workerd process serves the Worker, bundled as wrangler bundles it, with the compact model
 * (default: the 90% LeNet-300-100 from `npm start`, bench/fixtures/lenet-90.prunekit.safetensors).
 * Each request is one MNIST-sized row (784 values in [0, 1], two decimals) as JSON. Side by side
 * in the same run: POST /predict (the model) and POST /validate (the same Worker doing the same
 * parsing and checks, answering without a model), in alternating blocks of 1,000 requests so both
 * see the same machine load; --requests of each at --concurrency requests in flight (Node's fetch,
 * keep-alive), after a warm-up of --warmup requests of each (default 3,000). Reports p50/p99 latency, throughput, errors (any non-200 or network failure), and
 * workerd's resident memory (VmRSS) after a warm-up and after the run, each time after a full
 * garbage collection in the isolate (bench/serve-gc.ts wraps the example with a /__gc route);
 * a second, control process serves the same number of requests, all /validate, so the growth
 * that HTTP and workerd itself show is told apart from what the model adds. Then sends each kind of bad
 * request once and checks it gets a 400 and the Worker still answers.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeModel } from '../src/sparse/format.js';
import { bundleWorker, freePort, startWorkerd, workerdConfig } from '../scripts/workerd.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const total = Number(opt('--requests', '10000'));
const concurrency = Number(opt('--concurrency', '32'));
const modelPath = opt('--model', join(root, 'bench', 'fixtures', 'lenet-90.prunekit.safetensors'));
const asJson = args.includes('--json');
const log = (s: string) => {
  if (!asJson) console.log(s);
};
const BLOCK = 1000;
const WARMUP = Number(opt('--warmup', '3000'));

const features = decodeModel(readFileSync(modelPath)).layers[0].inFeatures;
let seed = 12345;
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const bodies = Array.from({ length: 64 }, () => JSON.stringify({ rows: [Array.from({ length: features }, () => Math.round(rand() * 100) / 100)] }));

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** workerd's RSS after a full collection in the isolate (bench/serve-gc.ts's /__gc route). */
async function rssAfterGc(url: string, pid: number): Promise<number> {
  for (let i = 0; i < 2; i++) await (await fetch(url + '/__gc', { method: 'POST' })).text();
  return rssKiB(pid);
}

interface Tally {
  latencies: number[];
  errors: number;
  ms: number;
}
const tally = (): Tally => ({ latencies: [], errors: 0, ms: 0 });

/** Sends `n` requests to `path`, `concurrency` in flight, adding to `t`. */
async function block(url: string, path: string, n: number, t: Tally): Promise<void> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const s = performance.now();
      try {
        const res = await fetch(url + path, { method: 'POST', body: bodies[i % bodies.length], headers: { 'content-type': 'application/json' } });
        await res.arrayBuffer();
        if (res.status !== 200) t.errors++;
      } catch {
        t.errors++;
      }
      t.latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  t.ms += performance.now() - t0;
}

function summary(t: Tally) {
  const s = [...t.latencies].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { requests: s.length, errors: t.errors, p50Ms: q(0.5), p99Ms: q(0.99), requestsPerSecond: s.length / (t.ms / 1000) };
}

const tmp = mkdtempSync(join(tmpdir(), 'prunekit-serve-'));
const { modules } = await bundleWorker({ entry: join(root, 'bench', 'serve-gc.ts'), outDir: tmp, minify: true, model: modelPath });

/**
 * A fresh workerd: warm-up, then alternating blocks of /validate and `second`, `total` of each,
 * with RSS (after a collection) before, after each pair of blocks, and after. `then` runs on the
 * same server before it stops.
 */
async function run(second: '/predict' | '/validate', then?: (url: string) => Promise<void>) {
  const port = await freePort();
  const server = await startWorkerd({ config: workerdConfig({ dir: tmp, modules, port, v8Flags: ['--expose-gc'] }), port });
  const pid = server.child.pid!;
  try {
    // warm-up: model loaded, JIT tiered up, the isolate's heap at its working size
    for (let i = 0; i < WARMUP / BLOCK; i++) {
      await block(server.url, '/validate', BLOCK, tally());
      await block(server.url, second, BLOCK, tally());
    }
    const trace = [await rssAfterGc(server.url, pid)];
    const first = tally(),
      other = tally();
    for (let done = 0; done < total; done += BLOCK) {
      const n = Math.min(BLOCK, total - done);
      await block(server.url, '/validate', n, first);
      await block(server.url, second, n, other);
      trace.push(await rssAfterGc(server.url, pid));
    }
    await then?.(server.url);
    return {
      validate: summary(first),
      second: summary(other),
      rss: { beforeKiB: trace[0], afterKiB: trace.at(-1)!, growthMiB: (trace.at(-1)! - trace[0]) / 1024, afterEachBlockKiB: trace },
    };
  } finally {
    await server.stop();
  }
}

const bad: [string, string | Uint8Array][] = [
  ['wrong feature count', JSON.stringify({ rows: [[1, 2, 3]] })],
  ['NaN', `{"rows": [[NaN${',0'.repeat(features - 1)}]]}`],
  ['null value', JSON.stringify({ rows: [[null, ...Array(features - 1).fill(0)]] })],
  ['non-JSON', 'not json'],
  ['10 MB body', new Uint8Array(10 << 20).fill(0x20)],
  ['empty batch', JSON.stringify({ rows: [] })],
];
const badResults: Record<string, number> = {};
let stillServing = 0;
try {
  const withModel = await run('/predict', async (url) => {
    for (const [what, body] of bad) badResults[what] = (await fetch(url + '/predict', { method: 'POST', body: body as BodyInit })).status;
    stillServing = (await fetch(url + '/predict', { method: 'POST', body: bodies[0] })).status;
  });
  const control = await run('/validate'); // the same number of requests, none touching the model

  const m = withModel.second,
    b = withModel.validate;
  const result = {
    machine: { node: process.version, load: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)) },
    model: { file: modelPath, features },
    concurrency,
    predict: m,
    validateBaseline: b,
    throughputRatio: m.requestsPerSecond / b.requestsPerSecond,
    workerdRss: { withModel: withModel.rss, withoutModel: control.rss, modelGrowthMiB: withModel.rss.growthMiB - control.rss.growthMiB },
    badRequests: badResults,
    stillServingStatus: stillServing,
  };
  if (asJson) console.log(JSON.stringify(result, null, 1));
  const row = (name: string, s: typeof m) =>
    log(
      `${name.padEnd(40)} ${String(s.requests).padStart(6)} req  ${String(s.errors).padStart(3)} errors  p50 ${s.p50Ms.toFixed(2).padStart(6)} ms  p99 ${s.p99Ms.toFixed(2).padStart(6)} ms  ${s.requestsPerSecond.toFixed(0).padStart(6)} req/s`,
    );
  const mib = (k: number) => (k / 1024).toFixed(1);
  const rssLine = (name: string, r: typeof withModel.rss) =>
    log(
      `${name}: ${mib(r.beforeKiB)} → ${mib(r.afterKiB)} MiB (growth ${r.growthMiB.toFixed(2)} MiB; after each block: ${r.afterEachBlockKiB.map(mib).join(' ')})`,
    );
  log(`workerd, ${concurrency} requests in flight, one ${features}-value row per request (load average ${result.machine.load.join(' ')})`);
  row('POST /predict (model)', m);
  row('POST /validate (same Worker, no model)', b);
  log(`throughput with the model: ${(100 * result.throughputRatio).toFixed(1)}% of the no-model baseline`);
  rssLine('workerd RSS after GC, /validate + /predict run', withModel.rss);
  rssLine('workerd RSS after GC, /validate + /validate run (control)', control.rss);
  log(`memory growth the model adds: ${result.workerdRss.modelGrowthMiB.toFixed(2)} MiB`);
  log(
    `bad requests: ${Object.entries(badResults)
      .map(([k, v]) => `${k} → ${v}`)
      .join(', ')}; afterwards a good request → ${stillServing}`,
  );
  if (m.errors || b.errors || Object.values(badResults).some((s) => s !== 400) || stillServing !== 200) process.exitCode = 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
