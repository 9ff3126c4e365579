/**
 * Importance criteria: one score per weight (a Float32Array per layer, shaped like `weight`).
 * Higher score = more important; pruning removes the lowest scores.
 *
 * | criterion    | score                         | source |
 * |--------------|-------------------------------|--------|
 * | magnitude    | |w|                           | Han et al. 2015, "Learning both Weights and Connections" |
 * | random       | u ~ U(0,1), seeded            | the control every pruning paper needs (e.g. Frankle & Carbin 2019) |
 * | movement     | S = −Σ_t w_t · ∂L/∂w_t        | movement pruning, Sanh, Wolf & Rush 2020: signed, summed over every recorded training / fine-tuning step |
 * | displacement | |w − w₀|                      | distance from initialisation, Zhou et al. 2019 ("Deconstructing Lottery Tickets") |
 * | range        | max_t w_t − min_t w_t         | range of each weight over training snapshots (w₀ and every epoch) |
 * | taylor       | |w · ∂L/∂w|                   | first-order Taylor: Mozer & Smolensky 1989 (skeletonization), Molchanov et al. 2017/2019; SNIP = this at init (Lee et al. 2019) |
 * | obd          | ½ · F_ii · w²                 | Optimal Brain Damage, LeCun et al. 1990, h_ii ≈ empirical Fisher F_ii = mean_n (∂ℓ_n/∂w)² over single samples |
 * | obs          | w²/[H⁻¹]_qq, then weight correction | Optimal Brain Surgeon (Hassibi & Stork 1993) layer-wise, H = 2·X·Xᵀ/n of calibration inputs; SparseGPT (Frantar & Alistarh 2023), see obs.ts |
 * |              | × ρ_r per output row (obsCurvature) | ρ_r = 1/[G⁻¹]_rr or G_rr, K-FAC's output factor G (Martens & Grosse 2015; EigenDamage, Wang et al. 2019), see kfac.ts |
 * |              | or w²/(2[F_blk⁻¹]_qq) (obsCurvature fisher) | the loss's Fisher in blocks (WoodFisher, oBERT), see fisher.ts |
 * | user         | anything the caller supplies  | — |
 *
 * movement, range and displacement read the model's training history (src/nn/history.ts) when
 * the caller does not pass their input: `train` records it and the model file stores it.
 *
 * Each criterion is one file in criteria/ and one line in criteria/registry.ts. A criterion may also
 * carry out the pruning itself (`prune` hook): obs removes the planned number of weights per layer
 * and corrects the ones it keeps, instead of the plain P ⊙ M.
 */
import type { MLP } from '../nn/model.js';
import * as registry from './criteria/registry.js';
import { NEED_MESSAGES, type Criterion, type CriterionInputs, type Scores } from './criteria/types.js';

export type CriterionName = keyof typeof registry;

/** Every criterion by name (see criteria/registry.ts to add one). */
export const CRITERIA: Readonly<Record<CriterionName, Criterion>> = registry;

/** The criterion names (a module namespace lists its exports sorted by name). */
export const CRITERION_NAMES = Object.keys(CRITERIA) as CriterionName[];

/** The criteria the command line offers: all but those scoring with caller-supplied numbers (`user`). */
export const COMMAND_LINE_CRITERIA = CRITERION_NAMES.filter((n) => !CRITERIA[n].needs.includes('userScores'));

export function isCriterionName(name: string): name is CriterionName {
  return Object.hasOwn(CRITERIA, name);
}

/** Scores for the named criterion, with a clear error when its input is missing. */
export function scoreModel(model: MLP, criterion: CriterionName, inputs: CriterionInputs = {}): Scores {
  if (!isCriterionName(criterion)) throw new RangeError(`unknown criterion '${criterion as string}'`);
  const c = CRITERIA[criterion];
  const filled = withHistory(model, inputs);
  for (const need of c.needs) {
    if (filled[need] === undefined) throw new RangeError(`criterion ${criterion} needs ${NEED_MESSAGES[need]}`);
  }
  return c.score(model, filled);
}

/** The inputs, with what the caller left out taken from the model's training history. */
export function withHistory(model: MLP, inputs: CriterionInputs): CriterionInputs {
  const h = model.history;
  if (!h) return inputs;
  return {
    ...inputs,
    tracker: inputs.tracker ?? h.range,
    movement: inputs.movement ?? h.movement,
    initial: inputs.initial ?? h.initial?.weights,
  };
}

export type { Criterion, CriterionInputs, GradFn, Gradients, Need, PrunePlan, Scores } from './criteria/types.js';
export { accumulateGradients } from './criteria/gradients.js';
export { magnitudeScores } from './criteria/magnitude.js';
export { randomScores } from './criteria/random.js';
export { movementScores } from './criteria/movement.js';
export { displacementScores } from './criteria/displacement.js';
export { MovementTracker, RangeTracker } from '../nn/history.js';
export { taylorScores } from './criteria/taylor.js';
export { obdScores } from './criteria/obd.js';
export { userScores } from './criteria/user.js';
