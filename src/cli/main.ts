#!/usr/bin/env node
/**
 * The prunekit command: a thin layer over the public API. Subcommands are loaded lazily so that
 * `prunekit --help` and `prunekit info` start fast. Exit codes: 0 ok, 1 runtime failure, 2 bad usage.
 */
import { readFileSync } from 'node:fs';
import { RunError, UsageError } from './args.js';
import { printableLines } from './text.js';

export interface Command {
  /** One-paragraph usage, printed by --help and after a usage error. */
  usage: string;
  /** Runs the command; returns the exit code. */
  run(argv: string[]): Promise<number>;
}

const commands: Record<string, { summary: string }> = {
  train: { summary: 'train an MLP with SGD' },
  eval: { summary: 'evaluate a model on a dataset' },
  prune: { summary: 'prune a trained model (criteria, thresholds, scopes, schedules)' },
  compact: { summary: 'store a pruned model compactly (CSR, narrow indices, f16/k-means values)' },
  predict: { summary: 'predict labels for a CSV with a model file' },
  export: { summary: 'write a model as ONNX (dense or with sparse initializers)' },
  info: { summary: 'show a compact model file (from compact or fit): layers, formats, nonzeros, bytes' },
  bench: { summary: 'time dense vs CSR forward passes on random pruned weights' },
  sweep: { summary: 'train once, prune to several sparsities, measure and report' },
  merge: { summary: 'join the reports of a sweep run in shards (sweep --shard i/n) into one' },
  demo: { summary: 'the main job: LeNet-300-100 on MNIST, pruned, compacted, benchmarked, reported' },
  import: { summary: 'import an MLP trained elsewhere (ONNX, safetensors state dict)' },
  fit: { summary: 'prune to a measured latency or file-size budget' },
  'latency-page': { summary: 'write the browser page that measures a latency table for fit' },
};

const mainUsage = `prunekit — neural-network weight pruning that makes models really smaller and faster

usage: prunekit <command> [options]      prunekit <command> --help      prunekit --version (-v)

With --json, a command prints its result as JSON on stdout (camelCase keys) and, when it fails,
{"error": {"command", "message", "code", "exitCode", "type"}} on stderr (exit 1 or 2).

commands:
${Object.entries(commands)
  .map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`)
  .join('\n')}
`;

/** The version in package.json (two folders up from src/cli/ and from dist/cli/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * A failure as `--json` callers read it, one object on stderr (stdout stays empty or holds only
 * what was finished): {"error": {"command", "message", "code", "exitCode", "type", "usage"?}}.
 * `code` says whose fault it is: "usage" (bad flags or arguments, exit 2; `usage` then holds the
 * command's usage text), "runtime" (bad data, a bad model file, a diverging run: exit 1),
 * "unknownCommand" (exit 2), "unavailable" (a command missing from this build, exit 1).
 * `type` is the error's class name (e.g. FormatError).
 */
export interface JsonError {
  error: {
    command: string | null;
    message: string;
    code: 'usage' | 'runtime' | 'unknownCommand' | 'unavailable';
    exitCode: 1 | 2;
    type: string;
    usage?: string;
  };
}

function writeJsonError(e: JsonError['error']): void {
  process.stderr.write(JSON.stringify({ error: e }) + '\n');
}

/**
 * The class name `--json` reports as `type`: a RunError that rewraps a library error (to add the
 * file name or to mark it exit 1) reports the error it wraps (FormatError, DataError, …).
 */
function errorClass(e: unknown): string {
  if (!(e instanceof Error)) return typeof e;
  if (e instanceof RunError && e.cause instanceof Error) return errorClass(e.cause);
  return e.name;
}

/** `--json` anywhere among a command's arguments (also `--json=true`): its errors are JSON too. */
const wantsJson = (args: string[]) => args.some((a) => a === '--json' || a.startsWith('--json='));

/**
 * Why argv names no command. A known command put after flags (`prunekit --threads 2 bench`) is
 * named with the order to use; else a word after a flag that takes no value (`prunekit --json
 * nosuch`) stands where the command should and is named as unknown; a word after any other flag is
 * that flag's value (`prunekit --data iris`), and no command was given.
 */
function unknownCommand(argv: string[]): string {
  if (!argv[0].startsWith('-')) return `unknown command '${argv[0]}'`;
  const known = argv.findIndex((a) => Object.hasOwn(commands, a));
  if (known >= 0) return `the command comes first: prunekit ${argv[known]} ${argv.filter((_, i) => i !== known).join(' ')}`;
  const word = argv.find((a, i) => !a.startsWith('-') && i > 0 && ['--json', '--help', '-h'].includes(argv[i - 1]));
  if (word !== undefined) return `unknown command '${word}'`;
  return `no command, only ${argv.join(' ')} (the command comes first: prunekit <command> [options])`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = wantsJson(argv); // `prunekit --json bogus` too: the unknown command's error is JSON
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainUsage);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === '-v') {
    process.stdout.write(`prunekit ${packageVersion()}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    const message = unknownCommand(argv);
    if (json) writeJsonError({ command: null, message, code: 'unknownCommand', exitCode: 2, type: 'UsageError' });
    else process.stderr.write(`prunekit: ${message}\n\n${mainUsage}`);
    return 2;
  }
  let cmd: Command;
  try {
    cmd = (await import(/* @vite-ignore */ `./commands/${name}.js`)).default as Command;
  } catch (e) {
    const message = `not available in this build (${(e as Error).message})`;
    if (json) writeJsonError({ command: name, message, code: 'unavailable', exitCode: 1, type: (e as Error).name ?? 'Error' });
    else process.stderr.write(`prunekit ${name}: ${message}\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const type = errorClass(e);
    if (e instanceof UsageError) {
      if (json) writeJsonError({ command: name, message: msg, code: 'usage', exitCode: 2, type, usage: cmd.usage });
      else process.stderr.write(`prunekit ${name}: ${printableLines(msg)}\n\n${cmd.usage}${cmd.usage.endsWith('\n') ? '' : '\n'}`);
      return 2;
    }
    if (json) writeJsonError({ command: name, message: msg, code: 'runtime', exitCode: 1, type });
    else process.stderr.write(`prunekit ${name}: ${printableLines(msg)}\n`);
    if (!(e instanceof RunError) && process.env.PRUNEKIT_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

// Ctrl-C and `kill` keep Node's default: the process ends at once (exit 130 / 143). A JS signal
// handler would run only between event-loop tasks, i.e. after a long synchronous training run; and
// writes are atomic, so a kill mid-write leaves at most a temp file, which the next write to the
// same target removes (src/util/fs.ts). The library installs no handlers and never exits.

// Run when executed directly (not when imported by tests).
const invokedAs = process.argv[1] ?? '';
if (/(?:^|[\\/])(main\.(?:js|ts)|prunekit)$/.test(invokedAs)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
