/** The prunekit command end to end through main(): dispatch, --help, usage errors (exit 2). */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from './helpers/cli.js';

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
    [['eval', '--model', '/nonexistent/model', '--data', 'iris'], /^prunekit eval: \/nonexistent\/model: no such file \(--model\)\n/],
    [['train', '--data', 'no-such-set', '--out', '/tmp/x'], /^prunekit train: no-such-set: no such dataset: expected iris/],
    // a missing input is bad usage in every command, named as "FILE: no such …", not a raw ENOENT
    [['train', '--data', '/nonexistent/data.csv', '--out', '/tmp/x'], /^prunekit train: \/nonexistent\/data\.csv: no such CSV file\n/],
    [['info', '/nonexistent/model'], /^prunekit info: \/nonexistent\/model: no such file\n/],
    [['merge', '/nonexistent/shard', '--report', tmpdir()], /^prunekit merge: \/nonexistent\/shard: no such file or folder\n/],
    [['train', '--data', 'iris', '--out', '/tmp/x', '--activation', 'gelu'], /expected one of relu\|tanh\|logistic\|identity/],
  ])('usage error %j exits 2 with one clear line and the usage', async (args, msg) => {
    const r = await run(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg as RegExp);
    expect(r.err).toMatch(/usage: prunekit/);
  });
});

describe('every subcommand end to end on tiny data', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pk-cli-'));
  const model = join(dir, 'iris.safetensors'),
    pruned = join(dir, 'pruned.safetensors'),
    packed = join(dir, 'iris.prunekit');

  it('train → eval → prune → compact → info → predict, each with --json and its documented keys', async () => {
    const t = await run(['train', '--data', 'iris', '--hidden', '10,10', '--epochs', '60', '--batch', '16', '--lr', '0.05', '--out', model, '--json']);
    expect(t.code, t.err).toBe(0);
    const tj = JSON.parse(t.out);
    expect(tj.accuracy).toBeGreaterThan(0.8);
    expect(tj.epochs).toHaveLength(60);
    expect(typeof tj.loss).toBe('number');

    const e = await run(['eval', '--model', model, '--data', 'iris', '--json']);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out).accuracy).toBeCloseTo(tj.accuracy, 10); // same split, same preprocessing

    const p = await run(['prune', '--model', model, '--data', 'iris', '--sparsity', '0.7', '--finetune-epochs', '5', '--out', pruned, '--json']);
    expect(p.code, p.err).toBe(0);
    const pj = JSON.parse(p.out);
    expect(pj.sparsity).toBeGreaterThanOrEqual(0.69);
    expect(pj.layers).toHaveLength(3);
    expect(Array.isArray(pj.steps)).toBe(true);

    const c = await run(['compact', '--model', pruned, '--out', packed, '--json']);
    expect(c.code, c.err).toBe(0);
    const cj = JSON.parse(c.out);
    expect(cj.bytes).toBe(statSync(packed).size);
    expect(cj.bytes).toBeLessThanOrEqual(cj.dense_bytes); // tiny iris layers may all stay dense
    expect(cj.layers[0]).toHaveProperty('format');
    expect(cj.layers[0]).toHaveProperty('nonzeros');

    const i = await run(['info', packed, '--json']);
    expect(i.code, i.err).toBe(0);
    expect(JSON.parse(i.out).bytes).toBe(cj.bytes);

    const csv = join(dir, 'rows.csv');
    writeFileSync(csv, 'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n');
    const pr = await run(['predict', '--model', packed, '--input', csv, '--json']);
    expect(pr.code, pr.err).toBe(0);
    expect(pr.out).toMatch(/setosa/);
    expect(pr.out).toMatch(/virginica/);
  });

  it('sweep refuses a lottery rewind epoch after the last training epoch, before any work', async () => {
    const r = await run(['sweep', '--data', 'iris', '--epochs', '2', '--rewind-epoch', '3', '--schedule', 'lottery', '--report', join(dir, 'never')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--rewind-epoch 3 is after the last training epoch \(--epochs 2\)/);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('sweep writes report.json and report.html with the documented keys', async () => {
    const rep = join(dir, 'rep');
    const s = await run([
      'sweep',
      '--data',
      'iris',
      '--hidden',
      '8',
      '--epochs',
      '30',
      '--batch',
      '16',
      '--sparsities',
      '0.5,0.8',
      '--runs',
      '2',
      '--finetune-epochs',
      '1',
      '--report',
      rep,
      '--json',
    ]);
    expect(s.code, s.err).toBe(0);
    const r = JSON.parse(readFileSync(join(rep, 'report.json'), 'utf8'));
    expect(r.points).toHaveLength(2);
    expect(r.points[0]).toHaveProperty('latency');
    expect(r.summary.length).toBeGreaterThan(0);
    expect(readFileSync(join(rep, 'report.html'), 'utf8')).toMatch(/<svg/);
  });

  it('sweep --values kmeans:BITS stores the points with a 2^BITS-entry codebook, as compact does', async () => {
    const bytesAt = async (values: string) => {
      const rep = join(dir, `rep-${values.replace(':', '-')}`);
      const argv = ['sweep', '--data', 'iris', '--hidden', '8', '--epochs', '2', '--sparsities', '0.5', '--runs', '1', '--finetune-epochs', '0'];
      const s = await run([...argv, '--values', values, '--report', rep, '--json']);
      expect(s.code, s.err).toBe(0);
      return (JSON.parse(readFileSync(join(rep, 'report.json'), 'utf8')) as { points: { bytes: number }[] }).points[0].bytes;
    };
    // 8 hidden × 4 inputs + 3 × 8 weights at half density: 2-bit codes are smaller than 8-bit ones
    expect(await bytesAt('kmeans:2')).toBeLessThan(await bytesAt('kmeans:8'));
    const bad = await run(['sweep', '--data', 'iris', '--values', 'kmeans:9', '--report', join(dir, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--values: k-means bits must be 1…8/);
  });

  it('demo runs the main job (here shrunk by flags) and writes its report and models', async () => {
    const rep = join(dir, 'demo');
    const d = await run(['demo', '--hidden', '16', '--epochs', '1', '--sparsities', '0.9', '--finetune-epochs', '0', '--runs', '2', '--report', rep]);
    expect(d.code, d.err).toBe(0);
    for (const f of ['report.html', 'report.json', 'model-dense.safetensors', 'model-pruned.safetensors', 'model-90.prunekit.safetensors']) {
      expect(statSync(join(rep, f)).size).toBeGreaterThan(0);
    }
    expect(d.out).toMatch(/faster@1/);
  });

  it('bad data exits 1 naming the file and line, and writes nothing', async () => {
    const csv = join(dir, 'bad.csv'),
      out = join(dir, 'never.safetensors');
    writeFileSync(csv, 'a,b,label\n1,2,x\n3,oops,y\n');
    const r = await run(['train', '--data', csv, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.csv/);
    expect(r.err).toMatch(/line 3/);
    expect(existsSync(out)).toBe(false);
  });
});
