/** The import fixtures (test/fixtures/import, made by make_fixtures.py) and a forward pass through prunekit's own kernels. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { applyStandardizer } from '../../src/data/preprocess.js';
import type { MLP } from '../../src/nn/model.js';
import { Network } from '../../src/nn/network.js';
import { defaultKernels } from '../../src/nn/train.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/import/', import.meta.url));
export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(FIXTURES + name));

export interface Reference {
  inputs: string;
  logits: number[][];
  probabilities?: number[][];
  predictions: string[];
  labels?: string[];
  activations?: string[];
  input_type?: 'float64';
  input_shape?: number[];
  scaler?: { mean: number[]; scale: number[] };
  accuracy?: number;
}
const ref = JSON.parse(readFileSync(FIXTURES + 'reference.json', 'utf8')) as { inputs: Record<string, number[][]>; models: Record<string, Reference> };
export const references = ref.models;
export const inputsOf = (name: string): number[][] => ref.inputs[references[name].inputs];

/** Logits [n][classes] of `model` on raw input rows: its stored standardisation, then the wasm forward pass. */
export function ourLogits(model: MLP, rows: number[][]): number[][] {
  const F = model.layers[0].inFeatures,
    n = rows.length;
  let x: Float32Array = Float32Array.from(rows.flat());
  const { mean, scale } = model.preprocessing;
  if (mean && scale) x = applyStandardizer(x, F, mean, scale);
  const k = defaultKernels();
  const mark = k.heapTop();
  try {
    const net = new Network(k, model, n);
    net.setInput(
      x,
      F,
      Array.from({ length: n }, (_, i) => i),
      n,
    );
    const z = net.forward(n); // feature-major [classes × n]
    return Array.from({ length: n }, (_, i) => Array.from({ length: net.nOut }, (_, c) => z[c * n + i]));
  } finally {
    k.reset(mark);
  }
}

export const argmax = (v: number[]): number => v.reduce((best, x, i) => (x > v[best] ? i : best), 0);
export function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
export const maxAbsDiff = (a: number[][], b: number[][]): number => {
  let m = 0;
  a.forEach((row, i) =>
    row.forEach((v, j) => {
      m = Math.max(m, Math.abs(v - b[i][j]));
    }),
  );
  if (a.length !== b.length || a[0].length !== b[0].length) return Infinity;
  return m;
};

const require = createRequire(import.meta.url);
/** onnxruntime-node (a dev dependency), loaded the way the peer benchmark tests load onnxruntime. */
export const ort = (): typeof import('onnxruntime-node') => require('onnxruntime-node');
