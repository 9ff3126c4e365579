/**
 * Atomic file writes: write to a temp file beside the target, fsync, then rename. A crash, a full
 * disk or Ctrl-C mid-write leaves the old file (or none) — never a half-written one.
 *
 * No signal handlers: the write is synchronous, so a SIGINT/SIGTERM handler (which runs on the
 * event loop) could never see it half done, and a library must not exit its host process anyway.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
