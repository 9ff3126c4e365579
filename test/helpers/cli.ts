/** Runs the prunekit command in this process, capturing what it writes to stdout and stderr. */
import { vi } from 'vitest';
import { main } from '../../src/cli/main.js';

/** `tty` sets process.stderr.isTTY for the run (the progress bar is drawn only on a terminal). */
export async function runCli(args: string[], opts: { tty?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '',
    err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  // commands record the command line they were run with (reports, provenance): show them this one
  const argv = process.argv;
  process.argv = [argv[0], 'prunekit', ...args];
  const tty = process.stderr.isTTY;
  if (opts.tty !== undefined) process.stderr.isTTY = opts.tty;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.argv = argv;
    process.stderr.isTTY = tty;
    o.mockRestore();
    e.mockRestore();
  }
}
