/** The prunekit command end to end through main(): dispatch, --help, usage errors (exit 2). */
import { describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';

async function run(args: string[]) {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore(); e.mockRestore();
  }
}

describe('prunekit command', () => {
  it('lists the commands with --help and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['train', 'eval', 'prune', 'compact', 'predict', 'info', 'bench', 'sweep', 'demo']) expect(r.out).toContain(c);
  });

  it('exits 2 with usage for no command or an unknown command', async () => {
    expect((await run([])).code).toBe(2);
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command 'frobnicate'/);
  });

  it.each(['train', 'eval', 'prune', 'compact', 'predict', 'info', 'bench', 'sweep', 'demo'])('%s --help prints its usage', async (c) => {
    const r = await run([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: prunekit/);
  });

  it.each([
    [['train', '--data', 'iris'], /--out is required/],
    [['train', '--data', 'iris', '--out', '/tmp/x', '--epochs', 'ten'], /--epochs: expected a number, got 'ten'/],
    [['train', '--data', 'iris', '--out', '/tmp/x', '--bogus'], /Unknown option '--bogus'/],
    [['train', '--data', 'iris', '--out', '/tmp'], /is a directory, expected a file/],
    [['eval', '--model', '/nonexistent/model', '--data', 'iris'], /file not found/],
    [['train', '--data', 'iris', '--out', '/tmp/x', '--activation', 'gelu'], /expected one of relu\|tanh\|logistic\|identity/],
  ])('usage error %j exits 2 with one clear line and the usage', async (args, msg) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
    expect(r.err).toMatch(/usage: prunekit/);
  });
});
