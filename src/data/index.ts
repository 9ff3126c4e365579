/**
 * One entry point for every dataset prunekit trains on:
 *
 *   iris                      built-in CSV (150 rows), seeded stratified split, standardised
 *   mnist                     built-in 10,000 digits, fixed per-digit 80/20 split, pixels in [0, 1]
 *   fashion-mnist[:DIR]       Debian package dataset-fashion-mnist (or DIR), its own 60k/10k split
 *   path/to/file.csv          any CSV: seeded stratified split, standardised (fitted on train)
 *   IDX-PREFIX                a folder of MNIST-named IDX files, a prefix P (P-images-idx3-ubyte…),
 *                             or an images file; split as given when a test pair exists
 *
 * With `testData` (a second CSV), the CSV `spec` is all training data and `testData` all test data:
 * no split is drawn (src/data/test-file.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { readCsvDataset, type HeaderMode } from './csv.js';
import { DataError, UnknownDatasetError } from './errors.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { findIdxFiles } from './idx-files.js';
import { loadIdxPair } from './idx.js';
import { loadIris } from './iris.js';
import { loadMnist } from './mnist-json.js';
import { applyStandardizer, fitStandardizer } from './preprocess.js';
import { trainTestSplit } from './split.js';
import { readTrainTestCsv } from './test-file.js';
import type { Dataset, SplitDataset } from './types.js';

export interface LoadDataOptions {
  /** CSV only: label column name or 0-based index (negative from the end). Default: the last column. */
  label?: string | number;
  /** Seed of the train/test split (default 0). */
  seed?: number;
  /** Test share when the data has no split of its own (default 0.2). */
  testFraction?: number;
  /** Standardise features with mean/scale fitted on train. Default: true for CSV and iris, false for images. */
  standardize?: boolean;
  /** CSV only: whether the first row is a header (default: guessed from the first rows); applies to `testData` too. */
  header?: HeaderMode;
  /** A separate test CSV: `spec` (a CSV) trains, this file tests; `testFraction` does not apply. */
  testData?: string;
}

export async function loadData(spec: string, opts: LoadDataOptions = {}): Promise<SplitDataset> {
  const split = (ds: Dataset) => trainTestSplit(ds, { testFraction: opts.testFraction, seed: opts.seed });
  const images = (s: SplitDataset) => finish(s, opts.standardize ?? false);
  const notCsv = (what: string) => {
    if (opts.label !== undefined) throw new DataError(`${what}: a label column (${opts.label}) can only be chosen for CSV files`);
    if (opts.header !== undefined) throw new DataError(`${what}: a header setting (${opts.header}) applies to CSV files only`);
  };
  const csv = { label: opts.label, header: opts.header };

  if (opts.testData !== undefined) {
    const builtin = spec === 'iris' || spec === 'mnist' || spec === 'fashion-mnist' || spec.startsWith('fashion-mnist:');
    if (builtin || (!/\.(csv|tsv|txt)$/i.test(spec) && findIdxFiles(spec))) {
      throw new DataError(`${spec}: a separate test file (${opts.testData}) goes with a training CSV file, and ${spec} is not one`);
    }
    return finish({ ...(await readTrainTestCsv(spec, opts.testData, csv)), mean: null, scale: null }, opts.standardize ?? true);
  }
  if (spec === 'iris') {
    notCsv(spec);
    return finish({ ...split(await loadIris()), mean: null, scale: null }, opts.standardize ?? true);
  }
  if (spec === 'mnist') {
    notCsv(spec);
    return images(loadMnist());
  }
  if (spec === 'fashion-mnist' || spec.startsWith('fashion-mnist:')) {
    notCsv(spec);
    const dir = spec.slice('fashion-mnist:'.length);
    return images(loadFashionMnist(dir === '' ? undefined : dir));
  }
  if (/\.(csv|tsv|txt)$/i.test(spec)) {
    return finish({ ...split(await readCsvDataset(spec, csv)), mean: null, scale: null }, opts.standardize ?? true);
  }
  const idx = findIdxFiles(spec);
  if (idx) {
    notCsv(spec);
    const train = loadIdxPair(idx.train.images, idx.train.labels);
    if (!idx.test) return images({ ...split(train), mean: null, scale: null });
    const test = loadIdxPair(idx.test.images, idx.test.labels);
    if (test.nFeatures !== train.nFeatures) {
      throw new DataError(`${idx.test.images}: images have ${test.nFeatures} pixels, the training images ${train.nFeatures}`);
    }
    // Both parts must share one class list: the wider one covers the other's labels.
    test.labelNames = train.labelNames = train.labelNames.length >= test.labelNames.length ? train.labelNames : test.labelNames;
    return images({ train, test, mean: null, scale: null });
  }
  if (existsSync(spec) && statSync(spec).isFile()) {
    return finish({ ...split(await readCsvDataset(spec, csv)), mean: null, scale: null }, opts.standardize ?? true);
  }
  throw new UnknownDatasetError(
    `${spec}: no such dataset: expected iris, mnist, fashion-mnist[:DIR], a CSV file, or IDX files ` +
      `(a folder with train-images-idx3-ubyte[.gz], or a prefix P with P-images-idx3-ubyte[.gz] and P-labels-idx1-ubyte[.gz])`,
  );
}

/** Fits the standardiser on train and applies it to both parts, when asked. */
function finish(s: SplitDataset, standardize: boolean): SplitDataset {
  if (!standardize) return s;
  const { mean, scale } = fitStandardizer(s.train);
  const std = (d: Dataset): Dataset => ({ ...d, features: applyStandardizer(d.features, d.nFeatures, mean, scale) });
  return { ...s, train: std(s.train), test: std(s.test), mean, scale };
}

/** One line for messages: "iris: 120 train / 30 test, 4 features, 3 classes (setosa, …), standardised". */
export function describeDataset(ds: Dataset | SplitDataset): string {
  if ('train' in ds) {
    const { train, test } = ds;
    return `${train.source}: ${train.nSamples} train / ${test.nSamples} test, ${train.nFeatures} features, ${classList(train)}, ${ds.mean ? 'standardised (fitted on train)' : 'not standardised'}`;
  }
  return `${ds.source}: ${ds.nSamples} samples, ${ds.nFeatures} features, ${classList(ds)}`;
}

function classList(ds: Dataset): string {
  const k = ds.labelNames.length;
  const names = k <= 10 ? ds.labelNames.join(', ') : `${ds.labelNames.slice(0, 10).join(', ')}, …`;
  return `${k} classes (${names})`;
}

export { DataError } from './errors.js';
export { BUILTIN_DATASETS, isBuiltin, type BuiltinName } from './builtin.js';
export { readCsvDataset, readCsvFeatures, type CsvOptions, type CsvFeatures, type CsvFeaturesOptions, type HeaderMode } from './csv.js';
export { dataIdentity } from './identity.js';
export { readIdx, parseIdx, loadIdxPair, type IdxArray } from './idx.js';
export { findIdxFiles, type IdxFiles, type IdxPairPaths } from './idx-files.js';
export { loadIris, irisPath } from './iris.js';
export { loadMnist } from './mnist-json.js';
export { loadFashionMnist, findFashionMnistDir, FASHION_CLASSES } from './fashion-mnist.js';
export { readTrainTestCsv, relabel } from './test-file.js';
export { trainTestSplit, trainValidationSplit, stratifiedIndices, countShared, type Split } from './split.js';
export { fitStandardizer, applyStandardizer, oneHot, type Standardizer } from './preprocess.js';
export { subset } from './subset.js';
export type { Dataset, SplitDataset } from './types.js';
