// The peer benchmark's models (bench/peers/models.ts): magnitude pruning to an exact count with
// ties broken by position, and the source names of random models of any shape.
import { describe, expect, it } from 'vitest';
import { isRandomSource, magnitudePrune, randomModel, randomSource } from '../bench/peers/models.js';
import type { MLP } from '../src/nn/model.js';

const oneLayer = (weight: number[]): MLP => ({
  layers: [{ inFeatures: weight.length, outFeatures: 1, weight: Float32Array.from(weight), bias: new Float32Array(1), activation: 'identity' }],
  preprocessing: { mean: new Float32Array(0), scale: new Float32Array(0), featureNames: [], labelNames: [] },
  provenance: {},
});

describe('peer models', () => {
  it('zeros exactly round(f·n) weights, the smallest |w| first and equal |w| by position', () => {
    // |w| = 3, 1, 2, 1, 1, 4: the three 1s tie; pruning 2 takes the first two of them (indices 1 and 3)
    const m = magnitudePrune(oneLayer([3, -1, 2, 1, -1, 4]), 2 / 6);
    expect([...m.layers[0].weight]).toEqual([3, 0, 2, 0, -1, 4]);
    expect([...m.layers[0].mask!]).toEqual([1, 0, 1, 0, 1, 1]);
    // 4 of 6: all three 1s, then the 2
    expect([...magnitudePrune(oneLayer([3, -1, 2, 1, -1, 4]), 4 / 6).layers[0].weight]).toEqual([3, 0, 0, 0, 0, 4]);
    expect([...magnitudePrune(oneLayer([3, -1, 2]), 0).layers[0].weight]).toEqual([3, -1, 2]);
    expect(() => magnitudePrune(oneLayer([1]), 1)).toThrow(RangeError);
  });

  it('builds a random model of any shape, pruned per layer, named by its shape', () => {
    const m = randomModel([7, 5, 3], 1, 0.6);
    expect(m.layers.map((L) => [L.inFeatures, L.outFeatures])).toEqual([
      [7, 5],
      [5, 3],
    ]);
    expect(m.layers.map((L) => L.weight.filter((w) => w === 0).length)).toEqual([21, 9]); // round(0.6·35), round(0.6·15)
    expect(randomSource([784, 300, 100, 10])).toBe('lenet-random');
    expect(randomSource([7, 5, 3])).toBe('random-7-5-3');
    expect(isRandomSource('random-7-5-3') && isRandomSource('lenet-random') && !isRandomSource('demo')).toBe(true);
  });
});
