/** Shape checks for parsed JSON (a file header, a report, a latency table), and how a message shows a caller's value. */

/** A JSON object: not null, not an array. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A caller's value as a message shows it: strings quoted, numbers as JavaScript prints them (NaN, not null), BigInts with their n. */
export function shownValue(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  try {
    if (v instanceof Number || v instanceof String || v instanceof Boolean) return `${shownValue(v.valueOf())} (a boxed ${typeof v.valueOf()})`;
    return JSON.stringify(v) ?? String(v);
  } catch {
    return Object.prototype.toString.call(v); // a BigInt or a cycle inside, a broken valueOf: never throw from a message
  }
}
