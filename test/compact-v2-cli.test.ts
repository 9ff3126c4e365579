/**
 * The compact-file path of the command: train → prune → compact to format_version 2 with Huffman
 * streams and centroid fine-tuning → info (per-part bytes) → eval of the compact file (its accuracy
 * is the one compact reported after fine-tuning) → predict; and the usage errors of the new flags.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';

describe('compact --format 2, info and eval of compact files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunekit-v2-cli-'));
  const model = join(dir, 'm.safetensors'),
    pruned = join(dir, 'p.safetensors'),
    packed = join(dir, 'c.prunekit.safetensors');

  it('compacts with fine-tuned 3-bit codes and Huffman streams; info and eval read the file', async () => {
    expect((await run(['train', '--data', 'iris', '--hidden', '16', '--epochs', '40', '--batch', '16', '--lr', '0.05', '--out', model])).code).toBe(0);
    expect((await run(['prune', '--model', model, '--data', 'iris', '--sparsity', '0.6', '--out', pruned])).code).toBe(0);
    const c = await run([
      'compact',
      '--model',
      pruned,
      '--out',
      packed,
      '--values',
      'kmeans:3',
      '--entropy',
      'huffman',
      '--layout',
      'csr',
      '--data',
      'iris',
      '--finetune-epochs',
      '3',
      '--json',
    ]);
    expect(c.code, c.err).toBe(0);
    const cj = JSON.parse(c.out);
    expect(cj.bytes).toBe(statSync(packed).size);
    expect(cj.info.format_version).toBe(2);
    expect(cj.finetune.epochs).toBe(3);
    expect(cj.layers[0].index).toMatch(/^(u8|delta:[458])$/);

    const i = await run(['info', packed, '--json']);
    expect(i.code, i.err).toBe(0);
    const ij = JSON.parse(i.out);
    expect(ij.format_version).toBe(2);
    expect(ij.layers.map((l: { bytes: unknown }) => l.bytes)).toEqual(cj.info.layers.map((l: { bytes: unknown }) => l.bytes));
    expect(ij.layers[0].bytes).toHaveProperty('tables');
    const text = await run(['info', packed]);
    expect(text.out).toMatch(/tables/);

    const e = await run(['eval', '--model', packed, '--data', 'iris', '--json']);
    expect(e.code, e.err).toBe(0);
    const ej = JSON.parse(e.out);
    expect(ej.kind).toBe('compact');
    expect(ej.bytes).toBe(cj.bytes);
    expect(ej.accuracy).toBeCloseTo(cj.finetune.accuracyAfter, 10); // the file holds exactly the fine-tuned model
  });

  it.each([
    [['--index', 'delta:3'], /--index: expected one of auto\|u16\|u32\|delta:4\|delta:5\|delta:8, got 'delta:3'/],
    [['--format', '1', '--entropy', 'huffman'], /--entropy huffman needs --format 2/],
    [['--values', 'kmeans:4', '--finetune-epochs', '2'], /needs both --data SPEC and --finetune-epochs N/],
    [['--values', 'f16', '--data', 'iris', '--finetune-epochs', '2'], /give --values kmeans:BITS/],
  ])('compact %j is a usage error (exit 2)', async (flags, msg) => {
    const r = await run(['compact', '--model', pruned, '--out', join(dir, 'never.safetensors'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
  });
});
