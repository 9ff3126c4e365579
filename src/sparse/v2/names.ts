/**
 * Numbered names in a format_version 2 header: a list "pixel0", "pixel1", … "pixel783" is stored
 * as { "prefix": "pixel", "count": 784 } (in a LeNet-300-100 file the 784 MNIST pixel names were
 * otherwise 9 KB, more than its pruned weights). Any other list is stored as it is.
 */
import { FormatError } from '../../util/safetensors.js';

export type StoredNames = string[] | { prefix: string; count: number };

export function compressNames(names: string[]): StoredNames {
  if (names.length < 2 || !names[0].endsWith('0')) return names;
  const prefix = names[0].slice(0, -1);
  return names.every((n, i) => n === `${prefix}${i}`) ? { prefix, count: names.length } : names;
}

/** Lists expanded before (a few: features and labels), kept: loading a model again copies pointers instead of formatting numbers. */
const expanded = new Map<string, readonly string[]>();

function numbered(prefix: string, count: number): string[] {
  const key = `${count}:${prefix}`;
  let names = expanded.get(key);
  if (!names) {
    if (expanded.size >= 8) expanded.clear();
    names = Array.from({ length: count }, (_, i) => `${prefix}${i}`);
    expanded.set(key, names);
  }
  return names.slice();
}

/** The names, checked; `maxCount` bounds a numbered list before it is expanded (the widths a file may declare). */
export function expandNames(v: unknown, what: string, maxCount: number): string[] {
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const { prefix, count } = v as Record<string, unknown>;
    if (typeof prefix === 'string' && Number.isSafeInteger(count) && (count as number) >= 0) {
      if ((count as number) > maxCount)
        throw new FormatError(`model file: __metadata__.prunekit.${what} declares ${count} names, more than the file may declare (${maxCount})`);
      return numbered(prefix, count as number);
    }
  }
  throw new FormatError(`model file: __metadata__.prunekit.${what} must be an array of strings or { "prefix": string, "count": n }`);
}
