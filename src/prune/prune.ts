/**
 * `pruneModel`: the one high-level entry point (the CLI and the sweep report call it).
 * score (criteria.ts) → threshold (threshold.ts) over a scope (scope.ts) → compose and apply masks
 * (mask.ts), on a schedule (schedule.ts) that fine-tunes with the injected trainer, recording every
 * step (steps.ts). Structured variants: whole neurons or N:M (structured.ts). The input model
 * is not modified; dead-neuron removal ("adjusting the network") is a separate step (src/compact).
 */
import type { MLP } from '../nn/model.js';
import { cloneMLP } from '../nn/model.js';
import { scoreModel, type CriterionInputs, type CriterionName, type Gradients, type RangeTracker } from './criteria.js';
import { pruneLayer } from './mask.js';
import { planMasks, resolveLayers, type ScopeKind } from './scope.js';
import type { FineTune, ScheduleEnv, ScheduleResult, FineTuneHooks } from './schedule.js';
import { PRUNING_SCHEDULES, type PruningScheduleName } from './schedules.js';
import { nmMask, pruneNeurons } from './structured.js';
import { validateAmount, type Amount } from './threshold.js';
import { recordStep, type Evaluate, type PruneStep } from './steps.js';

export type { PruningScheduleName };

/** What pruning needs from training and data, injected (src/prune/trainer.ts binds the real trainer). */
export interface PruneContext {
  /** Test metrics (plus train metrics and gradient norms when available) after each step. */
  evaluate?: Evaluate;
  /** Masked training in place; required by iterative, gradual, lottery and fine-tuning. */
  fineTune?: FineTune;
  /** Gradients of the current model over a few batches; required by taylor and obd. */
  gradients?: (model: MLP) => Gradients;
  /** Optimizer steps per epoch; required by the gradual schedule. */
  stepsPerEpoch?: number;
}

export interface PruneOptions {
  /** How much (unstructured); for the schedules other than one-shot it must be `{ sparsity }`. */
  amount?: Amount;
  criterion?: CriterionName;
  /** Initial weights (movement), tracker (range), user scores, seed (random). */
  inputs?: Omit<CriterionInputs, 'gradients'>;
  scope?: ScopeKind;
  /** Layers to prune (for `structured: 'neurons'`: hidden layers, i.e. outputs of layers[i]). */
  layers?: number[];
  minDensity?: number;
  schedule?: PruningScheduleName;
  /** Rounds for iterative (geometric steps up to the target, default 5). */
  steps?: number;
  /** Explicit sparsity per round (iterative, lottery), overriding `steps`. */
  sparsities?: number[];
  /** Epochs per round (iterative, lottery), total (gradual), after the prune (oneshot). */
  finetuneEpochs?: number;
  /** Lottery ticket: weights to rewind to (default: the model as given). Rate per round: 0.2. */
  rewindTo?: MLP;
  lotteryRate?: number;
  /** Structured pruning instead of unstructured. */
  structured?: { kind: 'neurons'; norm?: 1 | 2; outgoing?: boolean } | { kind: 'nm'; n: number; m: number };
  seed?: number;
  /** Stops pruning and fine-tuning (rejecting with the signal's reason) at the next batch once aborted. */
  signal?: AbortSignal;
}

export interface PruneResult {
  model: MLP;
  steps: PruneStep[];
}

/** Scores the model with the chosen criterion and prunes the scope to `amount` (in place). */
export function makePruneTo(ctx: PruneContext, opts: PruneOptions): (model: MLP, amount: Amount) => void {
  const criterion = opts.criterion ?? 'magnitude';
  let round = 0;
  return (model, amount) => {
    const inputs: CriterionInputs = { ...opts.inputs, seed: (opts.inputs?.seed ?? opts.seed ?? 0) + round++, gradients: ctx.gradients };
    const scores = scoreModel(model, criterion, inputs);
    const masks = planMasks(model, scores, amount, { scope: opts.scope, layers: opts.layers, minDensity: opts.minDensity });
    masks.forEach((m, l) => { if (m) pruneLayer(model.layers[l], m); });
  };
}

export async function pruneModel(input: MLP, ctx: PruneContext, opts: PruneOptions): Promise<PruneResult> {
  opts.signal?.throwIfAborted();
  const model = cloneMLP(input);
  const schedule = opts.schedule ?? 'oneshot';
  const epochs = opts.finetuneEpochs ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`finetuneEpochs must be a whole number ≥ 0, got ${epochs}`);
  if (opts.structured) return structured(model, ctx, opts, schedule, epochs);
  if (!opts.amount) throw new RangeError('amount: give a sparsity, a count, a percentile or a threshold');
  validateAmount(opts.amount);
  resolveLayers(model, opts.layers);

  const hooks: FineTuneHooks = { signal: opts.signal };
  const tracker: RangeTracker | undefined = opts.inputs?.tracker;
  if (tracker) hooks.onEpoch = (_rec, m) => tracker.observe(m);
  const env: ScheduleEnv = { pruneTo: makePruneTo(ctx, opts), fineTune: ctx.fineTune, evaluate: ctx.evaluate, hooks };

  if (!Object.hasOwn(PRUNING_SCHEDULES, schedule)) throw new RangeError(`unknown schedule '${schedule as string}'`);
  const s = PRUNING_SCHEDULES[schedule];
  if (s.needsSparsity && !('sparsity' in opts.amount)) throw new RangeError(`schedule ${schedule} needs a target sparsity (not a count, percentile or threshold)`);
  return s.run(model, env, {
    amount: opts.amount, epochs, steps: opts.steps, sparsities: opts.sparsities, stepsPerEpoch: ctx.stepsPerEpoch, lotteryRate: opts.lotteryRate,
    rewindTo: () => opts.rewindTo ?? cloneMLP(input),
  });
}

/** Structured pruning is one-shot (then optional fine-tuning). */
async function structured(model: MLP, ctx: PruneContext, opts: PruneOptions, schedule: PruningScheduleName, epochs: number): Promise<ScheduleResult> {
  const s = opts.structured!;
  if (schedule !== 'oneshot') throw new RangeError(`structured pruning (${s.kind}) supports only the oneshot schedule, got ${schedule}`);
  const steps: PruneStep[] = [];
  const rec = async (m: MLP, phase: PruneStep['phase'], target: number | null, ep: number) =>
    steps.push(await recordStep(m, { index: steps.length, phase, targetSparsity: target, epochs: ep }, ctx.evaluate));
  await rec(model, 'dense', null, 0);
  let out = model;
  let target: number | null = null;
  if (s.kind === 'neurons') {
    if (!opts.amount || !('sparsity' in opts.amount)) throw new RangeError('structured neuron pruning needs a sparsity: the fraction of hidden neurons to remove per layer');
    validateAmount(opts.amount);
    out = pruneNeurons(model, { fraction: opts.amount.sparsity, hidden: opts.layers, norm: s.norm, outgoing: s.outgoing }).model;
  } else {
    const layers = resolveLayers(model, opts.layers);
    const scores = scoreModel(model, opts.criterion ?? 'magnitude', { ...opts.inputs, seed: opts.inputs?.seed ?? opts.seed, gradients: ctx.gradients });
    for (const l of layers) {
      const L = model.layers[l];
      pruneLayer(L, nmMask(scores[l], L.outFeatures, L.inFeatures, s.n, s.m, L.mask));
    }
    target = 1 - s.n / s.m;
  }
  await rec(out, 'pruned', target, 0);
  if (epochs > 0) {
    if (!ctx.fineTune) throw new RangeError('fine-tuning epochs requested but no fineTune function given');
    await ctx.fineTune(out, epochs, { signal: opts.signal });
    await rec(out, 'finetuned', target, epochs);
  }
  return { model: out, steps };
}
