/** Pieces shared by the subcommands: data for a model, JSON output, number formatting. */
import type { Dataset, SplitDataset } from '../data/types.js';
import type { MLP } from '../nn/model.js';
import { RunError, UsageError } from './args.js';

/** Flags every data-reading command shares. */
export const dataFlags = {
  data: { type: 'string' },
  label: { type: 'string' },
  'test-fraction': { type: 'string' },
  seed: { type: 'string' },
} as const;

export const DATA_HELP = `  --data SPEC          iris | mnist | fashion-mnist[:DIR] | FILE.csv | IDX-PREFIX
  --label NAME|INDEX   label column of a CSV (default: the last)
  --test-fraction F    held-out test fraction for data without a fixed split (default 0.2)
  --seed N             seed for splits, initialisation and shuffling (default 42)`;

/** Why the SGD flags shared by train and prune have the bounds they have (shown with a bad value). */
export const SGD_BOUNDS = {
  lr: 'the step size along the negative gradient; a negative rate would climb the loss',
  momentum: 'the share of the last step kept; outside [0, 1) SGD diverges',
  alpha: 'an L2 penalty; a negative one rewards large weights',
  seed: 'seeds are whole numbers ≥ 0',
} as const;

/** A label given as a column index or a name. */
export function labelArg(v: string | undefined): string | number | undefined {
  if (v === undefined) return undefined;
  return /^-?\d+$/.test(v.trim()) ? Number(v) : v;
}

/** Loads a dataset spec (lazily importing the data module). Data errors become RunErrors (exit 1). */
export async function loadSplit(spec: string, opts: { label?: string | number; seed?: number; testFraction?: number; standardize?: boolean }): Promise<SplitDataset> {
  const { loadData } = await import('../data/index.js');
  try {
    return await loadData(spec, opts);
  } catch (e) {
    throw new RunError((e as Error).message);
  }
}

/** x' = (x − mean) / scale, the model's stored preprocessing, applied to raw features. */
export function applyModelPreprocessing(model: MLP, ds: Dataset): Dataset {
  const { mean, scale } = model.preprocessing;
  if (!mean || !scale) return ds;
  if (ds.nFeatures !== mean.length) throw new RunError(`${ds.source} has ${ds.nFeatures} features, the model expects ${mean.length}`);
  const f = new Float32Array(ds.features.length);
  for (let i = 0; i < ds.nSamples; i++) {
    for (let c = 0; c < ds.nFeatures; c++) f[i * ds.nFeatures + c] = (ds.features[i * ds.nFeatures + c] - mean[c]) / scale[c];
  }
  return { ...ds, features: f };
}

/** The data split as the model sees it: raw features, then the model's own preprocessing. */
export async function loadSplitForModel(spec: string, model: MLP, opts: { label?: string | number; seed?: number; testFraction?: number }): Promise<SplitDataset> {
  const raw = await loadSplit(spec, { ...opts, standardize: false });
  const nIn = model.layers[0].inFeatures;
  if (raw.train.nFeatures !== nIn) throw new UsageError(`--data: ${spec} has ${raw.train.nFeatures} features, the model expects ${nIn}`);
  const nOut = model.layers.at(-1)!.outFeatures;
  if (raw.train.labelNames.length > nOut) throw new UsageError(`--data: ${spec} has ${raw.train.labelNames.length} classes, the model has ${nOut} outputs`);
  return { ...raw, train: applyModelPreprocessing(model, raw.train), test: applyModelPreprocessing(model, raw.test), mean: model.preprocessing.mean, scale: model.preprocessing.scale };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

export const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
