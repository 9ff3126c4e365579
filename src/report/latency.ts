/**
 * The timing harness: warm-up, calibration, interleaved rounds, median and min.
 *
 * Why this shape:
 * - V8 compiles wasm with a baseline compiler first and tiers hot functions up to TurboFan in the
 *   background; a call that is already running never switches to the optimised code. So every
 *   variant is called many times first, then we wait a little for the background compiles.
 * - A shared VM's speed drifts (by up to 1.9× within minutes on the one these figures come from).
 *   Variants are therefore timed in rounds (round r times every variant once, in an order rotated
 *   each round), so drift hits all of them alike and ratios within one run stay trustworthy;
 *   absolute times are not.
 * - One timed "run" calls the variant `reps` times (calibrated so a run lasts ≥ `minRunMs`) and
 *   divides: timer resolution and call overhead vanish next to a millisecond.
 * - A variant may be asynchronous (onnxruntime's `session.run` returns a Promise): each call's
 *   Promise is awaited before the next call. Synchronous variants are never awaited, so they pay
 *   no microtask overhead.
 */
import { median } from '../util/stats.js';
import { Rng } from '../util/rng.js';

export { median };

/** Something to time: one call is one unit of work (e.g. one forward pass). */
export interface Variant {
  name: string;
  /** Its result is ignored, except that a Promise is awaited before the next call. */
  fn: () => unknown;
}

export interface Timing {
  name: string;
  /** Calls per timed run (each sample is that run's time divided by this). */
  reps: number;
  /** Per-call time of every run, µs, in round order. */
  samples_us: number[];
  median_us: number;
  min_us: number;
}

export interface TimingOptions {
  /** Timed runs per variant (≥ 1). Default 30. */
  runs?: number;
  /** Minimum duration of one timed run, ms. Default 1. */
  minRunMs?: number;
  /** Warm-up: total time spent calling each variant before timing, ms. Default 60. */
  warmupMs?: number;
  /** Pause after the warm-up for background tier-up compiles, ms. Default 50. */
  settleMs?: number;
  /** Called after each round (for progress output). */
  onRound?: (round: number, rounds: number) => void;
  /**
   * Order within a round: rotated each round (default), or a seeded random permutation per round.
   * Rotation always times variant k right after variant k − 1, so a variant after a large one always
   * starts with its weights evicted from the caches; shuffling spreads that over every variant.
   */
  shuffleSeed?: number;
  /**
   * The clock of the timed runs, ms (default: wall time, `performance.now`). A CPU-time clock
   * (Node: `process.cpuUsage`) leaves out the time other processes held the core, which is most
   * of the noise on a shared machine; cache and memory contention stay in.
   */
  clock?: () => number;
}

const nowMs = (): number => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isPromise = (x: unknown): x is Promise<unknown> => typeof (x as Promise<unknown> | undefined)?.then === 'function';

/** Calls `fn` `reps` times (awaiting each call only if it returns a Promise); returns the elapsed ms. */
async function timeReps(fn: Variant['fn'], reps: number, clock: () => number = nowMs): Promise<number> {
  const t0 = clock();
  for (let i = 0; i < reps; i++) {
    const r = fn();
    if (isPromise(r)) await r;
  }
  return clock() - t0;
}

/** Calls `fn` repeatedly for about `ms` milliseconds. */
async function spin(fn: Variant['fn'], ms: number): Promise<void> {
  const t0 = nowMs();
  do await timeReps(fn, 1);
  while (nowMs() - t0 < ms);
}

/** Calls per run so that one run lasts at least `minRunMs` (measured on warm code). */
export async function calibrate(fn: Variant['fn'], minRunMs: number): Promise<number> {
  let reps = 1;
  for (;;) {
    const dt = await timeReps(fn, reps);
    if (dt >= minRunMs) return reps;
    // aim 20% above the target so that a slightly faster run still lasts long enough
    reps = dt <= 0 ? reps * 8 : Math.max(reps + 1, Math.ceil((reps * minRunMs * 1.2) / dt));
  }
}

/**
 * Warms every variant up, calibrates it, then times `runs` interleaved rounds.
 * Returns one Timing per variant, in the order given.
 */
export async function timeInterleaved(variants: readonly Variant[], opts: TimingOptions = {}): Promise<Timing[]> {
  const runs = opts.runs ?? 30;
  const minRunMs = opts.minRunMs ?? 1;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`timeInterleaved: runs must be a positive integer, got ${runs}`);
  // warm-up in two passes with a pause between: the first triggers tier-up, the second runs optimised code
  for (const v of variants) await spin(v.fn, (opts.warmupMs ?? 60) / 2);
  await sleep(opts.settleMs ?? 50);
  for (const v of variants) await spin(v.fn, (opts.warmupMs ?? 60) / 2);
  const reps: number[] = [];
  for (const v of variants) reps.push(await calibrate(v.fn, minRunMs));
  const samples: number[][] = variants.map(() => []);
  const n = variants.length;
  const rng = opts.shuffleSeed === undefined ? null : new Rng(opts.shuffleSeed);
  for (let r = 0; r < runs; r++) {
    const order = rng ? rng.shuffle(Int32Array.from({ length: n }, (_, i) => i)) : null;
    for (let i = 0; i < n; i++) {
      const idx = order ? order[i] : (i + r) % n; // rotate the order each round: no variant always runs first
      samples[idx].push(((await timeReps(variants[idx].fn, reps[idx], opts.clock)) * 1000) / reps[idx]);
    }
    opts.onRound?.(r + 1, runs);
  }
  return variants.map((v, i) => ({
    name: v.name,
    reps: reps[i],
    samples_us: samples[i],
    median_us: median(samples[i]),
    min_us: Math.min(...samples[i]),
  }));
}

/**
 * How many times faster `b` is than `a`, as the median over rounds of a's time / b's time in the
 * same round: paired, so speed drift between rounds cancels out.
 */
export function pairedRatio(a: Timing, b: Timing): number {
  const n = Math.min(a.samples_us.length, b.samples_us.length);
  if (n === 0) throw new RangeError('pairedRatio: no samples');
  const r: number[] = [];
  for (let i = 0; i < n; i++) r.push(a.samples_us[i] / b.samples_us[i]);
  return median(r);
}

/** Spread of a timing: (p90 − p10) / median, a unitless measure of run-to-run noise. */
export function spread(t: Timing): number {
  const s = [...t.samples_us].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))];
  return (q(0.9) - q(0.1)) / t.median_us;
}
