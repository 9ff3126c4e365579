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

/** The names, checked; `maxCount` bounds a numbered list before it is expanded (the widths a file may declare). */
export function expandNames(v: unknown, what: string, maxCount: number): string[] {
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v;
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const { prefix, count } = v as Record<string, unknown>;
    if (typeof prefix === 'string' && Number.isSafeInteger(count) && (count as number) >= 0) {
      if ((count as number) > maxCount) throw new FormatError(`model file: __metadata__.prunekit.${what} declares ${count} names, more than the file may declare (${maxCount})`);
      return Array.from({ length: count as number }, (_, i) => `${prefix}${i}`);
    }
  }
  throw new FormatError(`model file: __metadata__.prunekit.${what} must be an array of strings or { "prefix": string, "count": n }`);
}
