/** Node-only file I/O for model files (the runtime itself never touches the file system). */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/fs.js';

/** Reads a whole model file; a clear error when it is missing or unreadable. */
export function readModelFile(path: string): Uint8Array {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `model file not found: ${path}` : `cannot read model file ${path}: ${(e as Error).message}`);
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Writes atomically (temp file + fsync + rename): a failed write leaves the old file intact. */
export function writeModelFile(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}
