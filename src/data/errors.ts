/**
 * Bad input data: a message that names the file, and where it helps the 1-based line or the byte
 * offset, plus what was expected. The CLI turns it into exit code 1.
 */
export class DataError extends Error {
  override name = 'DataError';
}

/** A dataset spec that names nothing: no built-in set, file or IDX prefix. The CLI treats it as bad usage (exit 2). */
export class UnknownDatasetError extends DataError {
  override name = 'UnknownDatasetError';
}
