import { Act, type ActCode } from './types.js';

/**
 * act(x) for one value in plain TypeScript, the twin of assembly/common.ts's activation: used by the
 * reference kernels, the runtime (layers with no inputs output act(bias)) and dead-neuron folding.
 *   relu: max(0, x);  tanh: tanh x;  logistic: 1 / (1 + e^−x);  identity: x.
 */
export function activate(x: number, a: ActCode): number {
  switch (a) {
    case Act.relu: return Math.max(x, 0); // like wasm's f32x4.max: NaN stays NaN
    case Act.tanh: return Math.tanh(x);
    case Act.logistic: return 1 / (1 + Math.exp(-x));
    default: return x;
  }
}
