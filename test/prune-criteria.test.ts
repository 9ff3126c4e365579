import { describe, expect, it } from 'vitest';
import {
  accumulateGradients,
  displacementScores,
  magnitudeScores,
  obdScores,
  randomScores,
  RangeTracker,
  scoreModel,
  taylorScores,
  userScores,
} from '../src/prune/criteria.js';
import { modelFromRows } from './helpers/models.js';

// One 2×3 layer, W = [[1, −2, 3], [−4, 5, −6]]; every expected value below is worked by hand.
const W = [
  [1, -2, 3],
  [-4, 5, -6],
];
const arr = (a: ArrayLike<number>) => Array.from(a);

describe('criteria on a hand-computed 2×3 layer', () => {
  it('magnitude |w|', () => {
    expect(arr(magnitudeScores(modelFromRows(W))[0])).toEqual([1, 2, 3, 4, 5, 6]);
  });
  it('displacement |w − w₀|', () => {
    const w0 = [Float32Array.from([0, 0, 0, 1, 1, 1])];
    expect(arr(displacementScores(modelFromRows(W), w0)[0])).toEqual([1, 2, 3, 5, 4, 7]);
  });
  it('range max − min over observed snapshots', () => {
    const t = new RangeTracker(modelFromRows(W));
    t.observe(
      modelFromRows([
        [2, -3, 3],
        [-4, 6, -5],
      ]),
    );
    t.observe(
      modelFromRows([
        [1.5, -2, 2],
        [-4, 5, -6],
      ]),
    );
    // w00: {1, 2, 1.5} → 1; w01: {−2, −3, −2} → 1; w02: {3, 3, 2} → 1; w10: 0; w11: {5, 6, 5} → 1; w12: {−6, −5, −6} → 1
    expect(arr(t.scores()[0])).toEqual([1, 1, 1, 0, 1, 1]);
    expect(t.snapshots).toBe(3);
  });
  it('taylor |w·g|', () => {
    const g = [Float32Array.from([0.5, 0.5, -1, 0, 1, 2])];
    expect(arr(taylorScores(modelFromRows(W), g)[0])).toEqual([0.5, 1, 3, 0, 5, 12]);
  });
  it('OBD ½·h·w²', () => {
    const h = [Float32Array.from([1, 2, 3, 4, 5, 6])];
    expect(arr(obdScores(modelFromRows(W), h)[0])).toEqual([0.5, 4, 13.5, 32, 62.5, 108]);
  });
  it('accumulateGradients: mean g and mean g² over batches from a hand-made gradFn', () => {
    let call = 0;
    const gradFn = () => [Float32Array.from(call++ === 0 ? [1, -1, 0, 2, 0, 0] : [3, 1, 0, -2, 4, 0])];
    const g = accumulateGradients(modelFromRows(W), gradFn, 2);
    expect(arr(g.grads[0])).toEqual([2, 0, 0, 0, 2, 0]);
    expect(arr(g.sqGrads[0])).toEqual([5, 1, 0, 4, 8, 0]);
    // Squared batch means are not the per-sample Fisher: OBD refuses them rather than rank like taylor.
    expect(() => scoreModel(modelFromRows(W), 'obd', { gradients: g })).toThrow(/per-sample Fisher/);
    // With a Fisher diagonal: ½·[5,1,0,4,8,0]·[1,4,9,16,25,36]
    expect(arr(scoreModel(modelFromRows(W), 'obd', { gradients: { ...g, fisher: g.sqGrads } })[0])).toEqual([2.5, 2, 0, 32, 100, 0]);
  });
  it('random: seeded, in [0,1), independent of the weights', () => {
    const a = randomScores(modelFromRows(W), 42)[0];
    const b = randomScores(
      modelFromRows([
        [9, 9, 9],
        [9, 9, 9],
      ]),
      42,
    )[0];
    expect(arr(a)).toEqual(arr(b));
    expect(arr(a).every((v) => v >= 0 && v < 1)).toBe(true);
    expect(arr(randomScores(modelFromRows(W), 43)[0])).not.toEqual(arr(a));
  });
  it('user scores are validated', () => {
    expect(arr(userScores(modelFromRows(W), [[6, 5, 4, 3, 2, 1]])[0])).toEqual([6, 5, 4, 3, 2, 1]);
    expect(() => userScores(modelFromRows(W), [[1, 2, 3]])).toThrow(/layer 0 has 3 values, expected 2×3 = 6/);
    expect(() => userScores(modelFromRows(W), [[1, 2, 3, NaN, 5, 6]])).toThrow(/NaN at index 3/);
  });
  it('missing inputs are named', () => {
    expect(() => scoreModel(modelFromRows(W), 'displacement')).toThrow(/initial weights/);
    expect(() => scoreModel(modelFromRows(W), 'movement')).toThrow(/movement accumulated during training/);
    expect(() => scoreModel(modelFromRows(W), 'taylor')).toThrow(/gradients/);
    expect(() => scoreModel(modelFromRows(W), 'range')).toThrow(/weight range recorded during training/);
  });
});
