/**
 * Memory view: bytes of weights resident in wasm memory for dense vs CSR, and each engine's
 * process peak RSS. Peak RSS only grows within a process, so every (engine, sparsity) runs in its
 * own child process; the 'none' child (model built in JS, no engine) is the baseline to subtract.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { LENET } from './models.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

export interface MemoryRow {
  engine: string;
  sparsity: number;
  weight_bytes: number;
  wasm_memory_bytes: number | null;
  max_rss_bytes: number;
  /** max_rss_bytes minus the baseline child's (model in JS, no engine). */
  rss_over_baseline_bytes: number;
  /** Resident set after the runs minus before loading the engine, both after a full GC. */
  rss_growth_bytes: number;
}

export const MEMORY_ENGINES = ['prunekit-dense', 'prunekit-csr', 'ort-web-1t', 'ort-node-1t', 'tfjs-wasm'];

async function child(engine: string, sparsity: number, seed: number, layers: readonly number[]): Promise<Omit<MemoryRow, 'rss_over_baseline_bytes'> | null> {
  try {
    const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, engine, String(sparsity), String(seed), layers.join(',')], {
      timeout: 600_000,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1)!);
  } catch {
    return null;
  }
}

export async function measureMemory(seed: number, sparsities: number[], log: (s: string) => void, layers: readonly number[] = LENET): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  for (const s of sparsities) {
    const base = await child('none', s, seed, layers);
    if (!base) {
      log(`memory: baseline child failed at ${s}`);
      continue;
    }
    for (const engine of MEMORY_ENGINES) {
      if (engine.startsWith('prunekit') || s === sparsities[0]) {
        // peers are dense: once is enough
        const r = await child(engine, s, seed, layers);
        if (!r) {
          log(`memory: ${engine} child failed (skipped)`);
          continue;
        }
        rows.push({ ...r, rss_over_baseline_bytes: r.max_rss_bytes - base.max_rss_bytes });
      }
    }
  }
  for (const r of rows) {
    log(
      `memory: ${r.engine.padEnd(15)} ${(r.sparsity * 100).toFixed(0).padStart(3)}%  weights ${(r.weight_bytes / 1024).toFixed(0).padStart(5)} KiB` +
        `${r.wasm_memory_bytes === null ? '' : `  wasm memory ${(r.wasm_memory_bytes / 1048576).toFixed(2)} MiB`}` +
        `  peak RSS ${(r.max_rss_bytes / 1048576).toFixed(1)} MiB (${(r.rss_over_baseline_bytes / 1048576).toFixed(1)} over baseline)` +
        `  RSS growth ${(r.rss_growth_bytes / 1048576).toFixed(1)} MiB`,
    );
  }
  return rows;
}
