/**
 * Cold start and size of prunekit/runtime.
 *
 *   npm run build && npx tsx bench/cold-start.ts [--runs 20] [--model FILE] [--json]
 *
 * Cold start, Node: a fresh `node` process per run measures, with performance.now(), from before
 * `import('prunekit/runtime')` (the package's own dist/, the 'node' export condition) through
 * reading the model file, compiling one wasm build, loading (validating, uploading)
 * and the first prediction of one sample. Median of --runs processes, wall time and the process's
 * CPU time over the same span (all threads; less sensitive to other load on the machine); once
 * with the default load (validate once, upload, no warm-up) and once with `{ warmUp: true }`
 * (each kernel path run once at load), alternating.
 *
 * Cold start, workerd: a fresh workerd process per run serving examples/worker (bundled as
 * wrangler does, the .wasm imported as a module, compiled by workerd when it starts); we wait
 * until its socket accepts a TCP connection, then time the first POST /predict of one sample,
 * which loads the model (validate, upload) and predicts. Beside it, the first POST
 * /validate of another fresh process (the same request with no model) measures the HTTP and
 * JSON cost alone. (Inside a Worker, clocks stop during execution, so the time is taken outside.)
 *
 * Size: the runtime bundled and minified by esbuild for Workers (JS, plus the one .wasm build it
 * imports) and for browsers (the SIMD build inlined as base64), raw and gzip -9; beside the files a
 * page would load for onnxruntime-web's wasm backend and tfjs with its wasm backend, measured
 * from node_modules.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { decodeModel } from '../src/sparse/format.js';
import { bundleWorker, freePort, startWorkerd, tcpReady, workerdConfig } from '../scripts/workerd.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const runs = Number(opt('--runs', '20'));
const modelPath = opt('--model', join(root, 'bench', 'fixtures', 'lenet-90.prunekit.safetensors'));
const asJson = args.includes('--json');
const log = (s: string) => {
  if (!asJson) console.log(s);
};

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x: number) => x.toFixed(2);

if (!existsSync(join(root, 'dist', 'runtime', 'index.js'))) throw new Error('run `npm run build` first (the benchmark loads the built package)');

// ---- Node ---------------------------------------------------------------------------------
const nodeScript = (loadOptions: string) => `
const c0 = process.cpuUsage();
const t0 = performance.now();
const { loadModel } = await import('prunekit/runtime');
const { readFileSync } = await import('node:fs');
const m = await loadModel(readFileSync(${JSON.stringify(modelPath)}), ${loadOptions});
const label = m.predict(new Float32Array(m.inFeatures).fill(0.5))[0];
const t1 = performance.now();
const c1 = process.cpuUsage(c0);
console.log(JSON.stringify({ ms: t1 - t0, cpuMs: (c1.user + c1.system) / 1000, flavor: m.flavor, label }));`;

/** Median wall and CPU time of `runs` fresh processes; the two variants alternate so both see the same load. */
const variants = { default: '{}', warmUp: '{ warmUp: true }' } as const;
const nodeRuns: Record<keyof typeof variants, { ms: number[]; cpu: number[] }> = { default: { ms: [], cpu: [] }, warmUp: { ms: [], cpu: [] } };
let nodeFlavor = '';
for (let i = 0; i < runs; i++) {
  for (const [name, opts] of Object.entries(variants) as [keyof typeof variants, string][]) {
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', nodeScript(opts)], { cwd: root, encoding: 'utf8' })) as {
      ms: number;
      cpuMs: number;
      flavor: string;
    };
    nodeRuns[name].ms.push(out.ms);
    nodeRuns[name].cpu.push(out.cpuMs);
    nodeFlavor = out.flavor;
  }
}
const nodeTimes = nodeRuns.default.ms,
  nodeCpu = nodeRuns.default.cpu;
log(
  `cold start, Node ${process.version} (${nodeFlavor}), loadModel(bytes): median ${ms(median(nodeTimes))} ms wall, ${ms(median(nodeCpu))} ms CPU (all threads) over ${runs} processes (wall min ${ms(Math.min(...nodeTimes))}, max ${ms(Math.max(...nodeTimes))}; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')})`,
);
log(`cold start, Node, loadModel(bytes, { warmUp: true }): median ${ms(median(nodeRuns.warmUp.ms))} ms wall, ${ms(median(nodeRuns.warmUp.cpu))} ms CPU`);

// ---- workerd ------------------------------------------------------------------------------
const tmp = mkdtempSync(join(tmpdir(), 'prunekit-cold-'));
const { modules } = await bundleWorker({ entry: join(root, 'examples', 'worker', 'worker.ts'), outDir: tmp, minify: true, model: modelPath });
const inFeatures = decodeModel(readFileSync(modelPath)).layers[0].inFeatures;
const body = JSON.stringify({ rows: [Array.from({ length: inFeatures }, () => 0.5)] });

async function firstRequest(path: string): Promise<{ ms: number; status: number }> {
  const port = await freePort();
  const config = workerdConfig({ dir: tmp, modules, port });
  const server = await startWorkerd({ config, port, waitFor: () => tcpReady(port) });
  try {
    const t0 = performance.now();
    const res = await fetch(`${server.url}${path}`, { method: 'POST', body });
    await res.arrayBuffer();
    return { ms: performance.now() - t0, status: res.status };
  } finally {
    await server.stop();
  }
}
const workerdModel: number[] = [];
const workerdBase: number[] = [];
for (let i = 0; i < runs; i++) {
  const a = await firstRequest('/predict');
  const b = await firstRequest('/validate');
  if (a.status !== 200 || b.status !== 200) throw new Error(`workerd answered ${a.status} / ${b.status}`);
  workerdModel.push(a.ms);
  workerdBase.push(b.ms);
}
rmSync(tmp, { recursive: true, force: true });
log(
  `cold start, workerd: first POST /predict (load + first prediction) median ${ms(median(workerdModel))} ms; first POST /validate (no model) ${ms(median(workerdBase))} ms; difference ${ms(median(workerdModel) - median(workerdBase))} ms (${runs} fresh processes each)`,
);

// ---- size ---------------------------------------------------------------------------------
const esbuild = await import('esbuild');
const sizeOf = (bufs: Uint8Array[]) => ({ raw: bufs.reduce((s, b) => s + b.length, 0), gzip: bufs.reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0) });
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

async function bundle(conditions: string[], platform: 'browser' | 'neutral') {
  const r = await esbuild.build({
    stdin: { contents: `export { loadModel, loadModelSync, init } from 'prunekit/runtime';`, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    platform,
    target: 'es2022',
    conditions,
    external: ['*.wasm'],
    logLevel: 'error',
  });
  return r.outputFiles[0].contents;
}
/**
 * The browser runtime as a code-splitting bundler (vite, webpack, rollup, esbuild --splitting)
 * emits it: what a page loads up front (the entry and the chunks it imports statically) and what
 * it loads only on `loadModel(bytes, { threads })` (the dynamically imported threaded kernels).
 */
async function splitBundle() {
  const r = await esbuild.build({
    stdin: { contents: `export { loadModel, loadModelSync, init } from 'prunekit/runtime';`, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    write: false,
    platform: 'browser',
    target: 'es2022',
    splitting: true,
    outdir: join(tmpdir(), 'prunekit-split'),
    absWorkingDir: root, // the metafile's paths are relative to it
    metafile: true,
    logLevel: 'error',
  });
  const outputs = r.metafile!.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o].entryPoint === '<stdin>')!;
  const eager = new Set([entry]);
  for (const o of eager) for (const i of outputs[o].imports) if (i.kind === 'import-statement' && !i.external) eager.add(i.path);
  const bytes = (keep: (path: string) => boolean) =>
    r.outputFiles.filter((f) => keep(Object.keys(outputs).find((o) => resolve(root, o) === f.path)!)).map((f) => f.contents);
  return { eager: bytes((o) => eager.has(o)), lazy: bytes((o) => !eager.has(o)) };
}
const workerJs = await bundle(['workerd', 'worker', 'browser'], 'neutral');
const wasm = readFileSync(join(root, 'wasm', 'kernels-simd.wasm'));
const browserJs = await bundle([], 'browser');
const files = (paths: string[]) => paths.map((p) => readFileSync(join(root, 'node_modules', p)));
const peers: Record<string, string[]> = {
  'onnxruntime-web (wasm backend: ort.wasm.min.mjs + ort-wasm-simd-threaded.mjs/.wasm)': [
    'onnxruntime-web/dist/ort.wasm.min.mjs',
    'onnxruntime-web/dist/ort-wasm-simd-threaded.mjs',
    'onnxruntime-web/dist/ort-wasm-simd-threaded.wasm',
  ],
  'tfjs (tf-core.min.js + tf-backend-wasm.min.js + tfjs-backend-wasm-simd.wasm)': [
    '@tensorflow/tfjs-core/dist/tf-core.min.js',
    '@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
    '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  ],
};
const sizes: Record<string, { raw: number; gzip: number }> = {
  'prunekit/runtime for Workers (JS + kernels-simd.wasm)': sizeOf([workerJs, wasm]),
  '  of which JS': sizeOf([workerJs]),
  '  of which kernels-simd.wasm': sizeOf([wasm]),
  'prunekit/runtime for browsers (JS with the SIMD build inlined)': sizeOf([browserJs]),
};
const split = await splitBundle();
sizes['  code split: loaded up front'] = sizeOf(split.eager);
sizes['  code split: loaded only with { threads } (the threaded kernels)'] = sizeOf(split.lazy);
for (const [name, paths] of Object.entries(peers)) {
  if (paths.every((p) => existsSync(join(root, 'node_modules', p)))) sizes[name] = sizeOf(files(paths));
  else log(`size: ${name} not in node_modules, skipped`);
}
for (const [name, s] of Object.entries(sizes)) log(`size: ${name.padEnd(92)} ${kb(s.raw).padStart(10)} raw ${kb(s.gzip).padStart(10)} gzip`);

if (asJson) {
  console.log(
    JSON.stringify(
      {
        machine: { node: process.version, cpus: (await import('node:os')).cpus().length, loadAverage: loadavg(), modelBytes: statSync(modelPath).size },
        runs,
        coldStart: {
          node: { flavor: nodeFlavor, medianMs: median(nodeTimes), medianCpuMs: median(nodeCpu), timesMs: nodeTimes, cpuMs: nodeCpu },
          // the default load no longer warms up: `nodeNoWarmUp` (kept for readers of this JSON) is `node`
          nodeNoWarmUp: { medianMs: median(nodeTimes), medianCpuMs: median(nodeCpu), timesMs: nodeTimes, cpuMs: nodeCpu },
          nodeWarmUp: {
            medianMs: median(nodeRuns.warmUp.ms),
            medianCpuMs: median(nodeRuns.warmUp.cpu),
            timesMs: nodeRuns.warmUp.ms,
            cpuMs: nodeRuns.warmUp.cpu,
          },
          workerd: { firstPredictMedianMs: median(workerdModel), firstValidateMedianMs: median(workerdBase), predictMs: workerdModel, validateMs: workerdBase },
        },
        sizes,
      },
      null,
      1,
    ),
  );
}
