/** Shape checks for parsed JSON (a file header, a report, a latency table): what JSON.parse gave before its fields are read. */

/** A JSON object: not null, not an array. */
export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
