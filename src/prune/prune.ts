/**
 * `pruneModel`: the one high-level entry point (the CLI and the sweep report call it).
 * score (criteria.ts) → threshold (threshold.ts) over a scope (scope.ts) → compose and apply masks
 * (mask.ts), on a schedule (schedule.ts) that fine-tunes with the injected trainer, recording every
 * step (steps.ts). Structured variants: whole neurons or N:M (structured.ts). The input model
 * is not modified; dead-neuron removal ("adjusting the network") is a separate step (src/compact).
 */
import type { MLP } from '../nn/model.js';
import { cloneMLP } from '../nn/model.js';
import { modelAt, MovementTracker } from '../nn/history.js';
import { CRITERIA, scoreModel, type CriterionInputs, type CriterionName, type Gradients } from './criteria.js';
import { pruneLayer } from './mask.js';
import { planMasks, resolveLayers, type ScopeKind } from './scope.js';
import type { FineTune, ScheduleEnv, ScheduleResult, FineTuneHooks } from './schedule.js';
import { PRUNING_SCHEDULES, type PruningScheduleName } from './schedules.js';
import { nmMask, pruneNeurons } from './structured.js';
import { validateAmount, type Amount } from './threshold.js';
import { recordStep, type Evaluate, type PruneStep } from './steps.js';
import type { CalibrationSet } from './obs.js';

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
  /** Training samples for the layer Hessians of second-order criteria (obs). */
  calibration?: CalibrationSet;
}

export interface PruneOptions {
  /** How much (unstructured); for the schedules other than one-shot it must be `{ sparsity }`. */
  amount?: Amount;
  criterion?: CriterionName;
  /**
   * Initial weights (displacement), range tracker (range), movement tracker (movement), user
   * scores, seed (random). Left out, they come from the model's training history (`model.history`).
   */
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
  /**
   * Lottery ticket: the weights to rewind to after each prune. Default: the model's recorded
   * rewind point — w₀ (`history.initial`, or `inputs.initial` given as a model), or the weights
   * after epoch `rewindEpoch` when training recorded them (Frankle et al. 2020). Rate per round: 0.2.
   */
  rewindTo?: MLP;
  /** Rewind to the weights after this many training epochs (0: w₀); must match the model's history. */
  rewindEpoch?: number;
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

/** The caller's inputs, with the trackers this run continues (continueHistory) in place of the ones passed in, and the context's data. */
function runInputs(model: MLP, ctx: PruneContext, opts: PruneOptions): CriterionInputs {
  return {
    ...opts.inputs,
    tracker: model.history?.range ?? opts.inputs?.tracker,
    movement: model.history?.movement ?? opts.inputs?.movement,
    gradients: ctx.gradients,
    calibration: opts.inputs?.calibration ?? ctx.calibration,
  };
}

/** Scores the model with the chosen criterion and prunes the scope to `amount` (in place). */
export function makePruneTo(ctx: PruneContext, opts: PruneOptions): (model: MLP, amount: Amount) => void {
  const criterion = opts.criterion ?? 'magnitude';
  let round = 0;
  return (model, amount) => {
    const inputs: CriterionInputs = { ...runInputs(model, ctx, opts), seed: (opts.inputs?.seed ?? opts.seed ?? 0) + round++ };
    const scores = scoreModel(model, criterion, inputs);
    const masks = planMasks(model, scores, amount, { scope: opts.scope, layers: opts.layers, minDensity: opts.minDensity });
    // A criterion that corrects the weights it keeps (obs) carries the plan out itself.
    const surgeon = CRITERIA[criterion].prune;
    if (surgeon) surgeon(model, { kind: 'masks', masks }, inputs);
    else
      masks.forEach((m, l) => {
        if (m) pruneLayer(model.layers[l], m);
      });
  };
}

export async function pruneModel(input: MLP, ctx: PruneContext, opts: PruneOptions): Promise<PruneResult> {
  opts.signal?.throwIfAborted();
  const model = cloneMLP(input);
  const schedule = opts.schedule ?? 'oneshot';
  const epochs = opts.finetuneEpochs ?? 0;
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`finetuneEpochs must be a whole number ≥ 0, got ${epochs}`);
  const hooks: FineTuneHooks = { ...continueHistory(model, opts), signal: opts.signal };
  if (opts.structured) return structured(model, ctx, opts, schedule, epochs, hooks);
  if (!opts.amount) throw new RangeError('amount: give a sparsity, a count, a percentile or a threshold');
  validateAmount(opts.amount);
  resolveLayers(model, opts.layers);

  const env: ScheduleEnv = { pruneTo: makePruneTo(ctx, opts), fineTune: ctx.fineTune, evaluate: ctx.evaluate, hooks };

  if (!Object.hasOwn(PRUNING_SCHEDULES, schedule)) throw new RangeError(`unknown schedule '${schedule as string}'`);
  const s = PRUNING_SCHEDULES[schedule];
  if (s.needsSparsity && !('sparsity' in opts.amount))
    throw new RangeError(`schedule ${schedule} needs a target sparsity (not a count, percentile or threshold)`);
  return s.run(model, env, {
    amount: opts.amount,
    epochs,
    steps: opts.steps,
    sparsities: opts.sparsities,
    stepsPerEpoch: ctx.stepsPerEpoch,
    lotteryRate: opts.lotteryRate,
    rewindTo: () => opts.rewindTo ?? rewindPoint(model, opts),
  });
}

/**
 * This run's own training history, continued through its fine-tuning: the (cloned) model's range
 * and movement trackers observe every fine-tuning epoch and step, so each pruning run — each point
 * of a sweep — sees its own trajectory and nobody else's. A tracker passed in `inputs` is copied,
 * never changed; movement without any history starts from S = 0 here (Sanh et al.'s setting:
 * accumulated over fine-tuning only).
 */
function continueHistory(model: MLP, opts: PruneOptions): FineTuneHooks {
  const needs = CRITERIA[opts.criterion ?? 'magnitude']?.needs ?? [];
  const inp = opts.inputs;
  if (inp?.tracker) (model.history ??= {}).range = inp.tracker.clone();
  if (inp?.movement) (model.history ??= {}).movement = inp.movement.clone();
  if (needs.includes('movement') && !model.history?.movement) (model.history ??= {}).movement = new MovementTracker(model);
  const range = model.history?.range,
    movement = model.history?.movement;
  const hooks: FineTuneHooks = {};
  if (range) hooks.onEpoch = (_rec, m) => range.observe(m);
  if (movement) hooks.movement = movement; // the trainer sums it in kernel memory; pruned weights are 0: S changes only where w ≠ 0
  return hooks;
}

/** The lottery ticket's rewind point (see PruneOptions.rewindTo), or a clear error naming what is missing. */
function rewindPoint(model: MLP, opts: PruneOptions): MLP {
  const h = model.history,
    k = opts.rewindEpoch;
  const given = opts.inputs?.initial && !Array.isArray(opts.inputs.initial) ? opts.inputs.initial : undefined;
  if (k !== undefined && (!Number.isInteger(k) || k < 0)) throw new RangeError(`rewindEpoch must be a whole number ≥ 0, got ${k}`);
  if (k === undefined || k === 0) {
    const snap = (k === undefined ? h?.rewind : undefined) ?? h?.initial;
    if (snap) return modelAt(model, snap);
    if (given) return given;
    throw new RangeError(
      'lottery ticket: no weights to rewind to — the model has no recorded initial weights (train it with prunekit train, or pass rewindTo / inputs.initial)',
    );
  }
  if (h?.rewind?.epoch === k) return modelAt(model, h.rewind);
  throw new RangeError(
    `lottery ticket: rewinding to epoch ${k} needs the weights training recorded after epoch ${k}; ` +
      (h?.rewind ? `this model recorded epoch ${h.rewind.epoch}` : 'this model recorded none') +
      ` (train with --rewind-epoch ${k})`,
  );
}

/** Structured pruning is one-shot (then optional fine-tuning). */
async function structured(
  model: MLP,
  ctx: PruneContext,
  opts: PruneOptions,
  schedule: PruningScheduleName,
  epochs: number,
  hooks: FineTuneHooks,
): Promise<ScheduleResult> {
  const s = opts.structured!;
  if (schedule !== 'oneshot') throw new RangeError(`structured pruning (${s.kind}) supports only the oneshot schedule, got ${schedule}`);
  const steps: PruneStep[] = [];
  const rec = async (m: MLP, phase: PruneStep['phase'], target: number | null, ep: number) =>
    steps.push(await recordStep(m, { index: steps.length, phase, targetSparsity: target, epochs: ep }, ctx.evaluate));
  await rec(model, 'dense', null, 0);
  let out = model;
  let target: number | null = null;
  if (s.kind === 'neurons') {
    if (!opts.amount || !('sparsity' in opts.amount))
      throw new RangeError('structured neuron pruning needs a sparsity: the fraction of hidden neurons to remove per layer');
    validateAmount(opts.amount);
    out = pruneNeurons(model, { fraction: opts.amount.sparsity, hidden: opts.layers, norm: s.norm, outgoing: s.outgoing }).model;
  } else {
    const layers = resolveLayers(model, opts.layers);
    const criterion = opts.criterion ?? 'magnitude';
    const inputs: CriterionInputs = { ...runInputs(model, ctx, opts), seed: opts.inputs?.seed ?? opts.seed };
    const scores = scoreModel(model, criterion, inputs);
    const surgeon = CRITERIA[criterion].prune;
    if (surgeon) surgeon(model, { kind: 'nm', n: s.n, m: s.m, layers }, inputs);
    else {
      for (const l of layers) {
        const L = model.layers[l];
        pruneLayer(L, nmMask(scores[l], L.outFeatures, L.inFeatures, s.n, s.m, L.mask));
      }
    }
    target = 1 - s.n / s.m;
  }
  await rec(out, 'pruned', target, 0);
  if (epochs > 0) {
    if (!ctx.fineTune) throw new RangeError('fine-tuning epochs requested but no fineTune function given');
    // Removing neurons changed the shapes (and dropped the history); N:M keeps them, so its history continues.
    await ctx.fineTune(out, epochs, out === model ? hooks : { signal: opts.signal });
    await rec(out, 'finetuned', target, epochs);
  }
  return { model: out, steps };
}
