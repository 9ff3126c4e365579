import { describe, expect, it } from 'vitest';
import { countNonzero, maxOf, median, minOf } from '../src/util/stats.js';
import { hasNonFinite } from '../src/util/finite.js';

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

describe('native scans (maxOf, minOf, hasNonFinite) agree with plain loops', () => {
  const loopMax = (a: ArrayLike<number>) => {
    let m = -Infinity;
    for (let i = 0; i < a.length; i++) m = Math.max(m, a[i]);
    return m;
  };
  const loopMin = (a: ArrayLike<number>) => {
    let m = Infinity;
    for (let i = 0; i < a.length; i++) m = Math.min(m, a[i]);
    return m;
  };
  const loopNonFinite = (a: ArrayLike<number>) => {
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) return true;
    return false;
  };

  it('across chunk boundaries, for every index type, and empty arrays', () => {
    for (const n of [0, 1, 8191, 8192, 8193, 20000]) {
      const u16 = Uint16Array.from({ length: n }, (_, i) => (i * 7919) % 60000);
      const u32 = Uint32Array.from({ length: n }, (_, i) => (i * 2654435761) >>> 0);
      const u8 = Uint8Array.from({ length: n }, (_, i) => (i * 31) % 251);
      const f32 = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
      if (n > 0) {
        u16[n - 1] = 65535;
        f32[n - 1] = -3e38;
      } // the extreme in the last chunk
      for (const a of [u8, u16, u32, f32]) {
        expect(maxOf(a)).toBe(loopMax(a));
        expect(minOf(a)).toBe(loopMin(a));
      }
    }
  });

  it('hasNonFinite finds NaN, +Infinity and -Infinity anywhere, and nothing in finite data', () => {
    const a = Float32Array.from({ length: 20000 }, (_, i) => Math.cos(i) * 3e38);
    expect(hasNonFinite(a)).toBe(false);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      for (const at of [0, 8192, 19999]) {
        const b = a.slice();
        b[at] = bad;
        expect(hasNonFinite(b)).toBe(true);
        expect(hasNonFinite(b)).toBe(loopNonFinite(b));
      }
    }
    expect(hasNonFinite(new Float64Array([1, -0, 1e308]))).toBe(false);
    expect(hasNonFinite(new Float64Array([1, Number.NaN]))).toBe(true);
  });
});
