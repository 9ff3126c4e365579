/**
 * Argument parsing for the prunekit command, on `node:util`'s parseArgs: no dependency, strict
 * (unknown flags are errors), and enough for flat subcommands. These helpers turn its output into
 * typed values with one clear line per mistake; `UsageError` exits 2 after printing the usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** Bad usage: exit code 2, message plus the command's usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}
/** A failure while running (bad data, bad model file, diverging training): exit code 1. */
export class RunError extends Error {
  override name = 'RunError';
}

export type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flag values: booleans for boolean flags, strings otherwise (undefined when absent). */
export type Values<T extends Options> = { [K in keyof T]?: T[K] extends { type: 'boolean' } ? boolean : string };

export function parse<T extends Options>(argv: string[], options: T, allowPositionals = false): { values: Values<T>; positionals: string[] } {
  try {
    return parseArgs({ args: attachNegativeValues(argv, options), allowPositionals, options, strict: true }) as { values: Values<T>; positionals: string[] };
  } catch (e) {
    const first = (e as Error).message.split('\n')[0];
    // "Option '--threads' argument is ambiguous." is what parseArgs says of a flag whose value is missing before another flag
    const flag = /^Option '(--[^' ]+)' argument is ambiguous/.exec(first)?.[1];
    const at = argv.findIndex((a, i) => a === flag && argv[i + 1]?.startsWith('-'));
    if (flag && at >= 0) throw new UsageError(`${flag}: expected a value, got the flag '${argv[at + 1]}' after it`);
    throw new UsageError(first);
  }
}

/**
 * parseArgs reads `--lr -1` as a flag without its value followed by an unknown option ("argument
 * is ambiguous"). A negative number after a flag that takes a value is that flag's value, so it is
 * attached (`--lr=-1`) and the flag's own check can say why a negative is invalid.
 */
function attachNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = /^--([^=]+)$/.exec(argv[i])?.[1];
    const next = argv[i + 1];
    if (flag && options[flag]?.type === 'string' && next !== undefined && /^-(\d|\.\d|Infinity\b)/.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else out.push(argv[i]);
  }
  return out;
}

export interface NumOptions {
  int?: boolean;
  min?: number;
  max?: number;
  minExclusive?: boolean;
  maxExclusive?: boolean;
  /** Why the bounds are what they are, added to the message when a value is out of range. */
  why?: string;
}

export function num(value: string | undefined, flag: string, opts: NumOptions = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: expected a number, got '${value}'`);
  if (opts.int && !Number.isInteger(n)) throw new UsageError(`--${flag}: expected a whole number, got '${value}'`);
  const why = opts.why ? ` (${opts.why})` : '';
  if (opts.min !== undefined && (opts.minExclusive ? n <= opts.min : n < opts.min))
    throw new UsageError(`--${flag}: must be ${opts.minExclusive ? '>' : '≥'} ${opts.min}${why}, got ${value}`);
  if (opts.max !== undefined && (opts.maxExclusive ? n >= opts.max : n > opts.max))
    throw new UsageError(`--${flag}: must be ${opts.maxExclusive ? '<' : '≤'} ${opts.max}${why}, got ${value}`);
  return n;
}

export function numList(value: string | undefined, flag: string, opts: Parameters<typeof num>[2] = {}): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => p === '')) throw new UsageError(`--${flag}: expected comma-separated numbers, got '${value}'`);
  return parts.map((p) => num(p, flag, opts)!);
}

export function oneOf<T extends string>(value: string | undefined, flag: string, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${flag}: expected one of ${choices.join('|')}, got '${value}'`);
  return value as T;
}

export function required<T>(value: T | undefined, flag: string): T {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  return value;
}

/** An input file that must exist and be a file. */
export function inputFile(path: string | undefined, flag: string): string | undefined {
  if (path === undefined) return undefined;
  if (!existsSync(path)) throw new UsageError(`${path}: no such file (--${flag})`);
  if (statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is a directory, expected a file`);
  return path;
}

/**
 * An output file path, checked before any work: not a directory, in an existing writable folder,
 * and not the same file as any of the command's inputs (`--out data.csv` must not destroy the data).
 */
export function outputFile(path: string | undefined, flag: string, inputs: Record<string, string | undefined> = {}): string | undefined {
  if (path === undefined) return undefined;
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is a directory, expected a file`);
  writableFolder(dirname(resolve(path)), flag);
  for (const [inputFlag, input] of Object.entries(inputs)) {
    if (input !== undefined && sameFile(path, input)) {
      throw new UsageError(`--${flag}: ${path} is the ${inputFlag} input; writing there would destroy it — choose another file`);
    }
  }
  return path;
}

/** A folder an output goes into: it must exist (nothing is created before the work is done) and be writable. */
export function writableFolder(dir: string, flag: string): void {
  if (!existsSync(dir)) throw new UsageError(`--${flag}: folder ${dir} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--${flag}: ${dir} is not a folder`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`--${flag}: folder ${dir} is not writable`);
  }
}

/** Same file on disk (hard links, symlinks and different spellings of one path included). */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a),
      sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false; // one of them does not exist yet: the output cannot be an existing input
  }
}
