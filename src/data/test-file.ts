/**
 * A training CSV plus the user's own held-out test CSV (`--data train.csv --test-data test.csv`):
 * no split is drawn, the whole first file trains and the whole second file tests.
 *
 * - Both files are read with the same label column (name or index) and the same header setting
 *   (`header`: 'yes', 'no' or guessed per file), and must have the same number
 *   of feature columns; when both have a header, the feature names must match in order.
 * - Classes are the union of both files' labels, in the same order a single CSV would give them
 *   (numeric when every label is a number, else by code point), so label i means the same class
 *   in train and test. A class may be missing from the test file.
 */
import { readCsvDataset, sortLabels, type CsvOptions } from './csv.js';
import { DataError } from './errors.js';
import type { Dataset } from './types.js';

/** Relabels a dataset onto a wider class list (every one of its class names must be in `names`). */
export function relabel(ds: Dataset, names: string[]): Dataset {
  const index = new Map(names.map((n, i) => [n, i]));
  const map = ds.labelNames.map((n) => {
    const i = index.get(n);
    if (i === undefined) throw new DataError(`${ds.source}: class "${n}" is not among [${names.join(', ')}]`);
    return i;
  });
  return { ...ds, labels: ds.labels.map((l) => map[l]), labelNames: names };
}

/** Reads both files and gives them one class list. */
export async function readTrainTestCsv(
  trainPath: string,
  testPath: string,
  opts: Pick<CsvOptions, 'label' | 'header'> = {},
): Promise<{ train: Dataset; test: Dataset }> {
  const train = await readCsvDataset(trainPath, opts);
  const test = await readTestCsv(testPath, opts);
  if (test.nFeatures !== train.nFeatures) {
    throw new DataError(`${testPath}: ${test.nFeatures} feature columns, the training file ${trainPath} has ${train.nFeatures}`);
  }
  const headered = (d: Dataset) => !d.featureNames.every((n, j) => n === `x${j}`);
  if (headered(train) && headered(test)) {
    const j = train.featureNames.findIndex((n, k) => n !== test.featureNames[k]);
    if (j >= 0)
      throw new DataError(`${testPath}: feature column ${j} is "${test.featureNames[j]}", the training file ${trainPath} has "${train.featureNames[j]}" there`);
  }
  const names = sortLabels([...new Set([...train.labelNames, ...test.labelNames])]);
  return { train: relabel(train, names), test: { ...relabel(test, names), featureNames: train.featureNames } };
}

/**
 * A test file may hold a single class (a readCsvDataset error for training data): read it, and on
 * exactly that error read it again as one class.
 */
async function readTestCsv(path: string, opts: Pick<CsvOptions, 'label' | 'header'>): Promise<Dataset> {
  try {
    return await readCsvDataset(path, opts);
  } catch (e) {
    if (e instanceof DataError && /has a single class/.test(e.message)) return readCsvDataset(path, { ...opts, allowSingleClass: true });
    throw e;
  }
}
