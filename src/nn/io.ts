/**
 * The training-model file: a safetensors file holding the full-shape (masked) MLP — what `train`
 * and `prune` write and `prune`, `eval` and `compact` read. The compact, inference-only file is
 * src/sparse/format.ts; both share the safetensors container and the `layers.{i}.*` names.
 *
 * Tensors: `layers.{i}.weight` F32 [out, in], `layers.{i}.bias` F32 [out], `layers.{i}.mask` U8
 * [out, in] (only on pruned layers), `preprocessing.mean` / `preprocessing.scale` F32 [in] (when
 * inputs are standardised). `__metadata__`: `format` = "prunekit", `format_version` = "1",
 * `kind` = "masked", and `prunekit` = JSON { layers: [{ activation, in, out }], featureNames,
 * labelNames, provenance, history? }.
 *
 * Optional training history (src/nn/history.ts; `train` writes it, `prune` carries it on), each
 * part present for every layer or for none: `range.{i}.min` / `range.{i}.max` F32 [out, in]
 * (element-wise min and max of the weight over w₀ and every epoch's weights), `movement.{i}` F32
 * [out, in] (Sanh et al.'s S = −Σ_t w_t·∂L/∂w_t over every optimizer step), `initial.{i}.weight` /
 * `initial.{i}.bias` (w₀) and `rewind.{i}.weight` / `rewind.{i}.bias` (the weights after epoch k).
 * The metadata's `history` = { rangeSnapshots, movementSteps, rewindEpoch } counts them. Readers
 * that do not know these tensors ignore them.
 */
import { readFileSync } from 'node:fs';
import { decodeSafetensors, encodeSafetensors, FormatError, type Tensor } from '../util/safetensors.js';
import { standardizationProblem } from '../util/finite.js';
import { writeFileAtomic } from '../util/fs.js';
import { Act, type ActName } from '../kernels/types.js';
import type { Layer, MLP } from './model.js';
import { checkHistory, MovementTracker, RangeTracker, type ParamSnapshot, type TrainingHistory } from './history.js';

export const TRAIN_FORMAT_VERSION = '1';

interface Meta {
  layers: { activation: ActName; in: number; out: number }[];
  featureNames: string[];
  labelNames: string[];
  provenance: Record<string, unknown>;
  history?: HistoryMeta;
}

interface HistoryMeta {
  rangeSnapshots?: number;
  movementSteps?: number;
  rewindEpoch?: number;
}

export function encodeMLP(model: MLP): Uint8Array {
  const tensors = new Map<string, Tensor>();
  model.layers.forEach((l, i) => {
    tensors.set(`layers.${i}.weight`, { dtype: 'F32', shape: [l.outFeatures, l.inFeatures], data: l.weight });
    tensors.set(`layers.${i}.bias`, { dtype: 'F32', shape: [l.outFeatures], data: l.bias });
    if (l.mask) tensors.set(`layers.${i}.mask`, { dtype: 'U8', shape: [l.outFeatures, l.inFeatures], data: l.mask });
  });
  const p = model.preprocessing;
  if (p.mean) tensors.set('preprocessing.mean', { dtype: 'F32', shape: [p.mean.length], data: p.mean });
  if (p.scale) tensors.set('preprocessing.scale', { dtype: 'F32', shape: [p.scale.length], data: p.scale });
  const meta: Meta = {
    layers: model.layers.map((l) => ({ activation: l.activation, in: l.inFeatures, out: l.outFeatures })),
    featureNames: p.featureNames,
    labelNames: p.labelNames,
    provenance: model.provenance,
  };
  if (model.history) meta.history = encodeHistory(model, model.history, tensors);
  return encodeSafetensors(tensors, { format: 'prunekit', format_version: TRAIN_FORMAT_VERSION, kind: 'masked', prunekit: JSON.stringify(meta) });
}

export function decodeMLP(bytes: Uint8Array, source = 'model'): MLP {
  const st = decodeSafetensors(bytes);
  const fail = (msg: string): never => {
    throw new FormatError(`${source}: ${msg}`);
  };
  if (st.metadata.format !== 'prunekit') fail(`not a prunekit file (metadata format is ${JSON.stringify(st.metadata.format)})`);
  if (st.metadata.kind !== 'masked') {
    fail(
      st.metadata.kind === 'compact'
        ? 'this is a compact (inference-only) file; training, pruning and compaction need the full model written by train or prune'
        : `unknown model kind ${JSON.stringify(st.metadata.kind)}`,
    );
  }
  if (st.metadata.format_version !== TRAIN_FORMAT_VERSION)
    fail(`unsupported format_version ${JSON.stringify(st.metadata.format_version)} (this prunekit reads ${TRAIN_FORMAT_VERSION})`);
  let meta: Meta;
  try {
    meta = JSON.parse(st.metadata.prunekit ?? '');
  } catch {
    return fail('metadata "prunekit" is not valid JSON');
  }
  if (!meta || !Array.isArray(meta.layers) || meta.layers.length === 0) fail('metadata lists no layers');
  const tensor = (name: string, dtype: string, shape: number[], optional = false): Tensor | undefined => {
    const t = st.tensors.get(name);
    if (!t) return optional ? undefined : fail(`tensor '${name}' is missing`);
    if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail(`tensor '${name}' is ${t.dtype} [${t.shape}], expected ${dtype} [${shape}]`);
    }
    return t;
  };
  const layers: Layer[] = meta.layers.map((lm, i) => {
    if (!Number.isInteger(lm.in) || !Number.isInteger(lm.out) || lm.in < 1 || lm.out < 1) fail(`layer ${i} has a bad shape ${lm.out}×${lm.in}`);
    if (!Object.hasOwn(Act, lm.activation)) fail(`layer ${i} has an unknown activation ${JSON.stringify(lm.activation)}`);
    if (i > 0 && lm.in !== meta.layers[i - 1].out) fail(`layer ${i} takes ${lm.in} inputs but layer ${i - 1} has ${meta.layers[i - 1].out} outputs`);
    const weight = Float32Array.from(tensor(`layers.${i}.weight`, 'F32', [lm.out, lm.in])!.data as Float32Array);
    const bias = Float32Array.from(tensor(`layers.${i}.bias`, 'F32', [lm.out])!.data as Float32Array);
    const m = tensor(`layers.${i}.mask`, 'U8', [lm.out, lm.in], true);
    for (let j = 0; j < weight.length; j++) if (!Number.isFinite(weight[j])) fail(`tensor 'layers.${i}.weight' holds a non-finite value at index ${j}`);
    for (let j = 0; j < bias.length; j++) if (!Number.isFinite(bias[j])) fail(`tensor 'layers.${i}.bias' holds a non-finite value at index ${j}`);
    const layer: Layer = { inFeatures: lm.in, outFeatures: lm.out, weight, bias, activation: lm.activation };
    if (m) {
      layer.mask = Uint8Array.from(m.data as Uint8Array);
      for (let j = 0; j < weight.length; j++) {
        if (layer.mask[j] > 1) fail(`tensor 'layers.${i}.mask' holds ${layer.mask[j]} at index ${j}, expected 0 or 1`);
        if (!layer.mask[j] && weight[j] !== 0) fail(`layers.${i}: weight ${j} is pruned by the mask but not zero`);
      }
    }
    return layer;
  });
  const nIn = layers[0].inFeatures,
    nOut = layers[layers.length - 1].outFeatures;
  if (Array.isArray(meta.labelNames) && meta.labelNames.length !== 0 && meta.labelNames.length !== nOut)
    fail(`metadata names ${meta.labelNames.length} classes, the last layer has ${nOut} outputs`);
  const mean = tensor('preprocessing.mean', 'F32', [nIn], true);
  const scale = tensor('preprocessing.scale', 'F32', [nIn], true);
  const unusable = standardizationProblem(mean?.data ?? null, scale?.data ?? null);
  if (unusable) fail(unusable);
  const history = decodeHistory(layers, meta.history, (name, shape) => tensor(name, 'F32', shape, true)?.data as Float32Array | undefined, fail);
  return {
    layers,
    preprocessing: {
      mean: mean ? Float32Array.from(mean.data as Float32Array) : null,
      scale: scale ? Float32Array.from(scale.data as Float32Array) : null,
      featureNames: Array.isArray(meta.featureNames) ? meta.featureNames.map(String) : [],
      labelNames: Array.isArray(meta.labelNames) ? meta.labelNames.map(String) : [],
    },
    provenance: meta.provenance && typeof meta.provenance === 'object' ? meta.provenance : {},
    ...(history ? { history } : {}),
  };
}

function encodeHistory(model: MLP, h: TrainingHistory, tensors: Map<string, Tensor>): HistoryMeta {
  checkHistory(model, h);
  const put = (name: string, shape: number[], data: Float32Array) => tensors.set(name, { dtype: 'F32', shape, data });
  const meta: HistoryMeta = {};
  model.layers.forEach((l, i) => {
    const shape = [l.outFeatures, l.inFeatures];
    if (h.range) {
      put(`range.${i}.min`, shape, h.range.min[i]);
      put(`range.${i}.max`, shape, h.range.max[i]);
    }
    if (h.movement) put(`movement.${i}`, shape, h.movement.scores[i]);
    for (const [name, snap] of [
      ['initial', h.initial],
      ['rewind', h.rewind],
    ] as const) {
      if (!snap) continue;
      put(`${name}.${i}.weight`, shape, snap.weights[i]);
      put(`${name}.${i}.bias`, [l.outFeatures], snap.biases[i]);
    }
  });
  if (h.range) meta.rangeSnapshots = h.range.snapshots;
  if (h.movement) meta.movementSteps = h.movement.steps;
  if (h.rewind) meta.rewindEpoch = h.rewind.epoch;
  return meta;
}

/**
 * The history tensors, checked: each part present for all layers or none, finite, min ≤ max, and
 * its count in the metadata a whole number (≥ 1 snapshot, ≥ 0 steps, rewind epoch ≥ 1).
 */
function decodeHistory(
  layers: Layer[],
  meta: HistoryMeta | undefined,
  get: (name: string, shape: number[]) => Float32Array | undefined,
  fail: (msg: string) => never,
): TrainingHistory | undefined {
  const part = (names: (i: number) => [string, number[]][]): Float32Array[][] | undefined => {
    const found = layers.map((_, i) =>
      names(i).map(([n, shape]) => {
        const d = get(n, shape);
        if (d) for (let j = 0; j < d.length; j++) if (!Number.isFinite(d[j])) fail(`tensor '${n}' holds a non-finite value at index ${j}`);
        return d ? Float32Array.from(d) : undefined;
      }),
    );
    const flat = found.flat();
    if (flat.every((d) => d === undefined)) return undefined;
    const missing = found.flatMap((ds, i) => ds.map((d, j) => (d ? null : names(i)[j][0]))).find((n) => n !== null);
    if (missing) fail(`tensor '${missing}' is missing (the file has other tensors of its history part)`);
    return found as Float32Array[][];
  };
  const count = (key: keyof HistoryMeta, min: number): number => {
    const v = meta?.[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(`metadata history.${key} is ${JSON.stringify(v)}, expected a whole number ≥ ${min}`);
    return v!;
  };
  const shapeOf = (l: Layer) => [l.outFeatures, l.inFeatures];
  const h: TrainingHistory = {};
  const range = part((i) => [
    [`range.${i}.min`, shapeOf(layers[i])],
    [`range.${i}.max`, shapeOf(layers[i])],
  ]);
  if (range) {
    range.forEach(([lo, hi], i) => {
      const j = lo.findIndex((v, k) => v > hi[k]);
      if (j >= 0) fail(`tensor 'range.${i}.min' exceeds 'range.${i}.max' at index ${j}`);
    });
    h.range = RangeTracker.fromState(
      range.map((r) => r[0]),
      range.map((r) => r[1]),
      count('rangeSnapshots', 1),
    );
  }
  const movement = part((i) => [[`movement.${i}`, shapeOf(layers[i])]]);
  if (movement)
    h.movement = MovementTracker.fromState(
      movement.map((m) => m[0]),
      count('movementSteps', 0),
    );
  const snap = (name: string): ParamSnapshot | undefined => {
    const p = part((i) => [
      [`${name}.${i}.weight`, shapeOf(layers[i])],
      [`${name}.${i}.bias`, [layers[i].outFeatures]],
    ]);
    return p && { weights: p.map((x) => x[0]), biases: p.map((x) => x[1]) };
  };
  h.initial = snap('initial');
  const rewind = snap('rewind');
  if (rewind) h.rewind = { ...rewind, epoch: count('rewindEpoch', 1) };
  return h.range || h.movement || h.initial || h.rewind ? h : undefined;
}

/** Writes the model atomically (temp file + rename). */
export function saveModel(path: string, model: MLP): void {
  writeFileAtomic(path, encodeMLP(model));
}

export function loadModel(path: string): MLP {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new Error(`cannot read model file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return decodeMLP(bytes, path);
  } catch (e) {
    if (e instanceof FormatError && !e.message.startsWith(path)) throw new FormatError(`${path}: ${e.message}`);
    throw e;
  }
}
