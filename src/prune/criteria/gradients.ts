import type { MLP } from '../../nn/model.js';
import { checkShapes, type CriterionInputs, type GradFn, type Gradients } from './types.js';

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

/** The criterion inputs' gradients for `model`: the value given, or the provider's answer. */
export function gradientsFor(model: MLP, inputs: CriterionInputs): Gradients {
  const g = inputs.gradients!;
  return typeof g === 'function' ? g(model) : g;
}
