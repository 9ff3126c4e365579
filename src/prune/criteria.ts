/**
 * Importance criteria: one score per weight (a Float32Array per layer, shaped like `weight`).
 * Higher score = more important; pruning removes the lowest scores. Scores of weights already
 * pruned are ignored by the thresholds (those weights are not candidates any more).
 *
 * | criterion  | score                         | source |
 * |------------|-------------------------------|--------|
 * | magnitude  | |w|                           | Han et al. 2015, "Learning both Weights and Connections" |
 * | random     | u ~ U(0,1), seeded            | the control every pruning paper needs (e.g. Frankle & Carbin 2019) |
 * | movement   | |w − w₀|                      | distance travelled from initialisation (cf. Frankle & Carbin 2019; Sanh et al. 2020 use the signed −w·∂L/∂w variant) |
 * | range      | max_t w_t − min_t w_t         | the seed's "变化范围": range of each weight over training snapshots |
 * | taylor     | |w · ∂L/∂w|                   | first-order Taylor: Mozer & Smolensky 1989 (skeletonization), Molchanov et al. 2017/2019; SNIP = this at init (Lee et al. 2019) |
 * | obd        | ½ · h_ii · w²                 | Optimal Brain Damage, LeCun et al. 1990, h_ii ≈ diagonal Fisher E[(∂L/∂w)²] |
 * | user       | anything the caller supplies  | — |
 */
import type { MLP } from '../nn/model.js';
import { Rng } from '../util/rng.js';

export type Scores = Float32Array[];
export type CriterionName = 'magnitude' | 'random' | 'movement' | 'range' | 'taylor' | 'obd' | 'user';

/** Per-layer gradients, each shaped like that layer's weight. */
export interface Gradients {
  /** Mean ∂L/∂W over the batches seen. */
  grads: Float32Array[];
  /** Mean over batches of (∂L/∂W)² — the diagonal (empirical) Fisher estimate. */
  sqGrads: Float32Array[];
}

/** Returns per-layer mean ∂L/∂W over one batch (or several) for the model as it is now. */
export type GradFn = (model: MLP) => Float32Array[];

function checkShapes(model: MLP, arrays: ArrayLike<number>[], what: string): void {
  if (arrays.length !== model.layers.length) throw new RangeError(`${what}: ${arrays.length} arrays for ${model.layers.length} layers`);
  arrays.forEach((a, l) => {
    const L = model.layers[l];
    if (a.length !== L.weight.length) throw new RangeError(`${what}: layer ${l} has ${a.length} values, expected ${L.outFeatures}×${L.inFeatures} = ${L.weight.length}`);
  });
}

/** |w| (Han et al. 2015). */
export function magnitudeScores(model: MLP): Scores {
  return model.layers.map((L) => L.weight.map(Math.abs));
}

/** Uniform random scores from a seeded Rng: random pruning, the baseline. */
export function randomScores(model: MLP, seed: number): Scores {
  const rng = new Rng(seed);
  return model.layers.map((L) => Float32Array.from(L.weight, () => rng.next()));
}

/** |w − w₀|: how far each weight moved from `initial` (same architecture). */
export function movementScores(model: MLP, initial: MLP | Float32Array[]): Scores {
  const w0 = Array.isArray(initial) ? initial : initial.layers.map((L) => L.weight);
  checkShapes(model, w0, 'movement: initial weights');
  return model.layers.map((L, l) => L.weight.map((w, i) => Math.abs(w - w0[l][i])));
}

/**
 * Tracks the range max − min of every weight over the snapshots it observes. Call `observe(model)`
 * once before training (or let the constructor do it) and then from the trainer's epoch hook.
 */
export class RangeTracker {
  readonly min: Float32Array[];
  readonly max: Float32Array[];
  snapshots = 0;

  constructor(model: MLP) {
    this.min = model.layers.map((L) => L.weight.slice());
    this.max = model.layers.map((L) => L.weight.slice());
    this.snapshots = 1;
  }

  observe(model: MLP): void {
    checkShapes(model, this.min, 'RangeTracker.observe: the model changed shape;');
    model.layers.forEach((L, l) => {
      const lo = this.min[l], hi = this.max[l], w = L.weight;
      for (let i = 0; i < w.length; i++) {
        if (w[i] < lo[i]) lo[i] = w[i];
        if (w[i] > hi[i]) hi[i] = w[i];
      }
    });
    this.snapshots++;
  }

  /** max − min per weight. */
  scores(): Scores {
    return this.max.map((hi, l) => hi.map((h, i) => h - this.min[l][i]));
  }
}

/** First-order Taylor / SNIP saliency |w · ḡ| with ḡ the mean gradient (Molchanov et al. 2017; Lee et al. 2019). */
export function taylorScores(model: MLP, grads: Float32Array[]): Scores {
  checkShapes(model, grads, 'taylor: gradients');
  return model.layers.map((L, l) => L.weight.map((w, i) => Math.abs(w * grads[l][i])));
}

/**
 * Optimal Brain Damage saliency s = ½·h_ii·w² (LeCun, Denker & Solla 1990), with the diagonal of
 * the Hessian approximated by the empirical Fisher h_ii ≈ E[(∂L/∂w)²] (`sqGrads`). The Fisher from
 * batch-mean gradients is smaller than the per-sample one by about the batch size, uniformly, so
 * the ranking (all a threshold needs) is unaffected.
 */
export function obdScores(model: MLP, sqGrads: Float32Array[]): Scores {
  checkShapes(model, sqGrads, 'obd: squared gradients');
  return model.layers.map((L, l) => L.weight.map((w, i) => 0.5 * sqGrads[l][i] * w * w));
}

/** Caller-supplied scores, validated (shape, no NaN). */
export function userScores(model: MLP, scores: ArrayLike<number>[]): Scores {
  checkShapes(model, scores, 'user scores');
  return scores.map((s, l) => {
    const out = Float32Array.from(s);
    const bad = out.findIndex(Number.isNaN);
    if (bad >= 0) throw new RangeError(`user scores: layer ${l} has NaN at index ${bad}`);
    return out;
  });
}

/**
 * Calls `gradFn` `batches` times and averages: grads = mean g_b, sqGrads = mean g_b² (per weight).
 * Use it when the gradient source yields one batch per call; the trainer's `computeGradients`
 * returns the same `Gradients` directly.
 */
export function accumulateGradients(model: MLP, gradFn: GradFn, batches: number): Gradients {
  if (!Number.isInteger(batches) || batches < 1) throw new RangeError(`batches must be a whole number ≥ 1, got ${batches}`);
  const grads = model.layers.map((L) => new Float32Array(L.weight.length));
  const sqGrads = model.layers.map((L) => new Float32Array(L.weight.length));
  for (let b = 0; b < batches; b++) {
    const g = gradFn(model);
    checkShapes(model, g, 'gradFn result');
    g.forEach((gl, l) => {
      for (let i = 0; i < gl.length; i++) {
        grads[l][i] += gl[i] / batches;
        sqGrads[l][i] += (gl[i] * gl[i]) / batches;
      }
    });
  }
  return { grads, sqGrads };
}

/** Everything a criterion may need besides the model. */
export interface CriterionInputs {
  seed?: number;
  initial?: MLP | Float32Array[];
  tracker?: RangeTracker;
  /** Gradients for taylor/obd: a value, or a provider called with the current model. */
  gradients?: Gradients | ((model: MLP) => Gradients);
  userScores?: ArrayLike<number>[];
}

/** Scores for the named criterion, with a clear error when its input is missing. */
export function scoreModel(model: MLP, criterion: CriterionName, inputs: CriterionInputs = {}): Scores {
  switch (criterion) {
    case 'magnitude': return magnitudeScores(model);
    case 'random': return randomScores(model, inputs.seed ?? 0);
    case 'movement':
      if (!inputs.initial) throw new RangeError('criterion movement needs the initial weights (inputs.initial)');
      return movementScores(model, inputs.initial);
    case 'range':
      if (!inputs.tracker) throw new RangeError('criterion range needs a RangeTracker that observed training (inputs.tracker)');
      return inputs.tracker.scores();
    case 'taylor':
    case 'obd': {
      if (!inputs.gradients) throw new RangeError(`criterion ${criterion} needs gradients (inputs.gradients)`);
      const g = typeof inputs.gradients === 'function' ? inputs.gradients(model) : inputs.gradients;
      return criterion === 'taylor' ? taylorScores(model, g.grads) : obdScores(model, g.sqGrads);
    }
    case 'user':
      if (!inputs.userScores) throw new RangeError('criterion user needs inputs.userScores');
      return userScores(model, inputs.userScores);
    default:
      throw new RangeError(`unknown criterion '${criterion as string}'`);
  }
}
