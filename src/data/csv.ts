/**
 * CSV datasets: numeric feature columns plus one label column.
 *
 * - Header: decided from the first two rows together. The first row is a header when some feature
 *   cell of it is text and none of its feature cells is a number where the second row has a
 *   number: `5.1,3.5,abc,0.2` above numeric rows is a data row with a typo (an error naming the
 *   line), never a header that silently swallows a row. `header: 'yes' | 'no'` overrides the
 *   guess; a label column named in the first row also makes it a header.
 * - Header names must be unique: they become the model's feature names, picked by name later.
 * - Label column: by name, or by 0-based index (negative counts from the end); default the last.
 * - Labels are strings; classes are the distinct labels in sorted order (numerically when every
 *   label is a number, so "2" < "10"), and label i means labelNames[i].
 * - Every problem is a DataError naming the file and the 1-based line.
 */
import { forEachCsvRecord, type CsvRecord } from './csv-records.js';
import { DataError } from './errors.js';
import { GrowableF32, GrowableI32 } from './growable.js';
import { parseCell } from './numbers.js';
import type { Dataset } from './types.js';

/** Whether the first row is a header: guessed from the first rows ('auto', the default), or given. */
export type HeaderMode = 'auto' | 'yes' | 'no';

export interface CsvOptions {
  /** Label column: header name, or 0-based index (negative from the end). Default: the last column. */
  label?: string | number;
  header?: HeaderMode;
  /** Accept a file whose labels are all one class (a held-out test file may be). Default false. */
  allowSingleClass?: boolean;
}

/** Which columns a reader takes from each row, decided once from the first rows. */
interface Layout {
  header: string[] | null;
  /** Feature columns, in the order their values are stored. */
  featureCols: number[];
  /** The label column, for readers that take one. */
  labelCol?: number;
}

interface Rows {
  features: Float32Array;
  nSamples: number;
  layout: Layout;
  /** Line of the first record (the header, when there is one). */
  firstLine: number;
}

/**
 * The row handling both readers share: looks at the first two records to decide the layout,
 * then checks every data row's width against the first row's, parses its feature cells into one
 * growing Float32Array and hands its label cell (if the layout has one) to `onLabel`.
 */
async function readRows(
  path: string,
  decide: (first: CsvRecord, second: CsvRecord | null) => Layout,
  onLabel?: (text: string, rec: CsvRecord, column: string) => void,
  /** The caller's header option: with 'no' the first row is data by request, and no hint says otherwise. */
  header?: HeaderMode,
): Promise<Rows> {
  let layout: Layout | null = null;
  let first: CsvRecord | null = null;
  let width = 0;
  const features = new GrowableF32(1 << 16);
  let nSamples = 0;
  const columnName = (c: number) => (layout?.header ? `column "${layout.header[c]}" (index ${c})` : `column index ${c}`);

  const addRow = (rec: CsvRecord) => {
    if (rec.fields.length !== width) {
      throw new DataError(`${path}: line ${rec.line} has ${rec.fields.length} fields, expected ${width} (as on line ${first!.line})`);
    }
    for (const c of layout!.featureCols) features.push(cellValue(path, rec, c, columnName, rec === first && header !== 'no'));
    if (onLabel && layout!.labelCol !== undefined) onLabel(rec.fields[layout!.labelCol], rec, columnName(layout!.labelCol));
    nSamples++;
  };
  const start = (second: CsvRecord | null) => {
    layout = decide(first!, second);
    if (layout.header) checkUniqueNames(path, layout.header, first!.line);
    if (!layout.header) addRow(first!);
    if (second) addRow(second);
  };

  await forEachCsvRecord(path, (rec) => {
    if (layout) return addRow(rec);
    if (!first) {
      first = rec;
      width = rec.fields.length;
      return;
    }
    start(rec);
  });
  if (!first) return { features: new Float32Array(0), nSamples: 0, layout: { header: null, featureCols: [] }, firstLine: 0 };
  if (!layout) start(null);
  return { features: features.view().slice(), nSamples, layout: layout!, firstLine: (first as CsvRecord).line };
}

/**
 * Is `first` a header? With 'auto': yes when one of its `cols` cells is text and none is a number
 * in a column where the next row has a number (a header row has no numeric cells where the data
 * rows do; a data row with a typo does).
 */
function isHeader(first: string[], second: string[] | null, cols: number[], mode: HeaderMode = 'auto'): boolean {
  if (mode !== 'auto') return mode === 'yes';
  if (!cols.some((c) => isWordCell(first[c]))) return false;
  return !cols.some((c) => parseCell(first[c]).ok && (second === null || (c < second.length && parseCell(second[c]).ok)));
}

function checkUniqueNames(path: string, header: string[], line: number): void {
  const seen = new Map<string, number>();
  header.forEach((name, c) => {
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new DataError(
        `${path}: line ${line}: columns ${earlier} and ${c} are both named "${name}"; column names must be unique, since features are matched by name (rename one)`,
      );
    }
    seen.set(name, c);
  });
}

export async function readCsvDataset(path: string, opts: CsvOptions = {}): Promise<Dataset> {
  const labelIds = new GrowableI32(1 << 12);
  const labelIndex = new Map<string, number>(); // label text → first-seen id
  const rows = await readRows(
    path,
    (first, second) => {
      if (first.fields.length < 2)
        throw new DataError(`${path}: line ${first.line} has ${first.fields.length} field; expected at least 2 (features and a label)`);
      return resolveLayout(path, first, second, opts);
    },
    (text, rec, column) => {
      if (text === '') throw new DataError(`${path}: line ${rec.line}, ${column}: empty label`);
      let id = labelIndex.get(text);
      if (id === undefined) labelIndex.set(text, (id = labelIndex.size));
      labelIds.push(id);
    },
    opts.header,
  );
  if (rows.firstLine === 0) throw new DataError(`${path}: file is empty (expected a header or data rows)`);
  if (rows.nSamples === 0) throw new DataError(`${path}: no data rows after the header on line ${rows.firstLine}`);
  const { header, featureCols, labelCol } = rows.layout;

  const labelNames = sortLabels([...labelIndex.keys()]);
  if (labelNames.length < 2 && !opts.allowSingleClass) {
    const column = header ? `column "${header[labelCol!]}" (index ${labelCol})` : `column index ${labelCol}`;
    throw new DataError(`${path}: the label ${column} has a single class ("${labelNames[0]}"); classification needs at least two`);
  }
  const rank = new Map(labelNames.map((name, i) => [name, i]));
  const remap = new Int32Array(labelIndex.size);
  for (const [text, id] of labelIndex) remap[id] = rank.get(text)!;
  const ids = labelIds.view();
  const labels = new Int32Array(rows.nSamples);
  for (let i = 0; i < rows.nSamples; i++) labels[i] = remap[ids[i]];

  return {
    features: rows.features,
    labels,
    nSamples: rows.nSamples,
    nFeatures: featureCols.length,
    featureNames: featureCols.map((c, j) => (header ? header[c] : `x${j}`)),
    labelNames,
    source: path,
  };
}

export interface CsvFeaturesOptions {
  /** Number of features the model expects. */
  expectFeatures?: number;
  /** The model's feature names: when the file has a header containing all of them, columns are picked by name. */
  featureNames?: string[];
  /** A label column name to drop if the file's header has it (e.g. the column the model was trained on). */
  labelColumn?: string;
  header?: HeaderMode;
}

export interface CsvFeatures {
  features: Float32Array;
  nSamples: number;
  nFeatures: number;
  featureNames: string[];
  /** Header columns that were not used. */
  ignoredColumns: string[];
  source: string;
}

/** Features only (for prediction): every used cell must be a finite number. */
export async function readCsvFeatures(path: string, opts: CsvFeaturesOptions = {}): Promise<CsvFeatures> {
  const rows = await readRows(
    path,
    (first, second) => {
      const all = range(first.fields.length);
      const header = isHeader(first.fields, second?.fields ?? null, all, opts.header) ? first.fields : null;
      return { header, featureCols: chooseFeatureColumns(path, first, header, opts) };
    },
    undefined,
    opts.header,
  );
  if (rows.firstLine === 0) throw new DataError(`${path}: file is empty (expected feature rows)`);
  if (rows.nSamples === 0) throw new DataError(`${path}: no data rows after the header on line ${rows.firstLine}`);
  const { header: h, featureCols: cols } = rows.layout;
  return {
    features: rows.features,
    nSamples: rows.nSamples,
    nFeatures: cols.length,
    featureNames: cols.map((c, j) => (h ? h[c] : (opts.featureNames?.[j] ?? `x${j}`))),
    ignoredColumns: h ? h.filter((_, c) => !cols.includes(c)) : [],
    source: path,
  };
}

/** Prediction input: the model's features by header name when all are there, otherwise by position. */
function chooseFeatureColumns(path: string, row0: CsvRecord, header: string[] | null, opts: CsvFeaturesOptions): number[] {
  const wanted = opts.featureNames;
  if (header && wanted?.every((n) => header.includes(n))) {
    const repeated = wanted.find((n, i) => wanted.indexOf(n) !== i);
    if (repeated !== undefined) {
      throw new DataError(
        `${path}: the model names two features "${repeated}", so columns cannot be picked by name; give the features in the model's order, in a file without a header row`,
      );
    }
    return wanted.map((n) => header.indexOf(n));
  }
  let cols = range(row0.fields.length);
  if (header && opts.labelColumn && header.includes(opts.labelColumn)) cols = cols.filter((c) => header[c] !== opts.labelColumn);
  if (opts.expectFeatures !== undefined && header && !wanted && cols.length === opts.expectFeatures + 1) {
    // One column too many under a header: most likely the label, but a model without feature
    // names cannot say which column that is.
    throw new DataError(
      `${path}: line ${row0.line}: the header has ${cols.length} columns, the model expects ${opts.expectFeatures} features and stores no feature names, ` +
        `so the extra column (the label?) cannot be told apart: give a CSV with only the feature columns, in the model's order, ` +
        `or record the names by pruning the model with --data on a CSV with this header`,
    );
  }
  if (opts.expectFeatures !== undefined && cols.length !== opts.expectFeatures) {
    const missing = header && wanted ? wanted.filter((n) => !header.includes(n)) : [];
    const hint = missing.length
      ? `; header lacks ${missing
          .slice(0, 5)
          .map((n) => `"${n}"`)
          .join(', ')}${missing.length > 5 ? ', …' : ''}`
      : '';
    throw new DataError(`${path}: line ${row0.line} has ${cols.length} feature columns, the model expects ${opts.expectFeatures}${hint}`);
  }
  return cols;
}

/** Which column holds the label, and whether the first row is a header. */
function resolveLayout(path: string, first: CsvRecord, second: CsvRecord | null, opts: CsvOptions): Layout {
  const row0 = first.fields,
    width = row0.length;
  let label = opts.label;
  const withFeatures = (labelCol: number, header: string[] | null): Layout => ({ header, labelCol, featureCols: range(width).filter((c) => c !== labelCol) });
  if (typeof label === 'string') {
    const exact = opts.header === 'no' ? [] : indicesOf(row0, label);
    if (exact.length > 1) throw new DataError(`${path}: line ${first.line}: label column name "${label}" appears ${exact.length} times in the header`);
    if (exact.length === 1) return withFeatures(exact[0], row0);
    if (!/^-?\d+$/.test(label.trim())) {
      const header = opts.header === 'yes' || (opts.header !== 'no' && (row0.slice(0, -1).some(isWordCell) || row0.every(isWordCell)));
      throw new DataError(
        header
          ? `${path}: label column "${label}" not found in the header (columns: ${row0.join(', ')})`
          : `${path}: label column "${label}" given by name, but the file has no header row (line ${first.line} ${opts.header === 'no' ? 'is data: header is "no"' : 'is all numbers'}); give a 0-based index instead`,
      );
    }
    label = Number(label);
  }
  let labelCol = width - 1;
  if (typeof label === 'number') {
    if (!Number.isInteger(label) || label >= width || label < -width) {
      throw new DataError(
        `${path}: label column index ${label} does not exist: the file has ${width} columns (indices 0..${width - 1}, or -1..-${width} from the end)`,
      );
    }
    labelCol = label < 0 ? width + label : label;
  }
  const features = range(width).filter((c) => c !== labelCol);
  return withFeatures(labelCol, isHeader(row0, second?.fields ?? null, features, opts.header) ? row0 : null);
}

/** A feature cell's value; `firstRow`: the cell is on the first row, read as data (a hint names the header option). */
function cellValue(path: string, rec: CsvRecord, c: number, columnName: (c: number) => string, firstRow = false): number {
  const text = rec.fields[c];
  const v = parseCell(text);
  if (v.ok) return v.value;
  const what =
    v.reason === 'empty'
      ? 'empty cell, expected a number'
      : v.reason === 'non-finite'
        ? `NaN/Inf value "${text}" (every feature must be a finite number)`
        : `"${text}" is not a number`;
  const hint =
    firstRow && v.reason === 'not-a-number'
      ? " (this first row was read as data because it has numbers where the next row has numbers; if it is a header, pass --header yes, or header: 'yes' in the API)"
      : '';
  throw new DataError(`${path}: line ${rec.line}, ${columnName(c)}: ${what}${hint}`);
}

/** A cell that reads as text (what a header cell looks like), not as a number, NaN/Inf or blank. */
function isWordCell(cell: string): boolean {
  const v = parseCell(cell);
  return !v.ok && v.reason === 'not-a-number';
}

/** Class order: numeric when every label is a number, otherwise by code point (locale-independent). */
export function sortLabels(names: string[]): string[] {
  const nums = names.map((n) => parseCell(n));
  const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  if (nums.every((v) => v.ok)) {
    const value = new Map(names.map((n, i) => [n, (nums[i] as { value: number }).value]));
    return [...names].sort((a, b) => value.get(a)! - value.get(b)! || cmpText(a, b));
  }
  return [...names].sort(cmpText);
}

function indicesOf(a: string[], x: string): number[] {
  const out: number[] = [];
  a.forEach((v, i) => v === x && out.push(i));
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
