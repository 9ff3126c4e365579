/**
 * Interleaved timing for variants that may be asynchronous (onnxruntime's `session.run` returns a
 * Promise). Same method as the project's harness (src/report/latency.ts): warm-up in two passes
 * with a pause for V8's background tier-up, calibration so one run lasts ≥ minRunMs, then rounds
 * in which every variant is timed once, in an order rotated each round, so that the VM's speed
 * drift hits all variants alike. Synchronous variants are never awaited (no microtask overhead).
 */
import { median, type Timing } from '../../src/report/latency.js';

export interface AsyncVariant {
  name: string;
  fn: () => void | Promise<unknown>;
}

export interface AsyncTimingOptions {
  runs?: number;
  minRunMs?: number;
  warmupMs?: number;
  settleMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const isPromise = (x: unknown): x is Promise<unknown> => typeof (x as Promise<unknown> | undefined)?.then === 'function';

/** Calls fn `reps` times (awaiting only if it returns a Promise); returns elapsed ms. */
async function runReps(fn: AsyncVariant['fn'], reps: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const r = fn();
    if (isPromise(r)) await r;
  }
  return performance.now() - t0;
}

async function spin(fn: AsyncVariant['fn'], ms: number): Promise<void> {
  const t0 = performance.now();
  do await runReps(fn, 1); while (performance.now() - t0 < ms);
}

async function calibrate(fn: AsyncVariant['fn'], minRunMs: number): Promise<number> {
  let reps = 1;
  for (;;) {
    const dt = await runReps(fn, reps);
    if (dt >= minRunMs) return reps;
    reps = dt <= 0 ? reps * 8 : Math.max(reps + 1, Math.ceil((reps * minRunMs * 1.2) / dt));
  }
}

export async function timeInterleavedAsync(variants: readonly AsyncVariant[], opts: AsyncTimingOptions = {}): Promise<Timing[]> {
  const runs = opts.runs ?? 30;
  const minRunMs = opts.minRunMs ?? 2;
  const warm = opts.warmupMs ?? 100;
  for (const v of variants) await spin(v.fn, warm / 2);
  await sleep(opts.settleMs ?? 50);
  for (const v of variants) await spin(v.fn, warm / 2);
  const reps: number[] = [];
  for (const v of variants) reps.push(await calibrate(v.fn, minRunMs));
  const samples: number[][] = variants.map(() => []);
  const n = variants.length;
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < n; i++) {
      const idx = (i + r) % n;
      samples[idx].push((await runReps(variants[idx].fn, reps[idx])) * 1000 / reps[idx]);
    }
  }
  return variants.map((v, i) => ({
    name: v.name, reps: reps[i], samples_us: samples[i], median_us: median(samples[i]), min_us: Math.min(...samples[i]),
  }));
}

/** Spread of a timing: (p90 − p10) / median, a unitless measure of run-to-run noise. */
export function spread(t: Timing): number {
  const s = [...t.samples_us].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return (q(0.9) - q(0.1)) / t.median_us;
}
