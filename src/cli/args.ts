/**
 * Argument parsing for the prunekit command, on `node:util`'s parseArgs: no dependency, strict
 * (unknown flags are errors), and enough for flat subcommands. These helpers turn its output into
 * typed values with one clear line per mistake; `UsageError` exits 2 after printing the usage.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { existsSync, statSync } from 'node:fs';

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
    return parseArgs({ args: argv, options, allowPositionals, strict: true }) as { values: Values<T>; positionals: string[] };
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0]);
  }
}

export function num(value: string | undefined, flag: string, opts: { int?: boolean; min?: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag}: expected a number, got '${value}'`);
  if (opts.int && !Number.isInteger(n)) throw new UsageError(`--${flag}: expected a whole number, got '${value}'`);
  if (opts.min !== undefined && (opts.minExclusive ? n <= opts.min : n < opts.min)) throw new UsageError(`--${flag}: must be ${opts.minExclusive ? '>' : '≥'} ${opts.min}, got ${value}`);
  if (opts.max !== undefined && (opts.maxExclusive ? n >= opts.max : n > opts.max)) throw new UsageError(`--${flag}: must be ${opts.maxExclusive ? '<' : '≤'} ${opts.max}, got ${value}`);
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
  if (!existsSync(path)) throw new UsageError(`--${flag}: file not found: ${path}`);
  if (statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is a directory, expected a file`);
  return path;
}

/** An output file path: its folder must exist and it must not be a directory. */
export function outputFile(path: string | undefined, flag: string): string | undefined {
  if (path === undefined) return undefined;
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`--${flag}: ${path} is a directory, expected a file`);
  return path;
}
