// Runs a Worker under Cloudflare's workerd (npm `workerd`) on 127.0.0.1, the way wrangler would
// deploy it: bundled by esbuild with the 'workerd'/'worker'/'browser' export conditions, `.wasm`
// imports kept as separate modules (compiled ahead of time by workerd, as Cloudflare does), other
// files as data modules. Used by the runtime tests (test/package/), the serving example
// (examples/worker/) and the benchmarks (bench/serve-load.ts, bench/cold-start.ts).
import { spawn } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * Bundles `entry` into `outDir/worker.js`. Every `.wasm` import becomes a sibling module file and
 * every import of a file matching `dataPattern` a data module (an ArrayBuffer), as wrangler's
 * module rules do. `model`, if given, is the file bundled for an import of './model.safetensors'.
 * Returns the module list for `workerdConfig`.
 * @param {{ entry: string, outDir: string, dataPattern?: RegExp, minify?: boolean, nodePaths?: string[], model?: string }} o
 */
export async function bundleWorker({ entry, outDir, dataPattern = /\.safetensors$/, minify = false, nodePaths, model }) {
  const esbuild = await import('esbuild');
  const modules = [{ name: 'worker.js', kind: 'esModule', file: 'worker.js' }];
  const seen = new Set();
  const asModules = {
    name: 'wasm-and-data-modules',
    setup(build) {
      build.onResolve({ filter: /\.wasm$|\.safetensors$|\.bin$/ }, (args) => {
        const isWasm = args.path.endsWith('.wasm');
        if (!isWasm && !dataPattern.test(args.path)) return undefined;
        const abs = model && basename(args.path) === 'model.safetensors' ? model : require.resolve(args.path, { paths: [args.resolveDir] });
        const name = isWasm ? basename(abs) : basename(args.path);
        if (!seen.has(name)) {
          seen.add(name);
          copyFileSync(abs, join(outDir, name));
          modules.push({ name, kind: isWasm ? 'wasm' : 'data', file: name });
        }
        return { path: `./${name}`, external: true };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    outfile: join(outDir, 'worker.js'),
    bundle: true,
    format: 'esm',
    minify,
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    plugins: [asModules],
    nodePaths,
    logLevel: 'error',
    metafile: true,
  });
  return { modules, metafile: result.metafile };
}

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a TCP connection (without sending a request). */
export function tcpReady(port) {
  return new Promise((ok) => {
    const attempt = () => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        ok();
      });
      s.once('error', () => {
        s.destroy();
        setTimeout(attempt, 10);
      });
    };
    attempt();
  });
}

/**
 * Writes `dir/config.capnp` for one worker listening on 127.0.0.1:port (`v8Flags`, e.g.
 * ['--expose-gc'], are passed to the isolate).
 * @param {{ dir: string, modules: { name: string, kind: string, file: string }[], port: number, bindings?: Record<string, string>, v8Flags?: string[] }} o
 */
export function workerdConfig({ dir, modules, port, bindings = {}, v8Flags = [] }) {
  const mods = modules.map((m) => `    (name = ${JSON.stringify(m.name)}, ${m.kind} = embed ${JSON.stringify(m.file)}),`).join('\n');
  const binds = Object.entries(bindings)
    .map(([k, v]) => `    (name = ${JSON.stringify(k)}, text = ${JSON.stringify(v)}),`)
    .join('\n');
  const capnp = `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .mainWorker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
  v8Flags = ${JSON.stringify(v8Flags)},
);

const mainWorker :Workerd.Worker = (
  modules = [
${mods}
  ],
  bindings = [
${binds}
  ],
  compatibilityDate = "2025-01-01",
);
`;
  const file = join(dir, 'config.capnp');
  writeFileSync(file, capnp);
  return file;
}

/** The workerd binary: the npm package `workerd` names its platform package's binary (an optionalDependency). */
export function workerdBinary() {
  return require('workerd').default;
}

/**
 * Starts workerd on `config` and waits until `http://127.0.0.1:port/` answers (any status), or
 * until `waitFor()` resolves if given (e.g. a TCP connect, to leave the Worker itself untouched).
 * Returns { url, child, stop(), output() }.
 * @param {{ config: string, port: number, timeoutMs?: number, waitFor?: () => Promise<void> }} o
 */
export async function startWorkerd({ config, port, timeoutMs = 20_000, waitFor }) {
  const child = spawn(workerdBinary(), ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let exited = null;
  child.once('exit', (code) => {
    exited = code;
  });
  if (waitFor) {
    let timer;
    const failed = new Promise((_, fail) => {
      timer = setInterval(() => {
        if (exited !== null) fail(new Error(`workerd exited with code ${exited}:\n${out}`));
        else if (Date.now() > deadline) {
          child.kill();
          fail(new Error(`workerd was not ready within ${timeoutMs} ms:\n${out}`));
        }
      }, 20);
    });
    try {
      await Promise.race([waitFor(), failed]);
    } finally {
      clearInterval(timer);
    }
  }
  while (!waitFor) {
    if (exited !== null) throw new Error(`workerd exited with code ${exited}:\n${out}`);
    try {
      await fetch(url + '/', { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`workerd did not answer on ${url} within ${timeoutMs} ms:\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    child,
    output: () => out,
    stop: () =>
      new Promise((ok) => {
        if (exited !== null) return ok();
        child.once('exit', () => ok());
        child.kill();
      }),
  };
}
