/**
 * Finding IDX files from what the user typed (an "IDX prefix"):
 *
 * - a directory holding the MNIST/Fashion-MNIST names: train-{images-idx3,labels-idx1}-ubyte[.gz]
 *   and, when present, the test pair t10k-{images-idx3,labels-idx1}-ubyte[.gz];
 * - a prefix P: P-images-idx3-ubyte[.gz] with P-labels-idx1-ubyte[.gz];
 * - an images file itself (…images-idx3-ubyte[.gz]): its labels file is the same name with
 *   "labels-idx1" in place of "images-idx3".
 *
 * Both the original "-idx3-ubyte" names and the common ".idx3-ubyte" variant are recognised.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './errors.js';

export interface IdxPairPaths {
  images: string;
  labels: string;
}

export interface IdxFiles {
  train: IdxPairPaths;
  /** The separate test pair, when the source has one. */
  test: IdxPairPaths | null;
}

const GZ = ['', '.gz'];
const SEP = ['-', '.'];
const IMAGES_FILE = /images([-.])idx3-ubyte(\.gz)?$/;

/** Every spelling of `${prefix}-${kind}-${idx}-ubyte[.gz]` (kind "images", idx "idx3"; or "labels", "idx1"). */
function spellings(prefix: string, kind: string, idx: string): string[] {
  return SEP.flatMap((sep) => GZ.map((z) => `${prefix}-${kind}${sep}${idx}-ubyte${z}`));
}

/** The IDX files `spec` names, or null when `spec` does not look like an IDX source at all. */
export function findIdxFiles(spec: string): IdxFiles | null {
  if (isDir(spec)) {
    const train = pairAt(join(spec, 'train'));
    if (!train) {
      throw new DataError(`${spec}: no IDX files in this directory (looked for train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz])`);
    }
    return { train, test: pairAt(join(spec, 't10k')) ?? pairAt(join(spec, 'test')) };
  }
  if (isFile(spec) && IMAGES_FILE.test(spec)) {
    const labels = firstExisting(GZ.map((z) => spec.replace(IMAGES_FILE, `labels$1idx1-ubyte${z}`)));
    if (!labels) throw new DataError(`${spec}: found the images file but not its labels (${spec.replace(IMAGES_FILE, 'labels$1idx1-ubyte[.gz]')})`);
    return { train: { images: spec, labels }, test: null };
  }
  const pair = pairAt(spec);
  if (pair) return { train: pair, test: null };
  const images = firstExisting(spellings(spec, 'images', 'idx3'));
  const labels = firstExisting(spellings(spec, 'labels', 'idx1'));
  if (images && !labels) throw new DataError(`${images}: found the images file but not ${spec}-labels-idx1-ubyte[.gz]`);
  if (labels && !images) throw new DataError(`${labels}: found the labels file but not ${spec}-images-idx3-ubyte[.gz]`);
  return null;
}

/** `${prefix}-images-idx3-ubyte[.gz]` with `${prefix}-labels-idx1-ubyte[.gz]`, when both exist. */
function pairAt(prefix: string): IdxPairPaths | null {
  const images = firstExisting(spellings(prefix, 'images', 'idx3'));
  const labels = firstExisting(spellings(prefix, 'labels', 'idx1'));
  return images && labels ? { images, labels } : null;
}

function firstExisting(paths: string[]): string | null {
  return paths.find((p) => isFile(p)) ?? null;
}

function isFile(p: string): boolean {
  return existsSync(p) && statSync(p).isFile();
}

function isDir(p: string): boolean {
  return existsSync(p) && statSync(p).isDirectory();
}
