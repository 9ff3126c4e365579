/**
 * One memory measurement in a fresh process (peak RSS is per process, so each engine and format
 * gets its own): builds the random model (LeNet unless LAYERS says otherwise) at a sparsity, prepares one engine (or none: the baseline),
 * runs 50 forward passes at batch 64, and prints one JSON line:
 *   {engine, sparsity, weight_bytes, wasm_memory_bytes, max_rss_bytes, rss_growth_bytes}
 * rss_growth_bytes is the resident set after the runs minus before the engine was loaded (both
 * after a full GC): what the engine itself keeps resident, without tsx's start-up peak.
 *
 *   node --expose-gc --import tsx bench/peers/memory-child.ts ENGINE SPARSITY SEED [LAYERS, e.g. 784,300,100,10]
 */
import { readFileSync } from 'node:fs';
import { loadKernelsSync, type Kernels } from '../../src/kernels/index.js';
import { LENET, randomModel } from './models.js';
import { loadTfWasm, ortNodeEngine, ortWebEngine, prunekitEngine, tfjsWasmEngine, type Engine } from './engines.js';

/**
 * Peak resident set of this process. Linux's VmHWM belongs to the address space, which exec
 * replaces; getrusage's maxRSS (process.resourceUsage) survives exec and so starts at the size of
 * the parent that forked us — useless for a child of a 130 MB benchmark. maxRSS is the fallback.
 */
function peakRss(): number {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS * 1024; // Node reports kilobytes
}

async function engineFor(name: string): Promise<{ engine: Engine | null; kernels: Kernels | null }> {
  if (name === 'none') return { engine: null, kernels: null };
  if (name === 'prunekit-dense' || name === 'prunekit-csr') {
    const k = loadKernelsSync();
    return { engine: prunekitEngine(k, name === 'prunekit-dense' ? 'dense' : 'csr'), kernels: k };
  }
  if (name === 'ort-web-1t') return { engine: ortWebEngine(1).engine, kernels: null };
  if (name === 'ort-node-1t') return { engine: ortNodeEngine(() => {}), kernels: null };
  if (name === 'tfjs-wasm') return { engine: tfjsWasmEngine(await loadTfWasm()), kernels: null };
  throw new Error(`memory-child: unknown engine ${name}`);
}

const [name, sparsityArg, seedArg, layersArg] = process.argv.slice(2);
const sparsity = Number(sparsityArg),
  seed = Number(seedArg);
const layers = layersArg ? layersArg.split(',').map(Number) : LENET;
const batch = 64;
const model = randomModel(layers, seed, sparsity);
const x = new Float32Array(batch * layers[0]).fill(0.5);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
gc();
const rssBefore = process.memoryUsage().rss;
const { engine, kernels } = await engineFor(name);
let weightBytes = 0;
if (engine) {
  const p = await engine.prepare(model, batch, x);
  weightBytes = p.weightBytes ?? 0;
  for (let i = 0; i < 50; i++) {
    const r = p.fn();
    if (r) await r;
  }
}
gc();
const rssGrowth = process.memoryUsage().rss - rssBefore;
process.stdout.write(
  JSON.stringify({
    engine: name,
    sparsity,
    weight_bytes: weightBytes,
    wasm_memory_bytes: kernels ? kernels.memory.buffer.byteLength : null,
    max_rss_bytes: peakRss(),
    rss_growth_bytes: rssGrowth,
  }) + '\n',
);
