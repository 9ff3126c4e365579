/**
 * Import an MLP trained elsewhere as a prunekit training model (the file `train` writes), so that
 * eval, prune, compact, predict and the runtime work on it unchanged.
 *
 * Formats: ONNX (./onnx/import.ts) and safetensors state dicts (./statedict.ts), chosen by the
 * file name (.onnx / .safetensors) or, failing that, by the bytes (a safetensors file starts with an
 * 8-byte header length followed by '{'). The source file's name, format and SHA-256 are recorded in
 * the model's provenance; nothing depends on the clock, so the same input gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { layerSizes, type ActName, type MLP } from '../nn/model.js';
import { readOnnx } from './onnx/import.js';
import { ImportError } from './errors.js';
import { toMLP } from './network.js';
import { readStateDict, type WeightLayout } from './statedict.js';

export { ImportError } from './errors.js';
export type { WeightLayout } from './statedict.js';

export type ImportFormat = 'onnx' | 'safetensors';

export interface ImportOptions {
  /** The source file's path or name: for messages, the provenance and format detection. */
  file: string;
  format?: ImportFormat;
  /** Class labels when the source names none (they must agree when it does). */
  labels?: string[];
  /** State dicts: one activation for every hidden layer, or one per hidden layer. */
  activations?: ActName[];
  /** State dicts: weight layout, [out, in] (PyTorch) or [in, out] (Keras, scikit-learn). */
  layout?: WeightLayout;
}

/** What was imported, for the CLI's report and --json. */
export interface ImportSummary {
  source: { file: string; format: ImportFormat; sha256: string; bytes: number } & Record<string, unknown>;
  sizes: number[];
  layers: { in: number; out: number; activation: ActName; from: string }[];
  labels: string[];
  /** The input feature names the model file now holds ([] when the source names none). */
  features: string[];
  /** The stored standardisation (x − mean)/scale, or null. */
  preprocessing: { mean: number[]; scale: number[] } | null;
  notes: string[];
}

export function detectFormat(bytes: Uint8Array, file: string): ImportFormat {
  const lower = file.toLowerCase();
  if (lower.endsWith('.onnx')) return 'onnx';
  if (lower.endsWith('.safetensors')) return 'safetensors';
  if (bytes.length >= 9 && bytes[8] === 0x7b && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0) return 'safetensors';
  return 'onnx';
}

export function importModel(bytes: Uint8Array, opts: ImportOptions): { model: MLP; summary: ImportSummary } {
  const name = basename(opts.file);
  const format = opts.format ?? detectFormat(bytes, opts.file);
  if (format === 'onnx' && (opts.activations || opts.layout)) {
    throw new ImportError(`${name}: --activation and --layout apply to safetensors state dicts; an ONNX graph records its own activations and layout`);
  }
  const net = format === 'onnx' ? readOnnx(bytes, { file: name }) : readStateDict(bytes, { file: name, layout: opts.layout, activations: opts.activations });
  const model = toMLP(net, { file: name, labels: opts.labels });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const cleanSource = Object.fromEntries(Object.entries(net.source).filter(([, v]) => v !== undefined));
  const source = { file: name, format, sha256, bytes: bytes.length, ...cleanSource };
  const acts = [...new Set(model.layers.slice(0, -1).map((l) => l.activation))];
  model.provenance = {
    sizes: layerSizes(model),
    // as `train` records them: one activation for the hidden layers (per layer when they differ)
    ...(acts.length <= 1 ? { activation: acts[0] ?? 'identity' } : { activations: model.layers.map((l) => l.activation) }),
    imported: { file: name, format, sha256, ...(format === 'onnx' ? cleanSource : { layout: net.source.layout }), notes: net.notes },
  };
  const p = model.preprocessing;
  return {
    model,
    summary: {
      source,
      sizes: layerSizes(model),
      layers: model.layers.map((l, i) => ({ in: l.inFeatures, out: l.outFeatures, activation: l.activation, from: net.layers[i].origin })),
      labels: p.labelNames,
      features: p.featureNames,
      preprocessing: p.mean && p.scale ? { mean: Array.from(p.mean), scale: Array.from(p.scale) } : null,
      notes: net.notes,
    },
  };
}
