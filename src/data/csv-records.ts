/**
 * The CSV tokenizer: csv-parse in streaming mode, one record at a time with its line number, so a
 * file of any size is read with constant memory beyond what the caller keeps. Blank (and
 * whitespace-only) lines are skipped; a UTF-8 BOM is dropped; fields are trimmed.
 */
import { createReadStream, statSync } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import { DataError } from './errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line number where the record ends (the same line unless a quoted field spans lines). */
  line: number;
}

/** Throws a DataError unless `path` is a readable regular file. */
export function checkReadableFile(path: string, what = 'data file'): void {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataError(code === 'ENOENT' ? `${path}: no such ${what}` : `${path}: cannot read ${what} (${code ?? (e as Error).message})`);
  }
  if (!st.isFile()) throw new DataError(`${path}: expected a ${what}, found ${st.isDirectory() ? 'a directory' : 'something else'}`);
}

/** Yields the records of a CSV file in order. Tokenizer errors (an unclosed quote, …) become DataErrors. */
export async function* csvRecords(path: string): AsyncGenerator<CsvRecord> {
  checkReadableFile(path, 'CSV file');
  const parser = createReadStream(path).pipe(
    parse({ info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }),
  );
  try {
    for await (const r of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      yield { fields: r.record, line: r.info.lines };
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as CsvError & { lines?: number };
    const where = typeof err.lines === 'number' ? ` line ${err.lines}:` : '';
    throw new DataError(`${path}:${where} CSV syntax error: ${err.message}`);
  } finally {
    parser.destroy();
  }
}
