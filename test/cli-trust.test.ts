/**
 * The CLI's promises to a careless user: same seed → same file, outputs checked before any work,
 * inputs never overwritten, exit codes that mean what they say, split reuse between train and
 * eval/prune, no silently dropped rows.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-trust-'));
const path = (f: string) => join(dir, f);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]) {
  let out = '', err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { out += String(s); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => { err += String(s); return true; });
  try {
    return { code: await main(args), out, err };
  } finally {
    o.mockRestore(); e.mockRestore();
  }
}

const tinyTrain = ['--hidden', '6', '--epochs', '3', '--batch', '16'];

describe('reproducible model files', () => {
  it('train twice with the same seed writes identical bytes (no timings in the file)', async () => {
    for (const f of ['a.st', 'b.st']) {
      const r = await run(['train', '--data', 'iris', ...tinyTrain, '--seed', '7', '--out', path(f)]);
      expect(r.code, r.err).toBe(0);
    }
    expect(Buffer.compare(readFileSync(path('a.st')), readFileSync(path('b.st')))).toBe(0);
  });
});
