/**
 * The engines under test, each behind one shape: prepare a model for a batch size, then `fn()`
 * runs one forward pass on a fixed input and `output()` returns the result row-major
 * [batch][out] for the correctness check. Peers are loaded with `require` (tfjs-core's ES modules
 * do not resolve in Node; onnxruntime-web's CommonJS build is the Node one) and only from here:
 * nothing in src/ imports them.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  Act,
  layerForward,
  allocF32,
  panelFloats,
  readF32,
  uploadCsr,
  uploadDense,
  type F32Buf,
  type Kernels,
  type LayerOnDevice,
} from '../../src/kernels/index.js';
import type { MLP } from '../../src/nn/model.js';
import { encodeMlpOnnx, PEER_INPUT, PEER_OUTPUT, transpose } from './onnx.js';
import { toCsr } from './models.js';

const require = createRequire(import.meta.url);

export interface PreparedEngine {
  /** One forward pass; a returned Promise is awaited by the timing harness. */
  fn: () => unknown;
  output: () => Promise<Float32Array>;
  dispose: () => void;
  /** Bytes of weights the engine keeps resident (prunekit: in its wasm memory), when known. */
  weightBytes?: number;
  /** What `output()` returns: logits (default) or softmax probabilities (the runtime's predictProba). */
  outputKind?: 'logits' | 'proba';
  /** Per-layer formats chosen, when the engine chooses (the runtime's compact file). */
  formats?: string[];
}

export interface Engine {
  name: string;
  /** What it is: version, backend, threads. */
  describe: string;
  prepare: (m: MLP, batch: number, x: Float32Array) => Promise<PreparedEngine>;
}

// ---- prunekit ---------------------------------------------------------------------------------

/** Row-major [batch][n] → feature-major [n][batch]. */
export function toFeatureMajor(x: Float32Array, batch: number, n: number): Float32Array {
  const t = new Float32Array(x.length);
  for (let s = 0; s < batch; s++) for (let f = 0; f < n; f++) t[f * batch + s] = x[s * n + f];
  return t;
}

/** prunekit's wasm kernels with every layer dense or every layer CSR (u16 indices). */
export function prunekitEngine(k: Kernels, format: 'dense' | 'csr'): Engine {
  return {
    name: `prunekit-${format}`,
    describe: `prunekit ${format === 'dense' ? 'dense GEMV/GEMM' : 'CSR SpMV/SpMM (u16 indices)'}, wasm ${k.flavor}, 1 thread, feature-major activations`,
    async prepare(m, batch, x) {
      const mark = k.heapTop();
      const layers: LayerOnDevice[] = m.layers.map((L) =>
        format === 'dense' ? uploadDense(k, L.weight, L.bias, L.outFeatures, L.inFeatures) : uploadCsr(k, toCsr(L.weight, L.outFeatures, L.inFeatures), L.bias),
      );
      const weightBytes = k.heapTop() - mark;
      const acts: F32Buf[] = [allocF32(k, m.layers[0].inFeatures * batch, toFeatureMajor(x, batch, m.layers[0].inFeatures))];
      for (const L of m.layers) acts.push(allocF32(k, L.outFeatures * batch));
      const codes = m.layers.map((L) => Act[L.activation]);
      // the SpMM's packing scratch, as the runtime allocates it beside the activations from batch 16 on
      const panel = format === 'csr' && batch >= 16 ? allocF32(k, panelFloats(Math.max(...m.layers.map((L) => L.inFeatures)))) : null;
      const fn = () => {
        for (let i = 0; i < layers.length; i++) layerForward(k, layers[i], acts[i], acts[i + 1], batch, codes[i], panel);
      };
      return {
        fn,
        weightBytes,
        async output() {
          fn();
          const out = m.layers.at(-1)!.outFeatures;
          return toFeatureMajor(readF32(k, acts.at(-1)!), out, batch); // [out][batch] → [batch][out]
        },
        dispose: () => k.reset(mark),
      };
    },
  };
}

/**
 * The user's path: `compact()` (dead neurons removed, dense or CSR per layer for this batch size),
 * the model file bytes, `prunekit/runtime` loadModelSync, then `predictProba` on row-major samples
 * (so its time includes the input transpose and the softmax).
 */
export function prunekitRuntimeEngine(): Engine {
  return {
    name: 'prunekit-runtime',
    describe: 'prunekit/runtime: compact file (per-layer dense/CSR for the batch size), loadModelSync, predictProba on row-major samples',
    async prepare(m, batch, x) {
      const { compact } = await import('../../src/compact/compact.js');
      const { encodeModel } = await import('../../src/sparse/format.js');
      const { loadModelSync } = await import('../../src/runtime/index.js');
      const file = encodeModel(compact(m, { batchSizes: [batch] }).compact);
      const model = loadModelSync(file);
      const info = model.info();
      return {
        fn: () => {
          model.predictProba(x, batch);
        },
        output: async () => model.predictProba(x, batch),
        dispose: () => {},
        weightBytes: info.bytes,
        outputKind: 'proba',
        formats: info.layers.map((L) => (L as { format?: string }).format ?? '?'),
      };
    },
  };
}

// ---- onnxruntime-web (wasm) -------------------------------------------------------------------

type OrtModule = {
  env: { wasm: { numThreads?: number; simd?: boolean } };
  InferenceSession: { create(model: Uint8Array, opts?: object): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: number[]) => unknown;
};
type OrtSession = { run(feeds: Record<string, unknown>): Promise<Record<string, { data: Float32Array }>>; release(): Promise<void> };

/** A package's version, read from its package.json (some packages do not export that subpath). */
function versionOf(pkg: string): string {
  const main = require.resolve(pkg);
  const root = main.slice(0, main.lastIndexOf(`node_modules/${pkg}/`) + `node_modules/${pkg}/`.length);
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
}

function ortEngine(name: string, describe: string, ort: OrtModule, sessionOptions: object): Engine {
  return {
    name,
    describe,
    async prepare(m, batch, x) {
      const bytes = encodeMlpOnnx(m);
      const session = await ort.InferenceSession.create(bytes, sessionOptions);
      const feeds = { [PEER_INPUT]: new ort.Tensor('float32', x, [batch, m.layers[0].inFeatures]) };
      return {
        fn: () => session.run(feeds),
        output: async () => Float32Array.from((await session.run(feeds))[PEER_OUTPUT].data),
        dispose: () => {
          void session.release();
        },
        weightBytes: m.layers.reduce((s, L) => s + 4 * (L.weight.length + L.bias.length), 0),
      };
    },
  };
}

/**
 * onnxruntime-web on its wasm backend. The thread count is fixed when its wasm initialises (first
 * session): `threads` = undefined keeps the library default (min(4, ⌈cores/2⌉)).
 */
export function ortWebEngine(threads?: number): { engine: Engine; resolvedThreads: () => number | undefined } {
  const ort = require('onnxruntime-web') as OrtModule;
  if (threads !== undefined) ort.env.wasm.numThreads = threads;
  const engine = ortEngine(
    threads === undefined ? 'ort-web-default' : `ort-web-${threads}t`,
    `onnxruntime-web ${versionOf('onnxruntime-web')}, wasm backend, numThreads ${threads ?? 'default'}`,
    ort,
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' },
  );
  return { engine, resolvedThreads: () => ort.env.wasm.numThreads };
}

/** onnxruntime-node (native CPU), one intra-op and one inter-op thread; null if it does not load. */
export function ortNodeEngine(log: (s: string) => void): Engine | null {
  let ort: OrtModule;
  try {
    ort = require('onnxruntime-node') as OrtModule;
  } catch (e) {
    log(`peers: onnxruntime-node does not load here, skipped: ${(e as Error).message.split('\n')[0]}`);
    return null;
  }
  return ortEngine('ort-node-1t', `onnxruntime-node ${versionOf('onnxruntime-node')}, native CPU EP, intraOpNumThreads 1`, ort, {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

// ---- tfjs + tfjs-backend-wasm -----------------------------------------------------------------

// biome-ignore lint/suspicious/noExplicitAny: tfjs is loaded from its dist bundle at run time, without its types
export type Tf = any;

/** Loads tfjs on the wasm backend from the package's own dist folder (no network). */
export async function loadTfWasm(): Promise<Tf> {
  const tf = require('@tensorflow/tfjs');
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + '/');
  wasm.setThreadsCount?.(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialise');
  await tf.ready();
  return tf;
}

/**
 * tfjs-backend-wasm: tf.fused.matMul (XNNPACK) with bias and ReLU fused, per layer, on `in × out`
 * kernels as tf.layers.dense stores them. (`transposeB: true` with a bias gave wrong outputs in
 * tfjs-backend-wasm 4.22 here — max |diff| 1.6 on layer 1 — which the output check catches.)
 */
export function tfjsWasmEngine(tf: Tf): Engine {
  return {
    name: 'tfjs-wasm',
    describe: `@tensorflow/tfjs ${versionOf('@tensorflow/tfjs')} + tfjs-backend-wasm ${versionOf('@tensorflow/tfjs-backend-wasm')}, SIMD ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, 1 thread, fused matMul+bias+relu`,
    async prepare(m, batch, x) {
      const Ws = m.layers.map((L) => tf.tensor2d(transpose(L.weight, L.outFeatures, L.inFeatures), [L.inFeatures, L.outFeatures]));
      const bs = m.layers.map((L) => tf.tensor1d(L.bias));
      const xt = tf.tensor2d(x, [batch, m.layers[0].inFeatures]);
      const forward = (): Float32Array => {
        const y = tf.tidy(() => {
          let h = xt;
          m.layers.forEach((L, i) => {
            h = tf.fused.matMul({ a: h, b: Ws[i], bias: bs[i], activation: L.activation === 'relu' ? 'relu' : 'linear' });
          });
          return h;
        });
        const data = y.dataSync() as Float32Array;
        y.dispose();
        return data;
      };
      return {
        fn: () => {
          forward();
        },
        output: async () => Float32Array.from(forward()),
        dispose: () => {
          for (const t of [...Ws, ...bs, xt]) t.dispose();
        },
        weightBytes: m.layers.reduce((s, L) => s + 4 * (L.weight.length + L.bias.length), 0),
      };
    },
  };
}
