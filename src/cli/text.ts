/**
 * Text from files (labels, CSV cells, names) made safe for a terminal: control characters (C0, DEL,
 * C1), line and paragraph separators and bidirectional overrides are shown as \u{…} escapes, so a
 * crafted label cannot move the cursor, recolour the screen or reorder what the user reads.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;

/** One value on one line: every control character escaped. */
export function printable(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/** A message of several lines: newlines kept, every other control character escaped. */
export function printableLines(s: string): string {
  return s.replace(UNSAFE_EXCEPT_NEWLINE, escapeChar);
}
