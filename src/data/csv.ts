/**
 * CSV datasets: numeric feature columns plus one label column.
 *
 * - Header: the first row is a header when one of its feature cells is not a number
 *   (or when the label column is named and the name is in the first row).
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

export interface CsvOptions {
  /** Label column: header name, or 0-based index (negative from the end). Default: the last column. */
  label?: string | number;
  /** Accept a file whose labels are all one class (a held-out test file may be). Default false. */
  allowSingleClass?: boolean;
}

export async function readCsvDataset(path: string, opts: CsvOptions = {}): Promise<Dataset> {
  let row0: CsvRecord | null = null;
  let width = 0;
  let labelCol = 0;
  let header: string[] | null = null;
  let featureCols: number[] = [];
  const columnName = (c: number) => (header ? `column "${header[c]}" (index ${c})` : `column index ${c}`);

  const features = new GrowableF32(1 << 16);
  const labelIds = new GrowableI32(1 << 12);
  const labelIndex = new Map<string, number>(); // label text → first-seen id
  let nSamples = 0;

  const addRow = (rec: CsvRecord) => {
    if (rec.fields.length !== width) {
      throw new DataError(`${path}: line ${rec.line} has ${rec.fields.length} fields, expected ${width} (as on line ${row0!.line})`);
    }
    for (const c of featureCols) features.push(cellValue(path, rec, c, columnName));
    const text = rec.fields[labelCol];
    if (text === '') throw new DataError(`${path}: line ${rec.line}, ${columnName(labelCol)}: empty label`);
    let id = labelIndex.get(text);
    if (id === undefined) labelIndex.set(text, (id = labelIndex.size));
    labelIds.push(id);
    nSamples++;
  };

  await forEachCsvRecord(path, (rec) => {
    if (row0) return addRow(rec);
    row0 = rec;
    width = rec.fields.length;
    if (width < 2) throw new DataError(`${path}: line ${rec.line} has ${width} field; expected at least 2 (features and a label)`);
    ({ labelCol, header } = resolveLayout(path, rec.fields, opts.label, rec.line));
    featureCols = range(width).filter((c) => c !== labelCol);
    if (!header) addRow(rec);
  });
  if (!row0) throw new DataError(`${path}: file is empty (expected a header or data rows)`);
  if (nSamples === 0) throw new DataError(`${path}: no data rows after the header on line ${(row0 as CsvRecord).line}`);

  const labelNames = sortLabels([...labelIndex.keys()]);
  if (labelNames.length < 2 && !opts.allowSingleClass) {
    throw new DataError(`${path}: the label ${columnName(labelCol)} has a single class ("${labelNames[0]}"); classification needs at least two`);
  }
  const rank = new Map(labelNames.map((name, i) => [name, i]));
  const remap = new Int32Array(labelIndex.size);
  for (const [text, id] of labelIndex) remap[id] = rank.get(text)!;
  const ids = labelIds.view();
  const labels = new Int32Array(nSamples);
  for (let i = 0; i < nSamples; i++) labels[i] = remap[ids[i]];

  return {
    features: features.view().slice(),
    labels,
    nSamples,
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
  let row0: CsvRecord | null = null;
  let width = 0;
  let header: string[] | null = null;
  let cols: number[] = [];
  const wanted = opts.featureNames;
  const columnName = (c: number) => (header ? `column "${header[c]}" (index ${c})` : `column index ${c}`);

  const features = new GrowableF32(1 << 16);
  let nSamples = 0;
  const addRow = (rec: CsvRecord) => {
    if (rec.fields.length !== width) {
      throw new DataError(`${path}: line ${rec.line} has ${rec.fields.length} fields, expected ${width} (as on line ${row0!.line})`);
    }
    for (const c of cols) features.push(cellValue(path, rec, c, columnName));
    nSamples++;
  };

  await forEachCsvRecord(path, (rec) => {
    if (row0) return addRow(rec);
    row0 = rec;
    width = rec.fields.length;
    header = rec.fields.some(isWordCell) ? rec.fields : null;
    cols = chooseFeatureColumns(path, rec, header, opts);
    if (!header) addRow(rec);
  });
  if (!row0) throw new DataError(`${path}: file is empty (expected feature rows)`);
  if (nSamples === 0) throw new DataError(`${path}: no data rows after the header on line ${(row0 as CsvRecord).line}`);

  const h = header as string[] | null;
  return {
    features: features.view().slice(),
    nSamples,
    nFeatures: cols.length,
    featureNames: cols.map((c, j) => (h ? h[c] : wanted?.[j] ?? `x${j}`)),
    ignoredColumns: h ? h.filter((_, c) => !cols.includes(c)) : [],
    source: path,
  };
}

/** Prediction input: the model's features by header name when all are there, otherwise by position. */
function chooseFeatureColumns(path: string, row0: CsvRecord, header: string[] | null, opts: CsvFeaturesOptions): number[] {
  const wanted = opts.featureNames;
  if (header && wanted?.every((n) => header.includes(n))) return wanted.map((n) => header.indexOf(n));
  let cols = range(row0.fields.length);
  if (header && opts.labelColumn && header.includes(opts.labelColumn)) cols = cols.filter((c) => header[c] !== opts.labelColumn);
  if (opts.expectFeatures !== undefined && cols.length !== opts.expectFeatures) {
    const missing = header && wanted ? wanted.filter((n) => !header.includes(n)) : [];
    const hint = missing.length ? `; header lacks ${missing.slice(0, 5).map((n) => `"${n}"`).join(', ')}${missing.length > 5 ? ', …' : ''}` : '';
    throw new DataError(`${path}: line ${row0.line} has ${cols.length} feature columns, the model expects ${opts.expectFeatures}${hint}`);
  }
  return cols;
}

/** Which column holds the label, and whether the first row is a header. */
function resolveLayout(path: string, row0: string[], label: string | number | undefined, row0Line = 1): { labelCol: number; header: string[] | null } {
  const width = row0.length;
  if (typeof label === 'string') {
    const exact = indicesOf(row0, label);
    if (exact.length > 1) throw new DataError(`${path}: line ${row0Line}: label column name "${label}" appears ${exact.length} times in the header`);
    if (exact.length === 1) return { labelCol: exact[0], header: row0 };
    if (!/^-?\d+$/.test(label.trim())) {
      const header = row0.slice(0, -1).some(isWordCell) || row0.every(isWordCell);
      throw new DataError(
        header
          ? `${path}: label column "${label}" not found in the header (columns: ${row0.join(', ')})`
          : `${path}: label column "${label}" given by name, but the file has no header row (line ${row0Line} is all numbers); give a 0-based index instead`,
      );
    }
    label = Number(label);
  }
  let labelCol = width - 1;
  if (typeof label === 'number') {
    if (!Number.isInteger(label) || label >= width || label < -width) {
      throw new DataError(`${path}: label column index ${label} does not exist: the file has ${width} columns (indices 0..${width - 1}, or -1..-${width} from the end)`);
    }
    labelCol = label < 0 ? width + label : label;
  }
  const header = row0.some((f, c) => c !== labelCol && isWordCell(f)) ? row0 : null;
  return { labelCol, header };
}

function cellValue(path: string, rec: CsvRecord, c: number, columnName: (c: number) => string): number {
  const text = rec.fields[c];
  const v = parseCell(text);
  if (v.ok) return v.value;
  const what =
    v.reason === 'empty' ? 'empty cell, expected a number'
    : v.reason === 'non-finite' ? `NaN/Inf value "${text}" (every feature must be a finite number)`
    : `"${text}" is not a number`;
  throw new DataError(`${path}: line ${rec.line}, ${columnName(c)}: ${what}`);
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
