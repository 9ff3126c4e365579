/** The one --json style of the prunekit command (results on stdout; errors are in main.ts). */

/**
 * Prints a command's --json result: one style for every command. Keys are camelCase; the
 * snake_case keys some outputs have always had (`dense_bytes`, bench's `median_us`, …) are a
 * contract, so each stays and gets its camelCase twin beside it (`denseBytes`, `medianUs`): new
 * readers use the twin, old ones keep working (README: the old keys are deprecated). Non-finite
 * numbers print as null.
 */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
}

const SNAKE_KEY = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$/;
/** `dense_bytes` → `denseBytes`. */
export const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return v;
  if (!Object.keys(v).some((k) => SNAKE_KEY.test(k))) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = x;
    if (SNAKE_KEY.test(k) && !Object.hasOwn(v, camelCase(k))) out[camelCase(k)] = x;
  }
  return out;
}
