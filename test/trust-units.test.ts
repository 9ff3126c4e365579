/** Library-level promises from the trust audit: honest messages, no signal handlers, bounded memory. */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, MAX_HEADER_BYTES } from '../src/util/safetensors.js';

function withHeaderLength(n: number, fileBytes: number): Uint8Array {
  const b = new Uint8Array(fileBytes);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

describe('safetensors header-length messages state a true comparison', () => {
  it('over the 100 MB limit but inside a larger file: blames the limit only', () => {
    const bytes = withHeaderLength(MAX_HEADER_BYTES + 1, MAX_HEADER_BYTES + 64);
    expect(() => decodeSafetensors(bytes)).toThrow(new RegExp(`^safetensors: header length ${MAX_HEADER_BYTES + 1} \\(bytes 0–7\\) exceeds the ${MAX_HEADER_BYTES}-byte limit$`));
  });
  it('over the limit and past the end of the file: says both', () => {
    expect(() => decodeSafetensors(withHeaderLength(2 ** 40, 64))).toThrow(/exceeds the 100000000-byte limit \(and the 56 bytes after it\)/);
  });
  it('within the limit but past the end of the file: blames the file size only', () => {
    expect(() => decodeSafetensors(withHeaderLength(1000, 64))).toThrow(/^safetensors: header length 1000 \(bytes 0–7\) exceeds the 56 bytes after it$/);
  });
});
