import { describe, expect, it } from 'vitest';
import { countNonzero, median } from '../src/util/stats.js';

describe('median: the one definition', () => {
  it('odd lengths: the middle value', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([5])).toBe(5);
  });
  it('even lengths: the mean of the two middle values (not the upper one)', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([10, 20])).toBe(15);
  });
  it('sorts numerically, leaves its input alone, refuses an empty list', () => {
    const xs = [10, 9, 100, 1];
    expect(median(xs)).toBe(9.5);
    expect(xs).toEqual([10, 9, 100, 1]);
    expect(() => median([])).toThrow(/empty/);
  });
});

describe('countNonzero', () => {
  it('counts entries that are not 0 (−0 counts as 0, NaN as nonzero)', () => {
    expect(countNonzero(Uint8Array.from([1, 0, 1, 1, 0]))).toBe(3);
    expect(countNonzero(Float32Array.from([0, -0, 0.5, NaN, -2]))).toBe(3);
    expect(countNonzero([])).toBe(0);
  });
});
