/** prunekit's pruning API: criteria, thresholds, scopes, masks, schedules, structured pruning. */
export { applyMask, composeMasks, countKept, currentMask, maskSparsity, modelMaskSparsity, pruneLayer } from './mask.js';
export { kthSmallest, percentile } from './select.js';
export { maskByCount, maskByThreshold, maskForAmount, validateAmount, type Amount } from './threshold.js';
export { planMasks, resolveLayers, hasPath, DEFAULT_MIN_DENSITY, type ScopeKind, type ScopeOptions } from './scope.js';
export {
  accumulateGradients,
  COMMAND_LINE_CRITERIA,
  CRITERIA,
  CRITERION_NAMES,
  displacementScores,
  magnitudeScores,
  movementScores,
  MovementTracker,
  obdScores,
  randomScores,
  RangeTracker,
  scoreModel,
  taylorScores,
  userScores,
  withHistory,
  type Criterion,
  type CriterionInputs,
  type CriterionName,
  type Need,
  type GradFn,
  type Gradients,
  type PrunePlan,
  type Scores,
} from './criteria.js';
export { neuronScores, nmMask, pruneNeurons, removeNeurons, type NeuronPruneOptions } from './structured.js';
export {
  geometricSparsities,
  gradual,
  gradualPlan,
  iterative,
  lottery,
  lotterySparsities,
  oneShot,
  polynomialSparsity,
  rewind,
  type FineTune,
  type GradualOptions,
  type PolynomialOptions,
  type PruneTo,
  type ScheduleEnv,
  type FineTuneHooks,
} from './schedule.js';
export { layerRecords, recordStep, type Evaluate, type LayerRecord, type Metrics, type PruneStep } from './steps.js';
export { makePruneTo, pruneModel, type PruneContext, type PruneOptions, type PruneResult } from './prune.js';
export { PRUNING_SCHEDULES, PRUNING_SCHEDULE_NAMES, type PruningSchedule, type PruningScheduleName, type SchedulePlan } from './schedules.js';
export { calibrationSamples, DEFAULT_CALIBRATION, trainerContext, type TrainerContextOptions } from './trainer.js';
export { DEFAULT_DAMPENING, obsPrune, obsScores, reconstructionError, type CalibrationSet, type ObsOptions, type Selection } from './obs.js';
