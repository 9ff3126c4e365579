import { Act, type ActCode } from './types.js';

/**
 * act(x) for one value in plain TypeScript, the twin of assembly/common.ts's `actScalar`: used by the
 * reference kernels, the runtime (layers with no inputs output act(bias)) and dead-neuron folding.
 *   relu: max(0, x);  tanh: tanh x;  logistic: 1 / (1 + e^−x);  identity: x.
 */
export function activate(x: number, a: ActCode): number {
  switch (a) {
    case Act.relu:
      // biome-ignore lint/complexity/useMathMinMax: written as actScalar is (NaN → 0); Math.max would give NaN
      return x > 0 ? x : 0;
    case Act.tanh:
      return Math.tanh(x);
    case Act.logistic:
      return 1 / (1 + Math.exp(-x));
    default:
      return x;
  }
}
