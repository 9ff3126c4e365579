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

/** A trained iris model (tiny, 3 epochs) and its compact file, shared by the tests below. */
async function trainedModel(name: string, extra: string[] = []): Promise<string> {
  const out = path(name);
  if (!existsSync(out)) {
    const r = await run(['train', '--data', 'iris', ...tinyTrain, '--seed', '3', ...extra, '--out', out]);
    expect(r.code, r.err).toBe(0);
  }
  return out;
}

describe('exit codes and messages', () => {
  it('a target prune cannot reach on this model is a runtime failure (exit 1), not bad usage', async () => {
    const model = await trainedModel('m.st');
    const r = await run(['prune', '--model', model, '--data', 'iris', '--sparsity', '0.99', '--scope', 'global', '--min-density', '0.5', '--out', path('never.st')]);
    expect(r.err).toMatch(/collapse a layer/);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/usage:/);
    expect(existsSync(path('never.st'))).toBe(false);
  });

  it.each([[['--lr', '-1']], [['--lr=-1']], [['--lr', '-.5']]])('a negative learning rate %j is read as a value and refused with the reason', async (flag) => {
    const r = await run(['train', '--data', 'iris', ...flag, '--out', path('never.st')]);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/ambiguous/);
    expect(r.err).toMatch(/--lr: must be > 0 \(the step size along the negative gradient[^)]*\), got -/);
  });

  it('a negative seed says seeds are whole numbers ≥ 0', async () => {
    const r = await run(['train', '--data', 'iris', '--seed', '-3', '--out', path('never.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--seed: must be ≥ 0 \(seeds are whole numbers ≥ 0\), got -3/);
  });

  it('control characters in labels and in data-error messages are escaped, never sent raw to the terminal', async () => {
    const esc = '\u001b[2J', bidi = '\u202e';
    const rows = ['a,b,label'];
    for (let i = 0; i < 20; i++) rows.push(`${i % 2 ? 5 + i / 10 : -5 - i / 10},${i % 3},${i % 2 ? `red${esc}` : `x${bidi}y`}`);
    writeFileSync(path('ctl.csv'), rows.join('\n') + '\n');
    expect((await run(['train', '--data', path('ctl.csv'), '--hidden', '4', '--epochs', '20', '--batch', '4', '--out', path('ctl.st')])).code).toBe(0);
    expect((await run(['compact', '--model', path('ctl.st'), '--out', path('ctl.pk')])).code).toBe(0);
    writeFileSync(path('ctl-in.csv'), 'a,b\n5.5,1\n-5.5,0\n');
    const p = await run(['predict', '--model', path('ctl.pk'), '--input', path('ctl-in.csv')]);
    expect(p.code, p.err).toBe(0);
    expect(p.out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u202e]/);
    expect(p.out.split('\n')).toEqual(['red\\u{1b}[2J', 'x\\u{202e}y', '']);

    writeFileSync(path('ctl-bad.csv'), `a,b\n1,2\n3,\u001b]0;pwned\u0007\n`);
    const bad = await run(['predict', '--model', path('ctl.pk'), '--input', path('ctl-bad.csv')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/line 3/);
    expect(bad.err).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});

describe('predict streams its output', () => {
  it('--json is written in bounded pieces that join into the documented JSON', async () => {
    const model = await trainedModel('m.st');
    expect((await run(['compact', '--model', model, '--out', path('m.pk')])).code).toBe(0);
    const n = 10_000;
    const rows = ['sepal_length,sepal_width,petal_length,petal_width'];
    for (let i = 0; i < n; i++) rows.push(`${4 + (i % 40) / 10},${2 + (i % 20) / 10},${1 + (i % 60) / 10},${(i % 25) / 10}`);
    writeFileSync(path('many.csv'), rows.join('\n') + '\n');
    const pieces: string[] = [];
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => { pieces.push(String(s)); return true; });
    let code;
    try {
      code = await main(['predict', '--model', path('m.pk'), '--input', path('many.csv'), '--json']);
    } finally {
      o.mockRestore();
    }
    expect(code).toBe(0);
    const whole = pieces.join('');
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(whole.length / 4);
    const j = JSON.parse(whole);
    expect(j.labels).toHaveLength(n);
    expect(j.predictions).toHaveLength(n);
    expect(j.predictions[n - 1].label).toBe(j.labels[n - 1]);
    expect(j.predictions[0].probabilities).toHaveLength(3);
  });
});

describe('--out is checked before any work and never overwrites an input', () => {
  const irisCsv = () => {
    const f = path('flowers.csv');
    if (!existsSync(f)) writeFileSync(f, readFileSync(new URL('../data/iris.csv', import.meta.url)));
    return f;
  };
  it('train --data X.csv --out X.csv (any spelling of the path) is refused and leaves the data intact', async () => {
    const csv = irisCsv();
    const before = readFileSync(csv);
    for (const out of [csv, join(dir, '.', 'flowers.csv')]) {
      const r = await run(['train', '--data', csv, ...tinyTrain, '--out', out]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/is the --data input; writing there would destroy it/);
    }
    expect(readFileSync(csv).equals(before)).toBe(true);
  });
  it('prune and compact refuse --out equal to --model', async () => {
    const model = await trainedModel('m.st');
    const before = readFileSync(model);
    const p = await run(['prune', '--model', model, '--data', 'iris', '--sparsity', '0.5', '--out', model]);
    expect(p.code).toBe(2);
    expect(p.err).toMatch(/is the --model input/);
    const c = await run(['compact', '--model', model, '--out', model]);
    expect(c.code).toBe(2);
    expect(c.err).toMatch(/is the --model input/);
    expect(readFileSync(model).equals(before)).toBe(true);
  });
  it('--out into a missing folder fails at once, before loading data or training', async () => {
    const r = await run(['train', '--data', 'iris', '--epochs', '1000', '--out', path('missing/sub/model.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/folder .*missing[/\\]sub does not exist/);
    expect(r.out).toBe('');
  });
});

describe('train refuses a network that cannot fit before allocating it', () => {
  it.each([['30000,30000'], ['1000000000']])('--hidden %s exits 2 at once with the 4 GiB limit', async (hidden) => {
    const t0 = performance.now();
    const r = await run(['train', '--data', 'iris', '--hidden', hidden, '--out', path('never.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs [\d.]+ GB of WebAssembly memory .*4 GiB limit/);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(existsSync(path('never.st'))).toBe(false);
  });
});
