/**
 * The CSV tokenizer: csv-parse in streaming mode, handing each record with its 1-based line
 * number to a callback, so a file of any size is read with constant memory beyond what the caller
 * keeps. Blank and whitespace-only lines are skipped; a UTF-8 BOM is dropped; fields are trimmed.
 *
 * Line numbers are counted here rather than with csv-parse's `info` option, which builds an
 * object per record and made parsing ~3× slower: every record ends one line, plus one more per
 * newline inside its quoted fields. (Blank lines are kept as one-empty-field records, counted,
 * then dropped.)
 */
import { createReadStream, statSync } from 'node:fs';
import { parse } from 'csv-parse';
import { DataError } from './errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line number where the record starts. */
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

/**
 * Calls `onRecord` for every non-blank record, in order. An exception thrown by `onRecord` stops
 * the reading and rejects the promise with it; tokenizer errors (an unclosed quote, …) become
 * DataErrors naming the line.
 */
export function forEachCsvRecord(path: string, onRecord: (rec: CsvRecord) => void): Promise<void> {
  checkReadableFile(path, 'CSV file');
  return new Promise((resolve, reject) => {
    const input = createReadStream(path);
    const parser = parse({ relax_column_count: true, bom: true, trim: true });
    let line = 1;
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      input.destroy();
      parser.destroy();
      reject(e);
    };
    parser.on('data', (fields: string[]) => {
      if (failed) return;
      const start = line;
      line += 1;
      for (const f of fields) for (let i = f.indexOf('\n'); i >= 0; i = f.indexOf('\n', i + 1)) line++;
      if (fields.length === 1 && fields[0] === '') return; // blank line
      try {
        onRecord({ fields, line: start });
      } catch (e) {
        fail(e);
      }
    });
    parser.on('end', () => !failed && resolve());
    parser.on('error', (e: Error & { lines?: number }) => {
      const where = typeof e.lines === 'number' ? ` line ${e.lines}:` : '';
      fail(new DataError(`${path}:${where} CSV syntax error: ${e.message}`));
    });
    input.on('error', (e) => fail(new DataError(`${path}: cannot read CSV file (${e.message})`)));
    input.pipe(parser);
  });
}
