/** Pieces shared by the subcommands: data for a model, JSON output, number formatting. */
import { existsSync } from 'node:fs';
import type { CompactOptions } from '../compact/compact.js';
import { INDEX_OPTIONS } from '../compact/storage.js';
import type { HeaderMode } from '../data/csv.js';
import type { Dataset, SplitDataset } from '../data/types.js';
import type { MLP } from '../nn/model.js';
import { inputFile, num, oneOf, RunError, UsageError } from './args.js';

/** Flags every data-reading command shares. */
export const dataFlags = {
  data: { type: 'string' },
  label: { type: 'string' },
  'test-fraction': { type: 'string' },
  'test-data': { type: 'string' },
  seed: { type: 'string' },
  header: { type: 'string' },
} as const;

/** The network and SGD flags of the commands that train a model (train, sweep, demo). */
export const trainingFlags = {
  hidden: { type: 'string' },
  activation: { type: 'string' },
  epochs: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  momentum: { type: 'string' },
  nesterov: { type: 'boolean' },
  alpha: { type: 'string' },
  'sparse-kernels': { type: 'string' },
} as const;

/** --threads N of the commands that train (train, prune's fine-tuning). */
export const THREADS_HELP = `  --threads N          threads computing each batch's products (default 1): worker threads sharing
                       one wasm memory; the model file is the same byte for byte as with 1`;

/** --threads N, 1 to 64 (default 1): threads for TrainConfig.threads. */
export function threadsArg(value: string | undefined): number {
  return num(value, 'threads', { int: true, min: 1, max: 64 }) ?? 1;
}

/** The --json keys train and eval share: test metrics, training-split metrics and the gap between them. */
export function fitReport(test: { accuracy: number; loss: number }, train: { accuracy: number; loss: number }) {
  return { accuracy: test.accuracy, loss: test.loss, trainAccuracy: train.accuracy, trainLoss: train.loss, generalisationGap: train.accuracy - test.accuracy };
}

export const DATA_HELP = `  --data SPEC          iris | mnist | fashion-mnist[:DIR] | FILE.csv | IDX-PREFIX
  --label NAME|INDEX   label column of a CSV (default: the last)
  --header yes|no      whether a CSV's first row is a header (default: guessed from the first rows)
  --test-fraction F    held-out test fraction for data without a fixed split (default 0.2)
  --test-data FILE     a separate test CSV: --data (a CSV) is then all training data and the
                       accuracy is measured on FILE (same columns, label and header handling as --data)
  --seed N             seed for splits, initialisation and shuffling (default 42)
                       (eval and prune reuse the model's own split — or its recorded --test-data
                       file — by default, and refuse a split or test file holding rows the model
                       was trained on)`;

/** Why the SGD flags shared by train and prune have the bounds they have (shown with a bad value). */
export const SGD_BOUNDS = {
  lr: 'the step size along the negative gradient; a negative rate would climb the loss',
  momentum: 'the share of the last step kept; outside [0, 1) SGD diverges',
  alpha: 'an L2 penalty; a negative one rewards large weights',
  seed: 'seeds are whole numbers ≥ 0',
} as const;

/** --values of compact and sweep: f32, f16, or kmeans[:BITS] (a 2^BITS-entry codebook, default 5 bits). */
export function parseValues(v: string | undefined): Pick<CompactOptions, 'values' | 'bits'> {
  if (v === undefined || v === 'f32' || v === 'f16') return { values: (v ?? 'f32') as 'f32' | 'f16' };
  const m = /^kmeans(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`--values: expected f32, f16 or kmeans:BITS, got '${v}'`);
  const bits = m[1] === undefined ? 5 : Number(m[1]);
  if (bits < 1 || bits > 8) throw new UsageError(`--values: k-means bits must be 1…8 (u8 codes), got ${bits}`);
  return { values: 'kmeans', bits };
}

/**
 * --index, --entropy and --format of compact, sweep and demo: how a compact file stores its
 * layers. Relative indices (`delta:B`) and Huffman coding need format_version 2 and imply it
 * when --format is not given; `--format 1` with either is a usage error.
 */
export function parseStorage(
  index: string | undefined,
  entropy: string | undefined,
  format: string | undefined,
): Pick<CompactOptions, 'index' | 'entropy' | 'formatVersion'> {
  const idx = oneOf(index, 'index', INDEX_OPTIONS) ?? 'auto';
  const ent = oneOf(entropy, 'entropy', ['none', 'huffman'] as const) ?? 'none';
  const v = oneOf(format, 'format', ['1', '2'] as const);
  const needs2 = idx.startsWith('delta:') ? `--index ${idx}` : ent === 'huffman' ? '--entropy huffman' : null;
  if (v === '1' && needs2) throw new UsageError(`${needs2} needs --format 2 (format_version 1 stores plain indices and byte codes only)`);
  return { index: idx, entropy: ent, formatVersion: v === undefined ? undefined : (Number(v) as 1 | 2) };
}

/** A label given as a column index or a name. */
export function labelArg(v: string | undefined): string | number | undefined {
  if (v === undefined) return undefined;
  return /^-?\d+$/.test(v.trim()) ? Number(v) : v;
}

export function headerArg(v: string | undefined): HeaderMode | undefined {
  return oneOf(v, 'header', ['yes', 'no', 'auto'] as const);
}

/** --test-data: an existing file, and not together with --test-fraction (no split is drawn). */
export function testDataArg(v: { 'test-data'?: string; 'test-fraction'?: string }): string | undefined {
  const path = inputFile(v['test-data'], 'test-data');
  if (path !== undefined && v['test-fraction'] !== undefined)
    throw new UsageError('give --test-data or --test-fraction, not both: with a separate test file no split is drawn');
  return path;
}

/** How a command reads its --data: CSV label column and header, split seed and test fraction, or a separate test CSV. */
export interface DataArgs {
  label?: string | number;
  header?: HeaderMode;
  seed?: number;
  testFraction?: number;
  /** A separate test CSV (--test-data). */
  testData?: string;
}

/**
 * Loads a dataset spec (lazily importing the data module). A CSV path that does not exist, or a spec
 * that names no dataset, is bad usage (exit 2, as a missing --model is); other data errors become
 * RunErrors (exit 1).
 */
async function readSplit(spec: string, opts: DataArgs & { standardize?: boolean }): Promise<SplitDataset> {
  if (/\.(csv|tsv|txt)$/i.test(spec) && !existsSync(spec)) throw new UsageError(`${spec}: no such CSV file`);
  const [{ loadData }, { UnknownDatasetError }] = await Promise.all([import('../data/index.js'), import('../data/errors.js')]);
  try {
    return await loadData(spec, opts);
  } catch (e) {
    if (e instanceof UnknownDatasetError) throw new UsageError(e.message, { cause: e });
    throw new RunError((e as Error).message, { cause: e });
  }
}

/**
 * The data a command trains on (train, sweep, demo): `spec` split by seed and fraction, or all of
 * `spec` with the separate `testData` file as the test set — refused (exit 2) when that file holds
 * the same bytes as `spec`, since every test row would be a training row.
 */
export async function loadSplit(spec: string, opts: DataArgs & { standardize?: boolean }): Promise<SplitDataset> {
  const data = await readSplit(spec, opts);
  if (opts.testData !== undefined)
    await refuseTestOnTrainingData(opts.testData, [{ identity: await identityOf(spec), what: `the --data file ${spec}, which is trained on` }]);
  return data;
}

/** Exit 2 when the test file's identity is one of `training` (data whose rows a model trains on). */
async function refuseTestOnTrainingData(testData: string, training: { identity: string | null; what: string }[]): Promise<void> {
  const id = await identityOf(testData);
  const same = training.find((t) => t.identity === id);
  if (same) {
    throw new UsageError(
      `--test-data: ${testData} holds the same bytes as ${same.what}; its accuracy would be measured on rows the model learned from — give a held-out file`,
    );
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
 * The train/test split a model was trained on, kept in its provenance (`provenance.split`) so that
 * eval and prune test it on rows it never saw. `identity` says which rows `data` held. Either a
 * split of `data` by `seed` and `testFraction`, or (--test-data) all of `data` trained on and the
 * separate file `testData` tested on (`testFraction` null).
 */
export interface SplitRecord {
  data: string;
  /** dataIdentity(data): a built-in's name or the SHA-256 of the file(s). */
  identity: string;
  label: string | number | null;
  /** --header as given (null: guessed from the first rows). */
  header: HeaderMode | null;
  seed: number;
  /** The held-out fraction of `data`; null when the test set was the separate file `testData`. */
  testFraction: number | null;
  /** The separate test file, as given, and its identity; both null for a split of `data`. */
  testData: string | null;
  testIdentity: string | null;
}

/** The record `train` stores for the split it draws from `spec` (or for `spec` plus its test file). */
export async function splitRecord(spec: string, args: DataArgs & { seed: number }): Promise<SplitRecord> {
  const { DEFAULT_TEST_FRACTION } = await import('../data/split.js');
  const test = args.testData;
  return {
    data: spec,
    identity: await identityOf(spec),
    label: args.label ?? null,
    header: args.header ?? null,
    seed: args.seed,
    testFraction: test === undefined ? (args.testFraction ?? DEFAULT_TEST_FRACTION) : null,
    testData: test ?? null,
    testIdentity: test === undefined ? null : await identityOf(test),
  };
}

async function identityOf(spec: string): Promise<string> {
  const { dataIdentity } = await import('../data/identity.js');
  try {
    return dataIdentity(spec);
  } catch (e) {
    throw new RunError(`${spec}: cannot read the data to identify it (${(e as Error).message})`, { cause: e });
  }
}

/** The model's split record, when it has a well-formed one (older files have none). */
function storedSplit(model: MLP): SplitRecord | null {
  const s = model.provenance.split as Partial<SplitRecord> | undefined;
  if (!s || typeof s.identity !== 'string' || typeof s.seed !== 'number') return null;
  const fraction = typeof s.testFraction === 'number';
  const testFile = s.testFraction === null && typeof s.testData === 'string' && typeof s.testIdentity === 'string';
  if (!fraction && !testFile) return null;
  const header = s.header === 'yes' || s.header === 'no' || s.header === 'auto' ? s.header : null;
  return {
    data: String(s.data),
    identity: s.identity,
    label: s.label ?? null,
    header,
    seed: s.seed,
    testFraction: fraction ? s.testFraction! : null,
    testData: testFile ? s.testData! : null,
    testIdentity: testFile ? s.testIdentity! : null,
  };
}

/**
 * The test file for a model trained on all of `spec` with a separate test file, when the user
 * names none: the recorded file, if it still holds the same bytes; otherwise exit 2 asking for one.
 * A --test-fraction is refused: every split of `spec` would test on training rows.
 */
async function recordedTestData(
  spec: string,
  stored: SplitRecord & { testData: string; testIdentity: string },
  testFraction: number | undefined,
): Promise<string> {
  const trainedOn = `the model was trained on all of ${spec} and tested on the separate file ${stored.testData}`;
  if (testFraction !== undefined) {
    throw new UsageError(
      `--test-fraction ${testFraction}: ${trainedOn}, so any split of ${spec} would test on rows it was trained on; give --test-data FILE (or leave both out to use ${stored.testData})`,
    );
  }
  const { existsSync, statSync } = await import('node:fs');
  if (!existsSync(stored.testData) || !statSync(stored.testData).isFile()) {
    throw new UsageError(`${trainedOn}, which is not there any more (from ${process.cwd()}); give the test file with --test-data FILE`);
  }
  if ((await identityOf(stored.testData)) !== stored.testIdentity) {
    throw new UsageError(`${trainedOn}, whose bytes have changed since; give the test file with --test-data FILE`);
  }
  return stored.testData;
}

/**
 * The data split as the model sees it: raw features, then the model's own preprocessing, labels
 * in the model's class order. By default the split the model was trained on (its provenance; for
 * older files, its training seed): the test part is then rows it never saw — for a model trained
 * with --test-data, the recorded test file. An explicit --seed/--test-fraction whose test part
 * holds training rows of the same data is refused, and so is a --test-data file holding the
 * model's training data (or, with `finetunes`, the --data it is about to be fine-tuned on).
 */
export async function loadSplitForModel(spec: string, model: MLP, args: DataArgs & { finetunes?: boolean }): Promise<SplitDataset & { testData?: string }> {
  const stored = storedSplit(model);
  // (a spec that cannot be read is not the training data; readSplit below says what is wrong with it)
  const dataIdentity = await identityOf(spec).catch(() => null);
  const sameSource = stored !== null && stored.identity === dataIdentity;
  const label = args.label ?? (sameSource ? (stored.label ?? undefined) : await labelFromHeader(spec, model, stored?.label ?? null));
  const header = args.header ?? (sameSource ? (stored.header ?? undefined) : undefined);
  const trainSeed = (model.provenance.train as { seed?: unknown } | undefined)?.seed;
  const seed = args.seed ?? stored?.seed ?? (typeof trainSeed === 'number' ? trainSeed : 42);
  let testData = args.testData;
  if (testData === undefined && sameSource && stored.testData !== null)
    testData = await recordedTestData(spec, stored as SplitRecord & { testData: string; testIdentity: string }, args.testFraction);
  const testFraction = testData !== undefined ? undefined : (args.testFraction ?? stored?.testFraction ?? undefined);
  const raw = await readSplit(spec, { ...args, label, header, seed, testFraction, testData, standardize: false });
  if (testData !== undefined && args.testData !== undefined) {
    await refuseTestOnTrainingData(testData, [
      { identity: stored?.identity ?? null, what: `${stored?.data}, the data the model was trained on` },
      ...(args.finetunes ? [{ identity: dataIdentity, what: `the --data file ${spec}, which fine-tuning trains on` }] : []),
    ]);
  }
  if (
    sameSource &&
    stored.testFraction !== null &&
    String(label) === String(stored.label ?? undefined) &&
    raw.rows &&
    (seed !== stored.seed || testFraction !== stored.testFraction)
  ) {
    const trained = await readSplit(spec, { ...args, label, header, seed: stored.seed, testFraction: stored.testFraction, standardize: false });
    const { countShared } = await import('../data/split.js');
    const shared = countShared(raw.rows.test, trained.rows!.train);
    if (shared > 0) {
      throw new UsageError(
        `--seed ${seed} --test-fraction ${testFraction ?? 'default'}: ${shared} of the ${raw.rows.test.length} test rows of ${spec} are rows the model was trained on ` +
          `(it was trained on this data with --seed ${stored.seed} --test-fraction ${stored.testFraction}); leave both flags out to test on the rows it never saw`,
      );
    }
  }
  const nIn = model.layers[0].inFeatures;
  if (raw.train.nFeatures !== nIn) throw new UsageError(`--data: ${spec} has ${raw.train.nFeatures} features, the model expects ${nIn}`);
  const prep = (ds: Dataset) => applyModelPreprocessing(model, alignFeatures(model, alignLabels(model, ds, spec)));
  return {
    ...raw,
    train: prep(raw.train),
    test: prep(raw.test),
    mean: model.preprocessing.mean,
    scale: model.preprocessing.scale,
    ...(testData !== undefined ? { testData } : {}),
  };
}

/**
 * The label column of a CSV other than the training data when --label is not given, from the
 * names the model stores: the training label's name if the file's header has it, else the one
 * header column that is not one of the model's features. Undefined (the default, the last column)
 * when the file has no header naming all the model's features, or the model stores no names.
 */
async function labelFromHeader(spec: string, model: MLP, storedLabel: string | number | null): Promise<string | undefined> {
  const features = model.preprocessing.featureNames;
  if (!/\.csv$/i.test(spec) || features.length === 0 || isPlaceholder(features)) return undefined;
  const header = await firstCsvRecord(spec);
  if (!header || !features.every((f) => header.includes(f))) return undefined;
  if (typeof storedLabel === 'string' && header.includes(storedLabel)) return storedLabel;
  const others = header.filter((h) => !features.includes(h));
  return others.length === 1 ? others[0] : undefined;
}

/** The first record of a CSV file (null when it cannot be read: the data reader then says why). */
async function firstCsvRecord(path: string): Promise<string[] | null> {
  const { forEachCsvRecord } = await import('../data/csv-records.js');
  let first: string[] | null = null;
  const stop = new Error('first record read');
  await forEachCsvRecord(path, (rec) => {
    first = rec.fields;
    throw stop;
  }).catch((e) => {
    if (e !== stop) first = null;
  });
  return first;
}

/**
 * Feature columns in the model's order: a CSV whose header names the model's features in another
 * order has its columns permuted to match (the model stores its feature names). Data whose names
 * are not exactly the model's (none, generated x0…, other names) is used in file order, as before.
 */
function alignFeatures(model: MLP, ds: Dataset): Dataset {
  const names = model.preprocessing.featureNames;
  const F = ds.nFeatures;
  if (names.length !== F || ds.featureNames.length !== F || ds.featureNames.every((n, i) => n === names[i])) return ds;
  const column = new Map(ds.featureNames.map((n, c) => [n, c]));
  if (column.size !== F || !names.every((n) => column.has(n))) return ds;
  const from = names.map((n) => column.get(n)!);
  const f = new Float32Array(ds.features.length);
  for (let i = 0; i < ds.nSamples; i++) for (let c = 0; c < F; c++) f[i * F + c] = ds.features[i * F + from[c]];
  return { ...ds, features: f, featureNames: [...names] };
}

/** "0", "1", … : the names createMLP gives when the caller named no classes. */
const isPlaceholder = (names: string[]) => names.every((n, i) => n === String(i));

/**
 * Labels as the model's output indices. Class i of a dataset is its i-th sorted label name, so
 * data with fewer (or other) classes than the model would be scored against the wrong outputs.
 * Labels are matched by name when every class of the data is one of the model's classes. Otherwise
 * class i is output i, but only when nothing ties the two lists by name — the model's classes are
 * placeholders ("0", "1", …), or named in another vocabulary that shares no name with the data's
 * (an imported model given --labels a,b,c, data labelled 0,1,2) — and the counts agree; anything
 * else is refused.
 */
function alignLabels(model: MLP, ds: Dataset, spec: string): Dataset {
  const nOut = model.layers.at(-1)!.outFeatures;
  const names = model.preprocessing.labelNames;
  const list = (a: string[]) => (a.length <= 6 ? a.join(', ') : `${a.slice(0, 6).join(', ')}, …`);
  const index = new Map(names.length === nOut ? names.map((n, i) => [n, i]) : []);
  const known = ds.labelNames.filter((n) => index.has(n));
  if (known.length === ds.labelNames.length) {
    if (ds.labelNames.every((n, i) => n === names[i]) && ds.labelNames.length === nOut) return ds;
    const to = Int32Array.from(ds.labelNames, (n) => index.get(n)!);
    return { ...ds, labels: ds.labels.map((y) => to[y]), labelNames: [...names] };
  }
  if (index.size > 0 && !isPlaceholder(names) && (known.length > 0 || ds.labelNames.length !== nOut)) {
    const unknown = ds.labelNames.filter((n) => !index.has(n));
    throw new UsageError(`--data: ${spec} has classes the model does not know: ${list(unknown)} (the model's classes: ${list(names)})`);
  }
  if (ds.labelNames.length !== nOut)
    throw new UsageError(`--data: ${spec} has ${ds.labelNames.length} classes (${list(ds.labelNames)}), the model has ${nOut} outputs`);
  return ds;
}

export { printJson } from './json.js';

export const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)}%`;

/**
 * The model with the data's feature names when it stores none (an imported model): the columns a
 * CSV header named, in the model's input order, so `predict` can pick them by name and ignore the
 * label column. Data without a header (generated names x0, x1, …) leaves the model as it is.
 */
export function withDataFeatureNames(model: MLP, data: Dataset): MLP {
  const names = data.featureNames;
  const generated = names.every((n, j) => n === `x${j}`);
  if (model.preprocessing.featureNames.length !== 0 || generated || names.length !== model.layers[0].inFeatures) return model;
  return { ...model, preprocessing: { ...model.preprocessing, featureNames: [...names] } };
}
