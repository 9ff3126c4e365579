/**
 * Atomic file writes: write to a temp file beside the target, fsync, then rename. A crash, a full
 * disk or a kill mid-write leaves the old file (or none) — never a half-written one.
 *
 * A process killed mid-write (SIGKILL, power loss) leaves its temp file behind; the next write to
 * the same target removes such leftovers: temp files of our own naming for that target whose
 * writer is no longer running, or that are older than STALE_TEMP_MS (the pid may have been reused).
 *
 * This module installs no signal handlers and never exits the process: a host application owns
 * those (the prunekit command keeps Node's defaults; see src/cli/main.ts).
 */
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A leftover temp file older than this is removed even if a process with its pid is running. */
export const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/** `.{name}.{pid}.{milliseconds}.tmp` beside the target. */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: only checks that the process exists
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** Removes leftover temp files of earlier writes to `path` whose writer died (see the module comment). */
export function removeStaleTempFiles(path: string, now = Date.now()): string[] {
  const dir = dirname(path),
    prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(\d+)\.(\d+)\.tmp$/.exec(name.slice(prefix.length));
    if (!m) continue;
    const file = join(dir, name);
    const pid = Number(m[1]);
    let age: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      age = now - st.mtimeMs;
    } catch {
      continue;
    }
    if ((pid !== process.pid && !isRunning(pid)) || age > STALE_TEMP_MS) {
      rmSync(file, { force: true });
      removed.push(file);
    }
  }
  return removed;
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  removeStaleTempFiles(path);
  const tmp = tempName(path);
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
