import { describe, expect, it } from 'vitest';
import { activate } from '../src/kernels/activation.js';
import { Act } from '../src/kernels/types.js';

describe('activate: the one TypeScript activation', () => {
  it('relu, tanh, logistic and identity by their formulas', () => {
    expect([-2, -0.5, 0, 0.5, 3].map((x) => activate(x, Act.relu))).toEqual([0, 0, 0, 0.5, 3]);
    expect(activate(0.7, Act.tanh)).toBe(Math.tanh(0.7));
    expect(activate(0, Act.logistic)).toBe(0.5);
    expect(activate(2, Act.logistic)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(activate(-1.25, Act.identity)).toBe(-1.25);
  });
  it("relu maps NaN to 0, as the wasm kernels' scalar activation (x > 0 ? x : 0) does", () => {
    expect(activate(Number.NaN, Act.relu)).toBe(0);
  });
});
