/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017): 60,000 training and 10,000 test images of 10
 * clothing classes, shipped as gzip IDX files by the Debian package dataset-fashion-mnist.
 * Found where `dpkg -L dataset-fashion-mnist` lists them, or in a directory the user gives.
 */
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { DataError } from './errors.js';
import { findIdxFiles } from './idx-files.js';
import { loadIdxPair } from './idx.js';
import type { SplitDataset } from './types.js';

export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const INSTALL_HINT = 'install it with: sudo apt-get install dataset-fashion-mnist (Debian/Ubuntu), or pass its folder as fashion-mnist:/path/to/dir';

/** The files of the Debian package (throws when dpkg is missing or the package is not installed). */
function dpkgFiles(): string {
  return execFileSync('dpkg', ['-L', 'dataset-fashion-mnist'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

/** The directory holding train-images-idx3-ubyte.gz, from the Debian package's file list. */
export function findFashionMnistDir(listFiles: () => string = dpkgFiles): string {
  let listing: string;
  try {
    listing = listFiles();
  } catch {
    throw new DataError(`fashion-mnist: the Debian package dataset-fashion-mnist is not installed; ${INSTALL_HINT}`);
  }
  const images = listing.split('\n').find((l) => /\/train-images-idx3-ubyte(\.gz)?$/.test(l.trim()));
  if (!images) throw new DataError(`fashion-mnist: dataset-fashion-mnist lists no train-images-idx3-ubyte file; ${INSTALL_HINT}`);
  return dirname(images.trim());
}

/** Fashion-MNIST with its own train/test split; pixels in [0, 1]. */
export function loadFashionMnist(dir?: string): SplitDataset {
  const where = dir ?? findFashionMnistDir();
  const files = findIdxFiles(where);
  if (!files) throw new DataError(`${where}: no Fashion-MNIST IDX files here; ${INSTALL_HINT}`);
  if (!files.test) throw new DataError(`${where}: found the training files but not t10k-images-idx3-ubyte[.gz] / t10k-labels-idx1-ubyte[.gz]`);
  const train = loadIdxPair(files.train.images, files.train.labels, FASHION_CLASSES);
  const test = loadIdxPair(files.test.images, files.test.labels, FASHION_CLASSES);
  train.source = test.source = `fashion-mnist (${where})`;
  return { train, test, mean: null, scale: null };
}
