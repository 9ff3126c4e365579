import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError, findFashionMnistDir, findIdxFiles, loadData, loadFashionMnist, loadIdxPair, readIdx } from '../src/data/index.js';
import { tempDir } from './helpers/tmp.js';

const tmp = tempDir('idx');

/** An IDX file written by hand from the format's definition: 0, 0, type 0x08, ndims, big-endian sizes, bytes. */
function idxBytes(dims: number[], data: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const dv = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

// 3 images of 2×2 pixels, labels 2, 0, 1
const PIXELS = [0, 255, 51, 102, 10, 20, 30, 40, 255, 255, 0, 0];
const LABELS = [2, 0, 1];
const images = idxBytes([3, 2, 2], PIXELS);
const labels = idxBytes([3], LABELS);

function throwsData(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return (e as Error).message;
  }
  throw new Error('expected a DataError');
}

describe('IDX reading', () => {
  it('reads plain and gzipped files to the same dims and bytes', () => {
    const plain = tmp.file(images, 'a-images-idx3-ubyte');
    const gz = tmp.file(gzipSync(images), 'b-images-idx3-ubyte.gz');
    for (const p of [plain, gz]) {
      const arr = readIdx(p, 3);
      expect(arr.dims).toEqual([3, 2, 2]);
      expect(Array.from(arr.data)).toEqual(PIXELS);
    }
  });

  it('loadIdxPair scales pixels to [0, 1] and keeps labels as class ids', () => {
    const ds = loadIdxPair(tmp.file(gzipSync(images), 'p-images-idx3-ubyte.gz'), tmp.file(labels, 'p-labels-idx1-ubyte'));
    expect(ds.nSamples).toBe(3);
    expect(ds.nFeatures).toBe(4);
    expect(Array.from(ds.features)).toEqual(PIXELS.map((v) => Math.fround(v / 255)));
    expect(Array.from(ds.labels)).toEqual(LABELS);
    expect(ds.labelNames).toEqual(['0', '1', '2']);
  });

  it('bad magic: names the file, the offset and the expected magic', () => {
    const bad = images.slice();
    bad[2] = 0x0d; // float32 elements
    const p = tmp.file(bad);
    expect(throwsData(() => readIdx(p, 3))).toBe(
      `${p}: bad IDX magic number 0x00000d03 at byte offset 0, expected 0x00000803 (element type float32; only uint8 is supported)`,
    );
    const q = tmp.file(labels);
    expect(throwsData(() => readIdx(q, 3))).toBe(`${q}: bad IDX magic number 0x00000801 at byte offset 0, expected 0x00000803 (1 dimensions, expected 3)`);
    const text = tmp.file('hello world');
    expect(throwsData(() => readIdx(text, 1))).toContain('bad IDX magic number 0x68656c6c at byte offset 0');
  });

  it('truncated data and truncated header give byte offsets', () => {
    const p = tmp.file(images.subarray(0, images.length - 5));
    expect(throwsData(() => readIdx(p, 3))).toBe(
      `${p}: truncated IDX file: sizes [3, 2, 2] need 12 data bytes (to byte offset 28), the data ends at byte offset 23`,
    );
    const gz = tmp.file(gzipSync(images.subarray(0, 10)));
    expect(throwsData(() => readIdx(gz, 3))).toBe(`${gz}: truncated IDX header: 10 bytes, the 3 sizes end at byte offset (after gunzip) 16`);
    const tiny = tmp.file(new Uint8Array([0, 0]));
    expect(throwsData(() => readIdx(tiny, 1))).toContain('file too short for an IDX header (2 bytes');
  });

  it('trailing bytes and a corrupt gzip stream are errors', () => {
    const p = tmp.file(new Uint8Array([...labels, 9, 9]));
    expect(throwsData(() => readIdx(p, 1))).toBe(`${p}: 2 unexpected trailing bytes from byte offset 11 (sizes [3])`);
    const gz = gzipSync(images);
    const q = tmp.file(gz.subarray(0, gz.length - 8));
    expect(throwsData(() => readIdx(q, 3))).toContain(`${q}: corrupt gzip data`);
  });

  it('label/image count mismatch', () => {
    const im = tmp.file(images);
    const lb = tmp.file(idxBytes([2], [0, 1]));
    expect(throwsData(() => loadIdxPair(im, lb))).toBe(`${lb}: 2 labels, but ${im} has 3 images`);
  });
});

describe('IDX sources', () => {
  // a folder in the MNIST naming: 10 training images, 4 test images, 1×3 pixels
  const dir = join(tmp.dir, 'mnist-like');
  mkdirSync(dir);
  const trainPx = Array.from({ length: 30 }, (_, i) => (i * 17) % 256);
  const trainLb = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
  tmp.file(gzipSync(idxBytes([10, 1, 3], trainPx)), 'mnist-like/train-images-idx3-ubyte.gz');
  tmp.file(gzipSync(idxBytes([10], trainLb)), 'mnist-like/train-labels-idx1-ubyte.gz');
  tmp.file(idxBytes([4, 1, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 'mnist-like/t10k-images-idx3-ubyte');
  tmp.file(idxBytes([4], [1, 0, 1, 0]), 'mnist-like/t10k-labels-idx1-ubyte');

  it('a folder gives the train and test pairs as stored', async () => {
    expect(findIdxFiles(dir)).toEqual({
      train: { images: join(dir, 'train-images-idx3-ubyte.gz'), labels: join(dir, 'train-labels-idx1-ubyte.gz') },
      test: { images: join(dir, 't10k-images-idx3-ubyte'), labels: join(dir, 't10k-labels-idx1-ubyte') },
    });
    const ds = await loadData(dir);
    expect(ds.train.nSamples).toBe(10);
    expect(ds.test.nSamples).toBe(4);
    expect(ds.mean).toBeNull();
    expect(Array.from(ds.test.features.subarray(0, 3))).toEqual([1, 2, 3].map((v) => Math.fround(v / 255)));
    expect(Array.from(ds.test.labels)).toEqual([1, 0, 1, 0]);
  });

  it('a prefix (one pair) is split, stratified and seeded', async () => {
    const prefix = join(dir, 'train');
    const a = await loadData(prefix, { seed: 1 });
    expect(a.train.nSamples + a.test.nSamples).toBe(10);
    expect(Array.from(a.test.labels).sort()).toEqual([0, 1]); // round(5 × 0.2) = 1 per class
    const b = await loadData(prefix, { seed: 1 });
    expect(b.test.features).toEqual(a.test.features);
  });

  it('an images file path finds its labels file', async () => {
    const ds = await loadData(join(dir, 't10k-images-idx3-ubyte'), { testFraction: 0.5 });
    expect(ds.train.nSamples + ds.test.nSamples).toBe(4);
  });

  it('the ".idx3-ubyte" spelling (as on Kaggle) works for prefixes and files', async () => {
    const sub = join(tmp.dir, 'dotted');
    mkdirSync(sub);
    tmp.file(images, 'dotted/set-images.idx3-ubyte');
    tmp.file(labels, 'dotted/set-labels.idx1-ubyte');
    const want = { train: { images: join(sub, 'set-images.idx3-ubyte'), labels: join(sub, 'set-labels.idx1-ubyte') }, test: null };
    expect(findIdxFiles(join(sub, 'set'))).toEqual(want);
    expect(findIdxFiles(join(sub, 'set-images.idx3-ubyte'))).toEqual(want);
  });

  it('an images file without labels is a clear error', () => {
    const p = tmp.file(images, 'lonely-images-idx3-ubyte');
    expect(throwsData(() => findIdxFiles(p))).toContain('found the images file but not its labels');
  });

  it('fashion-mnist:DIR loads a folder with class names; a folder without IDX files says so', async () => {
    const ds = await loadData(`fashion-mnist:${dir}`);
    expect(ds.train.labelNames[0]).toBe('T-shirt/top');
    expect(ds.train.labelNames).toHaveLength(10);
    expect(ds.test.nSamples).toBe(4);
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    expect(throwsData(() => loadFashionMnist(empty))).toContain('no IDX files in this directory');
  });

  it('fashion-mnist: the Debian file list gives the folder; a missing package names the apt-get install', () => {
    const listing = '/.\n/usr/share/datasets/fashion-mnist\n/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz\n';
    expect(findFashionMnistDir(() => listing)).toBe('/usr/share/datasets/fashion-mnist');
    const missing = throwsData(() =>
      findFashionMnistDir(() => {
        throw new Error('dpkg-query: package is not installed');
      }),
    );
    expect(missing).toContain('fashion-mnist: the Debian package dataset-fashion-mnist is not installed');
    expect(missing).toContain('apt-get install dataset-fashion-mnist');
    expect(throwsData(() => findFashionMnistDir(() => '/usr/share/doc/x\n'))).toContain('lists no train-images-idx3-ubyte file');
  });

  it('a label column is only for CSV', async () => {
    await expect(loadData(dir, { label: 0 })).rejects.toThrow(/can only be chosen for CSV files/);
  });
});
