/**
 * The one error type of model import: the file cannot be imported as it is (malformed bytes, a
 * graph that is not an MLP, layers that do not chain). Its message names the file and the node,
 * tensor or byte offset involved, and what prunekit supports instead. Nothing is written.
 */
export class ImportError extends Error {
  override name = 'ImportError';
}
