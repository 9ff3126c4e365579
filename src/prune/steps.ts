/**
 * Step records: after every pruning or fine-tuning step, what the model is and how it does.
 * Accuracy and loss come from an injected `evaluate` (test split); when it also reports training
 * accuracy, the train–test gap (trainAccuracy − accuracy) shows over- or under-fitting as pruning
 * proceeds; when it reports per-layer gradient norms they are recorded per layer.
 */
import type { MLP } from '../nn/model.js';
import { countNonzero } from '../util/stats.js';

export interface Metrics {
  /** Test accuracy in [0, 1]. */
  accuracy: number;
  /** Mean test loss (cross-entropy). */
  loss: number;
  trainAccuracy?: number;
  trainLoss?: number;
  /** ‖∂L/∂W_l‖₂ per layer. */
  gradNorms?: number[];
}

export type Evaluate = (model: MLP) => Metrics | Promise<Metrics>;

export interface LayerRecord {
  /** Fraction of this layer's weights equal to zero. */
  sparsity: number;
  nonzeros: number;
  weights: number;
  /** Shape after structured pruning: out × in. */
  outFeatures: number;
  inFeatures: number;
  gradNorm?: number;
}

export type StepPhase = 'dense' | 'pruned' | 'finetuned' | 'gradual';

export interface PruneStep {
  /** 0, 1, 2, … in the order the steps happened. */
  index: number;
  phase: StepPhase;
  /** The sparsity asked for at this step (null when the step is not a sparsity target: θ, percentile, N:M). */
  targetSparsity: number | null;
  /** Fraction of all weights that are zero. */
  sparsity: number;
  layers: LayerRecord[];
  /** Fine-tuning epochs run so far in this pruning run. */
  epochs: number;
  /** Optimizer step inside a training run (gradual schedule). */
  trainingStep?: number;
  accuracy?: number;
  loss?: number;
  trainAccuracy?: number;
  trainLoss?: number;
  /** trainAccuracy − accuracy. */
  gap?: number;
}

/** Per-layer and total fraction of zero weights. */
export function layerRecords(model: MLP, gradNorms?: number[]): { sparsity: number; layers: LayerRecord[] } {
  let zeros = 0,
    total = 0;
  const layers = model.layers.map((L, l) => {
    const nz = countNonzero(L.weight);
    zeros += L.weight.length - nz;
    total += L.weight.length;
    const rec: LayerRecord = {
      sparsity: L.weight.length ? 1 - nz / L.weight.length : 0,
      nonzeros: nz,
      weights: L.weight.length,
      outFeatures: L.outFeatures,
      inFeatures: L.inFeatures,
    };
    if (gradNorms?.[l] !== undefined) rec.gradNorm = gradNorms[l];
    return rec;
  });
  return { sparsity: total ? zeros / total : 0, layers };
}

/** Builds a PruneStep, evaluating the model when `evaluate` is given. */
export async function recordStep(
  model: MLP,
  info: { index: number; phase: StepPhase; targetSparsity: number | null; epochs: number; trainingStep?: number },
  evaluate?: Evaluate,
): Promise<PruneStep> {
  const m = evaluate ? await evaluate(model) : undefined;
  const { sparsity, layers } = layerRecords(model, m?.gradNorms);
  const step: PruneStep = { ...info, sparsity, layers };
  if (m) {
    step.accuracy = m.accuracy;
    step.loss = m.loss;
    if (m.trainAccuracy !== undefined) {
      step.trainAccuracy = m.trainAccuracy;
      step.gap = m.trainAccuracy - m.accuracy;
    }
    if (m.trainLoss !== undefined) step.trainLoss = m.trainLoss;
  }
  return step;
}
