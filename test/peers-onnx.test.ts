// The ONNX graph the peer benchmark (bench/peers/onnx.ts) gives onnxruntime, made by prunekit's
// exporter: a 2-layer model run by onnxruntime-web compared with a plain forward worked by hand.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encodeMlpOnnx, PEER_INPUT, PEER_OUTPUT } from '../bench/peers/onnx.js';
import type { MLP } from '../src/nn/model.js';

const require = createRequire(import.meta.url);

describe('ONNX graph of the peer benchmark (bench/peers)', () => {
  // 3 → 2 (relu) → 2 (identity), weights row-major out × in; a stored standardisation the peers
  // graph must leave out (the engines compare the layers only)
  const model: MLP = {
    layers: [
      { inFeatures: 3, outFeatures: 2, weight: new Float32Array([1, -2, 0.5, 0.25, 1, -1]), bias: new Float32Array([0.1, -0.2]), activation: 'relu' },
      { inFeatures: 2, outFeatures: 2, weight: new Float32Array([2, -1, 0.5, 3]), bias: new Float32Array([1, 0]), activation: 'identity' },
    ],
    preprocessing: { mean: Float32Array.of(5, 5, 5), scale: Float32Array.of(2, 2, 2), featureNames: [], labelNames: [] },
    provenance: {},
  };

  it('starts with ir_version 7 (field 1, varint)', () => {
    expect([...encodeMlpOnnx(model).subarray(0, 2)]).toEqual([0x08, 7]);
  });

  for (const op of ['gemm', 'matmul'] as const) {
    it(`runs in onnxruntime-web (${op}) and matches a plain forward`, async () => {
      const x = [
        [1, 2, 3],
        [-1, 0.5, 2],
      ];
      // plain forward: h = relu(W1 x + b1), y = W2 h + b2
      const expected = x.flatMap((v) => {
        let h = v;
        for (const L of model.layers) {
          h = Array.from({ length: L.outFeatures }, (_, o) => {
            let s = L.bias[o];
            for (let i = 0; i < L.inFeatures; i++) s += L.weight[o * L.inFeatures + i] * h[i];
            return L.activation === 'relu' ? Math.max(0, s) : s;
          });
        }
        return h;
      });
      // by hand for sample 1: z = [1−4+1.5+0.1, 0.25+2−3−0.2] = [−1.4, −0.95] → h = [0, 0] → y = [1, 0]
      expect(expected.slice(0, 2)).toEqual([1, 0]);
      const ort = require('onnxruntime-web');
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(encodeMlpOnnx(model, { op }), { executionProviders: ['wasm'] });
      expect(session.outputNames).toEqual([PEER_OUTPUT]);
      const out = await session.run({ [PEER_INPUT]: new ort.Tensor('float32', Float32Array.from(x.flat()), [2, 3]) });
      expect(out[PEER_OUTPUT].dims).toEqual([2, 2]);
      const got = Array.from(out[PEER_OUTPUT].data as Float32Array);
      got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
      await session.release();
    });
  }
});
