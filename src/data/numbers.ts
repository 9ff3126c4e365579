/**
 * Strict parsing of one numeric cell. `Number()` alone is too lenient for data files: it reads
 * '' as 0, accepts hex ('0x1f') and whitespace. We accept decimal notation only, and tell a
 * non-number apart from an explicit NaN/Inf (which gets its own message).
 */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(nan|inf|infinity)$/i;

export type CellValue = { ok: true; value: number } | { ok: false; reason: 'empty' | 'not-a-number' | 'non-finite' };

/** Parse a cell as a float32-representable finite number. */
export function parseCell(cell: string): CellValue {
  const s = cell.trim();
  if (s === '') return { ok: false, reason: 'empty' };
  if (NON_FINITE.test(s)) return { ok: false, reason: 'non-finite' };
  if (!DECIMAL.test(s)) return { ok: false, reason: 'not-a-number' };
  const v = Number(s);
  // 1e39 is a valid double but overflows float32: treat it as Inf, since that is what training sees.
  if (!Number.isFinite(Math.fround(v))) return { ok: false, reason: 'non-finite' };
  return { ok: true, value: v };
}

export function isNumericCell(cell: string): boolean {
  return parseCell(cell).ok;
}
