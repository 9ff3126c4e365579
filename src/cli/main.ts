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
  info: { summary: 'show a model file: layers, formats, nonzeros, bytes' },
  bench: { summary: 'time dense vs CSR forward passes on random pruned weights' },
  sweep: { summary: 'train once, prune to several sparsities, measure and report' },
  demo: { summary: 'the main job: LeNet-300-100 on MNIST, pruned, compacted, benchmarked, reported' },
  import: { summary: 'import an MLP trained elsewhere (ONNX, safetensors state dict)' },
  fit: { summary: 'prune to a measured latency or file-size budget' },
};

const mainUsage = `prunekit — neural-network weight pruning that makes models really smaller and faster

usage: prunekit <command> [options]      prunekit <command> --help

commands:
${Object.entries(commands).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`).join('\n')}
`;

/** The version in package.json (two folders up from src/cli/ and from dist/cli/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainUsage);
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`prunekit ${packageVersion()}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) {
    process.stderr.write(`prunekit: unknown command '${name}'\n\n${mainUsage}`);
    return 2;
  }
  let cmd: Command;
  try {
    cmd = (await import(/* @vite-ignore */ `./commands/${name}.js`)).default as Command;
  } catch (e) {
    process.stderr.write(`prunekit ${name}: not available in this build (${(e as Error).message})\n`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : cmd.usage + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`prunekit ${name}: ${printableLines(e.message)}\n\n${cmd.usage}${cmd.usage.endsWith('\n') ? '' : '\n'}`);
      return 2;
    }
    const msg = e instanceof Error ? e.message : String(e);
    process.stderr.write(`prunekit ${name}: ${printableLines(msg)}\n`);
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
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
