/**
 * What training leaves behind besides the final weights: the parts of the trajectory that some
 * pruning criteria and schedules need. `train` records it (HistoryRecorder), the training-model
 * file stores it (src/nn/io.ts), and pruning continues it during fine-tuning (src/prune/prune.ts).
 *
 * - range: element-wise min_t w_t and max_t w_t over the snapshots w₀ and the weights after
 *   every epoch — the `range` criterion is max_t w_t − min_t w_t.
 * - movement: S = −Σ_t w_t ⊙ ∂L/∂w_t summed over every optimizer step t (Sanh, Wolf & Rush 2020,
 *   "Movement Pruning"), with ∂L/∂w the mini-batch gradient of the data loss at the weights w_t
 *   the step started from. S > 0: the weight is moving away from zero; S < 0: towards zero.
 * - initial: w₀, the weights and biases before training — the `displacement` criterion |w − w₀|
 *   and the lottery ticket's rewind point (Frankle & Carbin 2019).
 * - rewind: the weights and biases after epoch k ≥ 1, the late-rewind point of Frankle et al.
 *   2020 ("Linear Mode Connectivity and the Lottery Ticket Hypothesis"), when asked for.
 *
 * Every array is shaped like the layer's weight (or bias); a model whose shapes change (neurons
 * removed) drops its history.
 */
import type { MLP } from './model.js';

/** Weights and biases of every layer at one moment of training. */
export interface ParamSnapshot {
  weights: Float32Array[];
  biases: Float32Array[];
}

export interface TrainingHistory {
  range?: RangeTracker;
  movement?: MovementTracker;
  initial?: ParamSnapshot;
  /** Weights after `epoch` (≥ 1) epochs of training. */
  rewind?: ParamSnapshot & { epoch: number };
}

function checkShapes(model: MLP, arrays: ArrayLike<number>[], what: string): void {
  if (arrays.length !== model.layers.length) throw new RangeError(`${what}: ${arrays.length} arrays for ${model.layers.length} layers`);
  arrays.forEach((a, l) => {
    const L = model.layers[l];
    if (a.length !== L.weight.length)
      throw new RangeError(`${what}: layer ${l} has ${a.length} values, expected ${L.outFeatures}×${L.inFeatures} = ${L.weight.length}`);
  });
}

/** A copy of the model's weights and biases. */
export function snapshot(model: MLP): ParamSnapshot {
  return { weights: model.layers.map((L) => L.weight.slice()), biases: model.layers.map((L) => L.bias.slice()) };
}

/** A copy of `model` with the snapshot's weights and biases (masks and everything else kept). */
export function modelAt(model: MLP, s: ParamSnapshot): MLP {
  checkShapes(model, s.weights, 'snapshot');
  return {
    ...model,
    layers: model.layers.map((L, l) => {
      if (s.biases[l]?.length !== L.bias.length) throw new RangeError(`snapshot: layer ${l} has ${s.biases[l]?.length} biases, expected ${L.bias.length}`);
      return { ...L, weight: s.weights[l].slice(), bias: s.biases[l].slice(), mask: L.mask?.slice() };
    }),
    history: undefined,
  };
}

/**
 * Tracks the range max − min of every weight over the snapshots it observes. The constructor
 * observes the model as it is (w₀); call `observe(model)` after every epoch (`train`'s onEpoch).
 */
export class RangeTracker {
  readonly min: Float32Array[];
  readonly max: Float32Array[];
  snapshots: number;

  constructor(model: MLP) {
    this.min = model.layers.map((L) => L.weight.slice());
    this.max = model.layers.map((L) => L.weight.slice());
    this.snapshots = 1;
  }

  /** A tracker with the given state (e.g. read from a model file); min[l][i] ≤ max[l][i]. */
  static fromState(min: Float32Array[], max: Float32Array[], snapshots: number): RangeTracker {
    const t = Object.create(RangeTracker.prototype) as RangeTracker;
    Object.assign(t, { min, max, snapshots });
    return t;
  }

  clone(): RangeTracker {
    return RangeTracker.fromState(
      this.min.map((a) => a.slice()),
      this.max.map((a) => a.slice()),
      this.snapshots,
    );
  }

  observe(model: MLP): void {
    checkShapes(model, this.min, 'RangeTracker.observe: the model changed shape;');
    model.layers.forEach((L, l) => {
      const lo = this.min[l],
        hi = this.max[l],
        w = L.weight;
      for (let i = 0; i < w.length; i++) {
        if (w[i] < lo[i]) lo[i] = w[i];
        if (w[i] > hi[i]) hi[i] = w[i];
      }
    });
    this.snapshots++;
  }

  /** max_t w_t − min_t w_t per weight. */
  scores(): Float32Array[] {
    return this.max.map((hi, l) => hi.map((h, i) => h - this.min[l][i]));
  }
}

/**
 * Sanh et al. (2020) movement scores, accumulated step by step: S ← S − w_t ⊙ g_t, where g_t is
 * the step's mini-batch gradient of the data loss at w_t. `train` calls `observe` through its
 * onGradient hook, after the backward pass and before the SGD step.
 */
export class MovementTracker {
  readonly scores: Float32Array[];
  /** Optimizer steps accumulated. */
  steps: number;

  constructor(shapes: MLP | Float32Array[]) {
    this.scores = (Array.isArray(shapes) ? shapes : shapes.layers.map((L) => L.weight)).map((w) => new Float32Array(w.length));
    this.steps = 0;
  }

  static fromState(scores: Float32Array[], steps: number): MovementTracker {
    const t = new MovementTracker([]);
    (t as { scores: Float32Array[] }).scores = scores;
    t.steps = steps;
    return t;
  }

  clone(): MovementTracker {
    return MovementTracker.fromState(
      this.scores.map((a) => a.slice()),
      this.steps,
    );
  }

  /** One optimizer step: `weights[l]` and `grads[l]` are layer l's w_t and ∂L/∂w at w_t. */
  observe(weights: ArrayLike<number>[], grads: ArrayLike<number>[]): void {
    if (weights.length !== this.scores.length || grads.length !== this.scores.length) {
      throw new RangeError(`MovementTracker.observe: ${weights.length} weight and ${grads.length} gradient arrays for ${this.scores.length} layers`);
    }
    for (let l = 0; l < this.scores.length; l++) {
      const S = this.scores[l],
        w = weights[l],
        g = grads[l];
      if (w.length !== S.length || g.length !== S.length)
        throw new RangeError(`MovementTracker.observe: layer ${l} has ${w.length} weights and ${g.length} gradients, expected ${S.length}`);
      subtractProduct(S, w, g);
    }
    this.steps++;
  }
}

/** `observe` for layers given at their trainable weights only (train's onGradientAt): S[p_q] −= w_q·g_q. */
export function observeAt(t: MovementTracker, layers: { positions: Int32Array | null; weights: Float32Array; grads: Float32Array }[]): void {
  if (layers.length !== t.scores.length) throw new RangeError(`MovementTracker.observeAt: ${layers.length} layers for ${t.scores.length}`);
  layers.forEach(({ positions, weights: w, grads: g }, l) => {
    const S = t.scores[l];
    if (!positions) {
      subtractProduct(S, w, g);
      return;
    }
    for (let q = 0; q < positions.length; q++) S[positions[q]] -= w[q] * g[q];
  });
  t.steps++;
}

/** S ← S − w ⊙ g, element by element (its own small function so the engine compiles one tight loop). */
function subtractProduct(S: Float32Array, w: ArrayLike<number>, g: ArrayLike<number>): void {
  const n = S.length;
  for (let i = 0; i < n; i++) S[i] -= w[i] * g[i];
}

/** The history's arrays all match the model's shapes (throws a RangeError naming the first that does not). */
export function checkHistory(model: MLP, h: TrainingHistory): void {
  if (h.range) {
    checkShapes(model, h.range.min, 'history range.min');
    checkShapes(model, h.range.max, 'history range.max');
  }
  if (h.movement) checkShapes(model, h.movement.scores, 'history movement');
  for (const [name, s] of [
    ['initial', h.initial],
    ['rewind', h.rewind],
  ] as const) {
    if (!s) continue;
    checkShapes(model, s.weights, `history ${name} weights`);
    s.biases.forEach((b, l) => {
      if (b.length !== model.layers[l].bias.length)
        throw new RangeError(`history ${name} biases: layer ${l} has ${b.length}, expected ${model.layers[l].bias.length}`);
    });
  }
}

export function cloneHistory(h: TrainingHistory): TrainingHistory {
  const copy = (s: ParamSnapshot): ParamSnapshot => ({ weights: s.weights.map((a) => a.slice()), biases: s.biases.map((a) => a.slice()) });
  return {
    range: h.range?.clone(),
    movement: h.movement?.clone(),
    initial: h.initial && copy(h.initial),
    rewind: h.rewind && { ...copy(h.rewind), epoch: h.rewind.epoch },
  };
}

/**
 * Records a TrainingHistory while `train` runs: construct it before training (it snapshots w₀),
 * pass `hooks` (onEpoch and the movement tracker) to `train`, then read `history`. A training loop
 * of one's own calls `onEpoch` after every epoch and `onGradient` after every backward pass.
 *
 *   const rec = new HistoryRecorder(model, { rewindEpoch: 2 });
 *   await train(model, data, cfg, rec.hooks);
 *   model.history = rec.history;
 */
export class HistoryRecorder {
  readonly history: TrainingHistory;
  readonly rewindEpoch: number;

  constructor(model: MLP, opts: { rewindEpoch?: number } = {}) {
    const k = opts.rewindEpoch ?? 0;
    if (!Number.isInteger(k) || k < 0) throw new RangeError(`rewind epoch must be a whole number ≥ 0, got ${k}`);
    this.rewindEpoch = k;
    this.history = { range: new RangeTracker(model), movement: new MovementTracker(model), initial: snapshot(model) };
  }

  /** After each epoch (1-based), weights synced into `model`. */
  onEpoch(epoch: number, model: MLP): void {
    this.history.range!.observe(model);
    if (epoch === this.rewindEpoch) this.history.rewind = { ...snapshot(model), epoch };
  }

  /** After each backward pass, before the step: w_t and ∂L/∂w_t per layer. */
  onGradient(weights: ArrayLike<number>[], grads: ArrayLike<number>[]): void {
    this.history.movement!.observe(weights, grads);
  }

  /**
   * Hooks for `train` (src/nn/train.ts): `onEpoch`, and the movement tracker, which `train` sums in
   * kernel memory (the same scores as calling `onGradient` every step, without a JavaScript pass).
   */
  get hooks(): { onEpoch: (rec: { epoch: number }, model: MLP) => void; movement: MovementTracker } {
    return { onEpoch: (rec, model) => this.onEpoch(rec.epoch, model), movement: this.history.movement! };
  }
}
