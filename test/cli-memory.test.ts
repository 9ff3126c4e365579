/** train checks the machine's free memory before allocating (os.freemem mocked to 1 MB here). */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof import('node:os')>();
  return { ...os, default: { ...os, freemem: () => 1e6 }, freemem: () => 1e6 };
});
const { main } = await import('../src/cli/main.js');

const dir = mkdtempSync(join(tmpdir(), 'pk-mem-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('train and free memory', () => {
  it('refuses (exit 1) a network larger than the free memory, before allocating it', async () => {
    let err = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err += String(s);
      return true;
    });
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    let code;
    try {
      code = await main(['train', '--data', 'iris', '--hidden', '300,100', '--out', join(dir, 'm.st')]);
    } finally {
      e.mockRestore();
      o.mockRestore();
    }
    expect(code).toBe(1);
    expect(err).toMatch(/a 4-300-100-3 network needs about [\d.]+ MB to train, but this machine has 1\.0 MB free/);
    expect(existsSync(join(dir, 'm.st'))).toBe(false);
  });
});
