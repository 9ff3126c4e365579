/**
 * The timing harness: warm-up, calibration, interleaved rounds, median and min.
 *
 * Why this shape (DESIGN.md, "Timing hygiene"):
 * - V8 compiles wasm with a baseline compiler first and tiers hot functions up to TurboFan in the
 *   background; a call that is already running never switches to the optimised code. So every
 *   variant is called many times first, then we wait a little for the background compiles.
 * - This VM's speed drifts by up to 1.9× within minutes. Variants are therefore timed in rounds
 *   (round r times every variant once, in an order rotated each round), so drift hits all of them
 *   alike and ratios within one run stay trustworthy; absolute times are not.
 * - One timed "run" calls the variant `reps` times (calibrated so a run lasts ≥ `minRunMs`) and
 *   divides: timer resolution and call overhead vanish next to a millisecond.
 */

/** Something to time: one call is one unit of work (e.g. one forward pass). */
export interface Variant {
  name: string;
  fn: () => void;
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
}

const nowMs = (): number => performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The median of a non-empty list (mean of the two middle values for even lengths). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new RangeError('median of an empty list');
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** Calls `fn` repeatedly for about `ms` milliseconds; returns how many calls that took. */
function spin(fn: () => void, ms: number): number {
  const t0 = nowMs();
  let n = 0;
  do { fn(); n++; } while (nowMs() - t0 < ms);
  return n;
}

/** Calls per run so that one run lasts at least `minRunMs` (measured on warm code). */
export function calibrate(fn: () => void, minRunMs: number): number {
  let reps = 1;
  for (;;) {
    const t0 = nowMs();
    for (let i = 0; i < reps; i++) fn();
    const dt = nowMs() - t0;
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
  for (const v of variants) spin(v.fn, (opts.warmupMs ?? 60) / 2);
  await sleep(opts.settleMs ?? 50);
  for (const v of variants) spin(v.fn, (opts.warmupMs ?? 60) / 2);
  const reps = variants.map((v) => calibrate(v.fn, minRunMs));
  const samples: number[][] = variants.map(() => []);
  const n = variants.length;
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < n; i++) {
      const idx = (i + r) % n; // rotate the order each round: no variant always runs first
      const { fn } = variants[idx];
      const m = reps[idx];
      const t0 = nowMs();
      for (let c = 0; c < m; c++) fn();
      samples[idx].push(((nowMs() - t0) * 1000) / m);
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
