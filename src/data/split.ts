/**
 * Seeded, stratified splits: every class keeps (as nearly as rounding allows) the same share in
 * both parts, and the same seed always gives the same split. Per class c with n_c samples,
 * round(n_c · fraction) go to the held-out part — at least one if n_c ≥ 2, and never all of them,
 * so every class is represented in training. Both parts keep the samples' original order.
 */
import { Rng } from '../util/rng.js';
import { DataError } from './errors.js';
import { subset } from './subset.js';
import type { Dataset } from './types.js';

export interface Split {
  /** Sample indices of the kept part, ascending. */
  keep: Int32Array;
  /** Sample indices of the held-out part, ascending. */
  heldOut: Int32Array;
}

/** The index sets of a stratified split of `labels` (classes 0..nClasses-1). */
export function stratifiedIndices(labels: Int32Array, nClasses: number, fraction: number, seed: number): Split {
  if (!(fraction > 0 && fraction < 1)) throw new RangeError(`split fraction must be in (0, 1), got ${fraction}`);
  const byClass: number[][] = Array.from({ length: nClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const rng = new Rng(seed);
  const held: number[] = [];
  const kept: number[] = [];
  for (const members of byClass) {
    const n = members.length;
    if (n === 0) continue;
    const nHeld = n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
    const order = rng.shuffle(Int32Array.from(members));
    for (let i = 0; i < n; i++) (i < nHeld ? held : kept).push(order[i]);
  }
  const asc = (a: number[]) => Int32Array.from(a).sort();
  return { keep: asc(kept), heldOut: asc(held) };
}

export const DEFAULT_TEST_FRACTION = 0.2;

/** Train/test split (default test fraction 0.2), with the source rows each part holds. */
export function trainTestSplit(
  ds: Dataset,
  opts: { testFraction?: number; seed?: number } = {},
): { train: Dataset; test: Dataset; rows: { train: Int32Array; test: Int32Array } } {
  const { keep, heldOut } = splitOrThrow(ds, opts.testFraction ?? DEFAULT_TEST_FRACTION, opts.seed ?? 0, 'test');
  return { train: subset(ds, keep), test: subset(ds, heldOut), rows: { train: keep, test: heldOut } };
}

/** How many of `a`'s rows are also in `b` (both ascending, as splits return them). */
export function countShared(a: Int32Array, b: Int32Array): number {
  let i = 0,
    j = 0,
    n = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      n++;
      i++;
      j++;
    } else if (a[i] < b[j]) i++;
    else j++;
  }
  return n;
}

/** Train/validation split of a training set, for early stopping (default validation fraction 0.1). */
export function trainValidationSplit(train: Dataset, opts: { validationFraction?: number; seed?: number } = {}): { train: Dataset; validation: Dataset } {
  const { keep, heldOut } = splitOrThrow(train, opts.validationFraction ?? 0.1, opts.seed ?? 0, 'validation');
  return { train: subset(train, keep), validation: subset(train, heldOut) };
}

function splitOrThrow(ds: Dataset, fraction: number, seed: number, part: string): Split {
  if (!(fraction > 0 && fraction < 1)) throw new DataError(`${part} fraction must be between 0 and 1 (exclusive), got ${fraction}`);
  const s = stratifiedIndices(ds.labels, ds.labelNames.length, fraction, seed);
  if (s.heldOut.length === 0) {
    throw new DataError(`${ds.source}: ${ds.nSamples} samples are too few for a ${part} split of ${fraction} (every class needs at least 2 samples)`);
  }
  return s;
}
