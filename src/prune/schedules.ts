/**
 * The pruning schedules by name (implementations in schedule.ts): what each needs and how
 * `pruneModel` runs it. A new schedule is a function in schedule.ts plus one entry here; the
 * PruningScheduleName type, the CLI's --schedule choices and help, and the sweep's grid follow.
 */
import type { MLP } from '../nn/model.js';
import { geometricSparsities, gradual, iterative, lottery, lotterySparsities, oneShot, type ScheduleEnv, type ScheduleResult } from './schedule.js';
import type { Amount } from './threshold.js';

/** What `pruneModel` hands a schedule besides the model and the environment. */
export interface SchedulePlan {
  /** How much; a `{ sparsity }` whenever the schedule `needsSparsity`. */
  amount: Amount;
  /** Fine-tuning epochs: per round (iterative, lottery), in total (gradual), after the prune (oneshot). */
  epochs: number;
  /** Rounds (iterative) or pruning steps (gradual). */
  steps?: number;
  /** Explicit sparsity per round (iterative, lottery). */
  sparsities?: number[];
  /** Optimizer steps per epoch (gradual). */
  stepsPerEpoch?: number;
  /** Fraction of the remaining weights pruned per lottery round. */
  lotteryRate?: number;
  /** The weights a rewinding schedule resets the kept weights to (called only by those). */
  rewindTo: () => MLP;
}

export interface PruningSchedule {
  /** One line for help text. */
  readonly describe: string;
  /** Needs a target sparsity (not a count, percentile or threshold). */
  readonly needsSparsity: boolean;
  /** Resets the kept weights to `plan.rewindTo()` between rounds. */
  readonly rewinds: boolean;
  run(model: MLP, env: ScheduleEnv, plan: SchedulePlan): Promise<ScheduleResult>;
}

function targetSparsity(plan: SchedulePlan): number {
  if (!('sparsity' in plan.amount)) throw new RangeError('this schedule needs a target sparsity (not a count, percentile or threshold)');
  return plan.amount.sparsity;
}

export const PRUNING_SCHEDULES = {
  oneshot: {
    describe: 'prune once to the target, then fine-tune',
    needsSparsity: false,
    rewinds: false,
    run: (model, env, plan) => oneShot(model, env, plan.amount, plan.epochs),
  },
  iterative: {
    describe: 'prune → fine-tune rounds, kept fraction shrinking geometrically (Han et al. 2015)',
    needsSparsity: true,
    rewinds: false,
    run: (model, env, plan) => iterative(model, env, plan.sparsities ?? geometricSparsities(targetSparsity(plan), plan.steps ?? 5), plan.epochs),
  },
  gradual: {
    describe: 'sparsity raised during training along a cubic (Zhu & Gupta 2017)',
    needsSparsity: true,
    rewinds: false,
    run: (model, env, plan) => {
      if (!plan.stepsPerEpoch) throw new RangeError('gradual schedule needs stepsPerEpoch in the context');
      return gradual(model, env, { final: targetSparsity(plan), epochs: plan.epochs, stepsPerEpoch: plan.stepsPerEpoch, n: plan.steps });
    },
  },
  lottery: {
    describe: 'prune 20% per round, rewind the kept weights, retrain (Frankle & Carbin 2019)',
    needsSparsity: true,
    rewinds: true,
    run: (model, env, plan) =>
      lottery(model, env, {
        sparsities: plan.sparsities ?? lotterySparsities(targetSparsity(plan), plan.lotteryRate ?? 0.2),
        rewindTo: plan.rewindTo(),
        epochsPerRound: plan.epochs,
      }),
  },
} as const satisfies Record<string, PruningSchedule>;

export type PruningScheduleName = keyof typeof PRUNING_SCHEDULES;
export const PRUNING_SCHEDULE_NAMES = Object.keys(PRUNING_SCHEDULES) as PruningScheduleName[];
