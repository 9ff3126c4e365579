/**
 * What identifies a dataset's contents, for a model's provenance: a built-in's name, or the
 * SHA-256 of the file(s) a spec reads. Two specs with the same identity hold the same rows, so a
 * split drawn from one with a given seed and fraction is the same split of the other.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { isBuiltin } from './builtin.js';
import { findIdxFiles } from './idx-files.js';

/** "builtin:iris", or "sha256:…" over the bytes of every file the spec reads, in a fixed order. */
export function dataIdentity(spec: string): string {
  if (isBuiltin(spec) || spec.startsWith('fashion-mnist:')) return `builtin:${spec}`;
  const idx = /\.(csv|tsv|txt)$/i.test(spec) ? null : findIdxFiles(spec);
  const files = idx ? [idx.train.images, idx.train.labels, ...(idx.test ? [idx.test.images, idx.test.labels] : [])] : [spec];
  const hash = createHash('sha256');
  const chunk = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    const fd = openSync(file, 'r');
    try {
      for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) hash.update(chunk.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
