/** Pieces shared by the subcommands: data for a model, JSON output, number formatting. */
import type { Dataset, SplitDataset } from '../data/types.js';
import type { MLP } from '../nn/model.js';
import { inputFile, RunError, UsageError } from './args.js';

/** Flags every data-reading command shares. */
export const dataFlags = {
  data: { type: 'string' },
  label: { type: 'string' },
  'test-fraction': { type: 'string' },
  'test-data': { type: 'string' },
  seed: { type: 'string' },
} as const;

export const DATA_HELP = `  --data SPEC          iris | mnist | fashion-mnist[:DIR] | FILE.csv | IDX-PREFIX
  --label NAME|INDEX   label column of a CSV (default: the last)
  --test-fraction F    held-out test fraction for data without a fixed split (default 0.2)
  --test-data FILE     a separate test CSV: --data (a CSV) is then all training data and the
                       accuracy is measured on FILE (same columns and label handling as --data)
  --seed N             seed for splits, initialisation and shuffling (default 42)`;

/** A label given as a column index or a name. */
export function labelArg(v: string | undefined): string | number | undefined {
  if (v === undefined) return undefined;
  return /^-?\d+$/.test(v.trim()) ? Number(v) : v;
}

/** --test-data: an existing file, and not together with --test-fraction (no split is drawn). */
export function testDataArg(v: { 'test-data'?: string; 'test-fraction'?: string }): string | undefined {
  const path = inputFile(v['test-data'], 'test-data');
  if (path !== undefined && v['test-fraction'] !== undefined) throw new UsageError('give --test-data or --test-fraction, not both: with a separate test file no split is drawn');
  return path;
}

export interface SplitOptions {
  label?: string | number;
  seed?: number;
  testFraction?: number;
  /** A separate test CSV (--test-data). */
  testData?: string;
}

/** Loads a dataset spec (lazily importing the data module). Data errors become RunErrors (exit 1). */
export async function loadSplit(spec: string, opts: SplitOptions & { standardize?: boolean }): Promise<SplitDataset> {
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
  if (!mean && !scale) return ds;
  const n = (mean ?? scale)!.length;
  if (ds.nFeatures !== n) throw new RunError(`${ds.source} has ${ds.nFeatures} features, the model expects ${n}`);
  const f = new Float32Array(ds.features.length);
  for (let i = 0; i < ds.nSamples; i++) {
    for (let c = 0; c < ds.nFeatures; c++) f[i * ds.nFeatures + c] = (ds.features[i * ds.nFeatures + c] - (mean ? mean[c] : 0)) / (scale ? scale[c] : 1);
  }
  return { ...ds, features: f };
}

/**
 * The data split as the model sees it: raw features, then the model's own stored preprocessing
 * (never refitted). When every class name of the data is one of the model's label names (an
 * imported model's classes, or the file it was trained on), labels are mapped by name onto the
 * model's outputs; otherwise class i of the data is output i.
 */
export async function loadSplitForModel(spec: string, model: MLP, opts: SplitOptions): Promise<SplitDataset> {
  const raw = await loadSplit(spec, { ...opts, standardize: false });
  const nIn = model.layers[0].inFeatures;
  if (raw.train.nFeatures !== nIn) throw new UsageError(`--data: ${spec} has ${raw.train.nFeatures} features, the model expects ${nIn}`);
  const nOut = model.layers.at(-1)!.outFeatures;
  if (raw.train.labelNames.length > nOut) throw new UsageError(`--data: ${spec} has ${raw.train.labelNames.length} classes, the model has ${nOut} outputs`);
  const names = model.preprocessing.labelNames;
  const byName = names.length === nOut && raw.train.labelNames.every((n) => names.includes(n));
  const { relabel } = await import('../data/index.js');
  const prepare = (ds: Dataset) => applyModelPreprocessing(model, byName ? relabel(ds, names) : ds);
  return { ...raw, train: prepare(raw.train), test: prepare(raw.test), mean: model.preprocessing.mean, scale: model.preprocessing.scale };
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
}

export const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;
