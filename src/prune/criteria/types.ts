/**
 * What a pruning criterion is: a score per weight (a Float32Array per layer, shaped like `weight`)
 * computed from the model and the inputs the criterion `needs`. Higher score = more important;
 * pruning removes the lowest scores. Scores of weights already pruned are ignored by the
 * thresholds (those weights are not candidates any more).
 */
import type { MLP } from '../../nn/model.js';
import type { MovementTracker, RangeTracker } from '../../nn/history.js';
import type { CalibrationSet } from '../obs.js';
import type { ObsCurvature } from '../kfac.js';

export type Scores = Float32Array[];

/** Per-layer gradients, each shaped like that layer's weight. */
export interface Gradients {
  /** Mean ∂L/∂W over the batches seen. */
  grads: Float32Array[];
  /** Mean over batches of the squared batch-mean gradient (not the Fisher: E[ḡ²] = μ² + σ²/B). */
  sqGrads: Float32Array[];
  /** Empirical Fisher diagonal mean_n (∂ℓ_n/∂W)² over single samples n (src/nn/train.ts computeGradients). */
  fisher?: Float32Array[];
}

/** Returns per-layer mean ∂L/∂W over one batch (or several) for the model as it is now. */
export type GradFn = (model: MLP) => Float32Array[];

/** Everything a criterion may need besides the model. */
export interface CriterionInputs {
  seed?: number;
  initial?: MLP | Float32Array[];
  tracker?: RangeTracker;
  /** Accumulated movement scores −Σ_t w_t·∂L/∂w_t (movement). */
  movement?: MovementTracker;
  /** Gradients for taylor/obd: a value, or a provider called with the current model. */
  gradients?: Gradients | ((model: MLP) => Gradients);
  userScores?: ArrayLike<number>[];
  /** A few hundred training inputs from which second-order criteria (obs) build each layer's Hessian. */
  calibration?: CalibrationSet;
  /** λ of the Hessian dampening λ·mean(diag H) (obs; default 0.01). */
  dampening?: number;
  /** How obs makes saliencies comparable across layers: 'layer' (default; each layer's output error), 'kfac', 'kfac-diag' (the loss, ../kfac.ts), 'fisher', 'fisher-true' (the loss's block Fisher, ../fisher.ts). */
  obsCurvature?: ObsCurvature;
  /** Weights per block of the Fisher (obsCurvature 'fisher' and 'fisher-true', ../fisher.ts; default 16). */
  obsBlock?: number;
}

/** An input a criterion cannot score without (`seed` is optional everywhere: it defaults to 0). */
export type Need = Exclude<keyof CriterionInputs, 'seed' | 'dampening' | 'obsCurvature' | 'obsBlock'>;

/** What `scoreModel` says when a needed input is missing. */
export const NEED_MESSAGES: Record<Need, string> = {
  initial: 'the initial weights (inputs.initial)',
  tracker:
    'the weight range recorded during training (inputs.tracker); the model carries it when trained by prunekit train (older model files do not: retrain)',
  movement: 'the movement accumulated during training or fine-tuning (inputs.movement); the model carries it when trained by prunekit train',
  gradients: 'gradients (inputs.gradients)',
  userScores: 'inputs.userScores',
  calibration: 'calibration samples from the training data (inputs.calibration)',
};

/**
 * The pruning a criterion with a `prune` hook is asked to carry out: the masks thresholding its
 * scores produced (composed with the old ones; undefined = layer out of scope), or N:M groups.
 */
export type PrunePlan = { kind: 'masks'; masks: (Uint8Array | undefined)[] } | { kind: 'nm'; n: number; m: number; layers: number[] };

/** One entry of the CRITERIA registry (src/prune/criteria.ts). */
export interface Criterion {
  /** Inputs `score` reads; `scoreModel` checks they are present before calling it. */
  readonly needs: readonly Need[];
  /** One line for help text: the score's formula and its source. */
  readonly describe: string;
  /** Scores for `model` as it is now; `inputs` holds every entry of `needs`. */
  score(model: MLP, inputs: CriterionInputs): Scores;
  /**
   * Optional, for criteria that also correct the weights they keep (obs): prunes `model` in place as
   * `plan` says — each planned layer ends with exactly the planned number of pruned weights (or the
   * N:M pattern), weights pruned before stay pruned — instead of the plain P ⊙ M. The hook may
   * re-choose which weights inside a layer, and changes the kept ones.
   */
  prune?(model: MLP, plan: PrunePlan, inputs: CriterionInputs): void;
}

export function checkShapes(model: MLP, arrays: ArrayLike<number>[], what: string): void {
  if (arrays.length !== model.layers.length) throw new RangeError(`${what}: ${arrays.length} arrays for ${model.layers.length} layers`);
  arrays.forEach((a, l) => {
    const L = model.layers[l];
    if (a.length !== L.weight.length)
      throw new RangeError(`${what}: layer ${l} has ${a.length} values, expected ${L.outFeatures}×${L.inFeatures} = ${L.weight.length}`);
  });
}
