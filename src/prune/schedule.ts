/**
 * Schedules: when to prune how much, and when to train.
 *
 * - one-shot: prune once to the target, then (optionally) fine-tune.
 * - iterative (Han et al. 2015): prune → fine-tune rounds with rising sparsity, e.g. 50→80→90→95%.
 * - gradual (Zhu & Gupta 2017, "To prune, or not to prune"): during training, every Δt optimizer
 *   steps raise the sparsity along  s_t = s_f + (s_i − s_f)·(1 − (t − t₀)/(n·Δt))³,  t ∈ [t₀, t₀+nΔt].
 * - lottery ticket (Frankle & Carbin 2019): iterative magnitude pruning, 20% of the remaining weights
 *   per round, and after each prune the kept weights are rewound to their initial (or an early
 *   iteration's, Frankle et al. 2020) values before training again.
 *
 * Training is injected (`FineTune`), so schedules are testable with a fake trainer; pruning is
 * injected too (`PruneTo`: score + threshold + mask, built by `pruneModel`).
 */
import type { MLP } from '../nn/model.js';
import type { MovementTracker } from '../nn/history.js';
import type { Amount } from './threshold.js';
import { layerRecords, recordStep, type Evaluate, type PruneStep } from './steps.js';

/**
 * Hooks a `FineTune` honours (the real trainer, src/nn/train.ts `train`, takes them as part of its `TrainHooks`):
 * - `onStep.fn(step, model)` is called after optimizer step `step` (1-based, counted from the start
 *   of this `train` call) whenever `step % every === 0`, with `model`'s weights synced from the
 *   device. The hook may change `layer.mask` (only ever adding zeros) and zero the pruned weights;
 *   the trainer then re-uploads weights and masks and zeroes the momentum of newly pruned weights.
 * - `onEpoch(rec, model)` after each epoch, weights synced (e.g. `RangeTracker.observe`).
 * - `onGradient(weights, grads)` after each backward pass, before the step: every layer's w_t and
 *   ∂L/∂w_t as views valid during the call (e.g. `MovementTracker.observe`).
 * - `movement`: a MovementTracker to continue every step (S ← S − w_t ⊙ ∂L/∂w_t; the trainer sums it
 *   in kernel memory and brings the tracker up to date before each `onStep` / `onEpoch` call).
 * - `signal`: training stops at the next batch once it is aborted.
 */
export interface FineTuneHooks {
  onStep?: { every: number; fn: (step: number, model: MLP) => void };
  onEpoch?: (rec: unknown, model: MLP) => void;
  onGradient?: (weights: Float32Array[], grads: Float32Array[]) => void;
  /** `onGradient` at the trainable weights of layers trained sparse (src/nn/train.ts `TrainHooks`). */
  onGradientAt?: (layers: { positions: Int32Array | null; weights: Float32Array; grads: Float32Array }[]) => void;
  movement?: MovementTracker;
  signal?: AbortSignal;
}

/** Trains `model` in place for `epochs` epochs, respecting masks (pruned weights stay exactly 0). */
export type FineTune = (model: MLP, epochs: number, hooks?: FineTuneHooks) => Promise<unknown>;

/** Prunes `model` in place (score → threshold → compose mask → zero weights) to the given amount. */
export type PruneTo = (model: MLP, amount: Amount) => void;

export interface ScheduleEnv {
  pruneTo: PruneTo;
  fineTune?: FineTune;
  evaluate?: Evaluate;
  /** Extra hooks passed to every fine-tune (e.g. a RangeTracker's onEpoch). */
  hooks?: FineTuneHooks;
}

export interface ScheduleResult {
  model: MLP;
  steps: PruneStep[];
}

function checkSparsity(s: number, what: string): void {
  if (!(s >= 0 && s < 1)) throw new RangeError(`${what} must be in [0, 1), got ${s}`);
}

/**
 * n sparsities rising from `start` to `final` with the kept fraction shrinking geometrically:
 * d_k = d₀·(d_f/d₀)^(k/n), s_k = 1 − d_k, k = 1…n (the last is exactly `final`).
 */
export function geometricSparsities(final: number, n: number, start = 0): number[] {
  checkSparsity(final, 'final sparsity');
  checkSparsity(start, 'start sparsity');
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`steps must be a whole number ≥ 1, got ${n}`);
  const d0 = 1 - start,
    df = 1 - final;
  return Array.from({ length: n }, (_, k) => (k + 1 === n ? final : 1 - d0 * (df / d0) ** ((k + 1) / n)));
}

/** Lottery-ticket rounds: prune `rate` of the remaining weights per round until `final` (the last round lands on it exactly). */
export function lotterySparsities(final: number, rate = 0.2, start = 0): number[] {
  checkSparsity(final, 'final sparsity');
  if (!(rate > 0 && rate < 1)) throw new RangeError(`lottery rate must be in (0, 1), got ${rate}`);
  const out: number[] = [];
  let d = 1 - start;
  while (1 - d * (1 - rate) < final - 1e-12) {
    d *= 1 - rate;
    out.push(1 - d);
  }
  if (final > start) out.push(final);
  return out;
}

export interface PolynomialOptions {
  /** s_i, sparsity at t₀ (usually 0). */
  initial: number;
  /** s_f, final sparsity. */
  final: number;
  /** t₀, first pruning step. */
  t0: number;
  /** n, number of pruning steps. */
  n: number;
  /** Δt, optimizer steps between pruning steps. */
  every: number;
}

/** Zhu & Gupta (2017): s_t = s_f + (s_i − s_f)(1 − (t − t₀)/(nΔt))³, clamped to t ∈ [t₀, t₀ + nΔt]. */
export function polynomialSparsity(t: number, o: PolynomialOptions): number {
  const span = o.n * o.every;
  const u = Math.min(1, Math.max(0, (t - o.t0) / span));
  return o.final + (o.initial - o.final) * (1 - u) ** 3;
}

async function rec(model: MLP, env: ScheduleEnv, steps: PruneStep[], phase: PruneStep['phase'], target: number | null, epochs: number): Promise<void> {
  steps.push(await recordStep(model, { index: steps.length, phase, targetSparsity: target, epochs }, env.evaluate));
}

/** Prune once to `amount`, then fine-tune `epochs` epochs (0: none). */
export async function oneShot(model: MLP, env: ScheduleEnv, amount: Amount, epochs = 0): Promise<ScheduleResult> {
  const sparsity = 'sparsity' in amount ? amount.sparsity : null;
  const steps: PruneStep[] = [];
  await rec(model, env, steps, 'dense', null, 0);
  env.pruneTo(model, amount);
  await rec(model, env, steps, 'pruned', sparsity, 0);
  if (epochs > 0) {
    if (!env.fineTune) throw new RangeError('fine-tuning epochs requested but no fineTune function given');
    await env.fineTune(model, epochs, env.hooks);
    await rec(model, env, steps, 'finetuned', sparsity, epochs);
  }
  return { model, steps };
}

/** Han et al. (2015): for each target s_k, prune to s_k then fine-tune `epochsPerStep` epochs. */
export async function iterative(model: MLP, env: ScheduleEnv, sparsities: number[], epochsPerStep: number): Promise<ScheduleResult> {
  sparsities.forEach((s, k) => {
    checkSparsity(s, `sparsity of round ${k + 1}`);
    if (k > 0 && s < sparsities[k - 1]) throw new RangeError(`iterative sparsities must not decrease (round ${k + 1}: ${s} < ${sparsities[k - 1]})`);
  });
  if (epochsPerStep > 0 && !env.fineTune) throw new RangeError('iterative pruning needs a fineTune function');
  const steps: PruneStep[] = [];
  let epochs = 0;
  await rec(model, env, steps, 'dense', null, 0);
  for (const s of sparsities) {
    env.pruneTo(model, { sparsity: s });
    await rec(model, env, steps, 'pruned', s, epochs);
    if (epochsPerStep > 0) {
      await env.fineTune!(model, epochsPerStep, env.hooks);
      epochs += epochsPerStep;
      await rec(model, env, steps, 'finetuned', s, epochs);
    }
  }
  return { model, steps };
}

export interface GradualOptions {
  final: number;
  initial?: number;
  /** Total training epochs (the pruning happens during them). */
  epochs: number;
  /** Optimizer steps per epoch (⌈train samples / batch size⌉). */
  stepsPerEpoch: number;
  /** n: number of pruning steps (default 10). */
  n?: number;
  /** t₀ (default 0). */
  t0?: number;
  /** Fraction of the training steps by which pruning ends (default 0.75, leaving time to recover). */
  endFraction?: number;
}

/** The (t₀, n, Δt) plan for a gradual run. */
export function gradualPlan(o: GradualOptions): PolynomialOptions {
  checkSparsity(o.final, 'final sparsity');
  const total = o.epochs * o.stepsPerEpoch;
  if (!Number.isInteger(total) || total < 1) throw new RangeError(`gradual pruning needs ≥ 1 training step (epochs × stepsPerEpoch = ${total})`);
  const t0 = o.t0 ?? 0;
  const end = Math.max(t0 + 1, Math.floor(total * (o.endFraction ?? 0.75)));
  const n = Math.max(1, Math.min(o.n ?? 10, end - t0));
  const every = Math.max(1, Math.floor((end - t0) / n));
  return { initial: o.initial ?? 0, final: o.final, t0, n, every };
}

/**
 * Zhu & Gupta (2017): prune to s_i, then train `epochs` epochs while an `onStep` hook raises the
 * sparsity to s_t at t = t₀ + kΔt. If the trainer ran fewer steps than planned, the final target
 * is applied at the end (and recorded) so the result always has sparsity s_f.
 */
export async function gradual(model: MLP, env: ScheduleEnv, o: GradualOptions): Promise<ScheduleResult> {
  if (!env.fineTune) throw new RangeError('gradual pruning needs a fineTune function (it prunes during training)');
  const plan = gradualPlan(o);
  const steps: PruneStep[] = [];
  await rec(model, env, steps, 'dense', null, 0);
  let current = plan.initial;
  if (current > 0) {
    env.pruneTo(model, { sparsity: current });
    await rec(model, env, steps, 'pruned', current, 0);
  }
  const hook = (t: number, m: MLP) => {
    if (t < plan.t0 || (t - plan.t0) % plan.every !== 0) return;
    const s = polynomialSparsity(t, plan);
    if (s <= current) return;
    env.pruneTo(m, { sparsity: s });
    current = s;
    // Sparsity-only record (no evaluation mid-training: it would cost a pass over the test set).
    const { sparsity, layers } = layerRecords(m);
    steps.push({ index: steps.length, phase: 'gradual', targetSparsity: s, epochs: 0, trainingStep: t, sparsity, layers });
  };
  const hooks: FineTuneHooks = { ...env.hooks, onStep: { every: plan.every, fn: hook } };
  await env.fineTune(model, o.epochs, hooks);
  if (current < plan.final) {
    env.pruneTo(model, { sparsity: plan.final });
    await rec(model, env, steps, 'pruned', plan.final, o.epochs);
  }
  await rec(model, env, steps, 'finetuned', plan.final, o.epochs);
  return { model, steps };
}

export interface LotteryOptions {
  sparsities: number[];
  /** Weights to rewind to: the initial ones (Frankle & Carbin 2019) or an early iteration's (Frankle et al. 2020). */
  rewindTo: MLP;
  epochsPerRound: number;
}

/** Sets every kept weight to its value in `w0` (pruned ones stay 0) and biases to w0's: θ ← θ₀ ⊙ M. */
export function rewind(model: MLP, w0: MLP): void {
  if (w0.layers.length !== model.layers.length)
    throw new RangeError(`rewind: ${w0.layers.length} layers in the rewind point, ${model.layers.length} in the model`);
  model.layers.forEach((L, l) => {
    const R = w0.layers[l];
    if (R.weight.length !== L.weight.length || R.bias.length !== L.bias.length)
      throw new RangeError(`rewind: layer ${l} shape differs (${R.outFeatures}×${R.inFeatures} vs ${L.outFeatures}×${L.inFeatures})`);
    for (let i = 0; i < L.weight.length; i++) L.weight[i] = !L.mask || L.mask[i] ? R.weight[i] : 0;
    L.bias.set(R.bias);
  });
}

/** Lottery ticket: for each round, prune (scores from the trained weights), rewind to w₀ ⊙ M, train. */
export async function lottery(model: MLP, env: ScheduleEnv, o: LotteryOptions): Promise<ScheduleResult> {
  if (!env.fineTune) throw new RangeError('lottery-ticket pruning needs a fineTune function (it retrains each round)');
  const steps: PruneStep[] = [];
  let epochs = 0;
  await rec(model, env, steps, 'dense', null, 0);
  for (const s of o.sparsities) {
    checkSparsity(s, 'lottery sparsity');
    env.pruneTo(model, { sparsity: s });
    rewind(model, o.rewindTo);
    await rec(model, env, steps, 'pruned', s, epochs);
    await env.fineTune(model, o.epochsPerRound, env.hooks);
    epochs += o.epochsPerRound;
    await rec(model, env, steps, 'finetuned', s, epochs);
  }
  return { model, steps };
}
