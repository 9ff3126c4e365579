/**
 * The pooled sweep (`sweep --jobs N`): a pool of N worker threads (tinypool), started while the
 * parent trains the dense model once, runs the grid's units, taken from one queue
 * longest-estimated-first, so a free thread always takes the next biggest unit and the tail is
 * short. Each worker is set up once (src/report/sweep-worker.ts) with the data and the dense model
 * and its history — in SharedArrayBuffers, one copy for every thread — and runs each unit with the
 * same `unitRunner` as the one-thread sweep, so the points are the same; only measured times differ.
 *
 * tinypool is an optional peer dependency (the runtime and a one-thread sweep never need it, and the
 * installed package stays under 3 MB without it): loaded on first use, with a message that says how
 * to add it when it is missing.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { longestFirst, type SweepUnit, type UnitPoint, type UnitSetup } from './sweep-unit.js';

/** A point as a worker sends it back: the point and its progress line (the models stay in the worker). */
export type PooledPoint = Pick<UnitPoint, 'point' | 'line'>;

/** A unit failed in a worker thread (the message names the unit and the worker's error). */
export class SweepWorkerError extends Error {
  override name = 'SweepWorkerError';
}

/** `a` in a SharedArrayBuffer (copied there unless it is already): worker threads read it without a copy of their own. */
function shared<T extends Float32Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const copy = new (a.constructor as new (b: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  copy.set(a);
  return copy;
}

/**
 * `x` with every Float32Array and Int32Array in it moved to shared memory (the big arrays: samples,
 * labels, weights, the history's trackers), copied as a structured clone would copy it (own fields,
 * classes as plain objects). Sent to a worker thread, it costs a clone of the small rest only.
 */
export function shareArrays<T>(x: T): T {
  if (x instanceof Float32Array || x instanceof Int32Array) return shared(x) as T;
  if (Array.isArray(x)) return x.map(shareArrays) as T;
  if (x && typeof x === 'object' && !ArrayBuffer.isView(x)) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, shareArrays(v)])) as T;
  return x;
}

/** The worker's module: built (dist/), or in a source checkout (tests) a shim that loads its TypeScript through tsx. */
function workerEntry(): string {
  const js = fileURLToPath(new URL('./sweep-worker.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./sweep-worker-tsx.mjs', import.meta.url));
}

/** tinypool, the optional peer the pooled sweep needs: a clear error, before any work, when it is missing. */
async function loadTinypool(): Promise<typeof import('tinypool').default> {
  try {
    return (await import('tinypool')).default;
  } catch {
    throw new SweepWorkerError(
      'sweep: running in several threads (--jobs N) needs the tinypool package, an optional dependency of prunekit: npm install tinypool@2',
    );
  }
}

const describeUnit = (u: SweepUnit) => `${u.criterion}/${u.scope}/${u.schedule} ${u.targets.map((t) => `${(t * 100).toFixed(1)}%`).join(', ')}`;

/** A task of the pool: a unit, and the setup to run it from (its big arrays shared: `shareArrays`). */
export interface PooledTask {
  unit: SweepUnit;
  setup: UnitSetup;
}

/** A pool of worker threads for the units of one sweep; `destroy` ends its threads. */
export interface SweepPool {
  run(setup: UnitSetup, units: readonly SweepUnit[], todo: readonly number[], onPoint: (p: PooledPoint) => void): Promise<PooledPoint[][]>;
  destroy(): Promise<void>;
}

/**
 * Starts `threads` worker threads: each loads its modules and the wasm kernels at once, so a pool
 * started before the dense training is ready when the units are. The setup comes with each task
 * (one sweep per pool: a thread sets itself up from its first task), its big arrays in shared
 * memory, so that a task's clone is small.
 *
 * The parent thread only hands out units and collects points. Making it one of the N (N − 1
 * workers, units claimed from a counter in shared memory so that no worker waits on the parent's
 * event loop) was measured on the quiet machine: one isolate fewer to start and compile, but the
 * parent's own units ran slower, and a 20-point sweep lost 2–10% — see BENCHMARKS.md.
 */
export async function startPool(threads: number): Promise<SweepPool> {
  const Tinypool = await loadTinypool();
  const pool = new Tinypool({ filename: workerEntry(), minThreads: threads, maxThreads: threads });
  return {
    /**
     * Runs units `todo` (indices into `units`) and returns their points, one list per unit of
     * `todo`, in that order. `onPoint` sees each point as its unit finishes. The first failure
     * rejects with a SweepWorkerError.
     */
    async run(setup, units, todo, onPoint) {
      const shared = shareArrays(setup);
      const results = new Map<number, PooledPoint[]>();
      // all units queued at once, biggest first: the pool hands the next one to whichever thread is free
      await Promise.all(
        longestFirst(units, todo).map(async (u) => {
          let points: PooledPoint[];
          try {
            points = await pool.run({ unit: units[u], setup: shared } satisfies PooledTask);
          } catch (e) {
            throw new SweepWorkerError(`sweep: ${describeUnit(units[u])} failed in a worker thread: ${e instanceof Error ? e.message : String(e)}`, {
              cause: e,
            });
          }
          results.set(u, points);
          for (const p of points) onPoint(p);
        }),
      );
      return todo.map((u) => results.get(u)!);
    },
    destroy: () => pool.destroy(),
  };
}
