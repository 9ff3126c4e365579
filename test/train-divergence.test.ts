// Divergence found after an epoch (huge weights whose outputs overflow f32 in the per-epoch
// evaluation) is reported as divergence, with the usual remedies, not as a bad-output error.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';

describe('train with a huge learning rate', () => {
  it('says "training diverged" and writes no model', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'pk-diverge-')), 'd.safetensors');
    const r = await run(['train', '--data', 'iris', '--hidden', '10', '--epochs', '20', '--lr', '1e6', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training diverged: .* \(learning rate 1000000\)\. Try a smaller --lr \(e\.g\. 100000\)/);
    expect(r.err).not.toContain('not a finite number');
    expect(existsSync(out)).toBe(false);
  });
});
