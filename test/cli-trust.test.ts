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
import { runCli as run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-trust-'));
const path = (f: string) => join(dir, f);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    const r = await run([
      'prune',
      '--model',
      model,
      '--data',
      'iris',
      '--sparsity',
      '0.99',
      '--scope',
      'global',
      '--min-density',
      '0.5',
      '--out',
      path('never.st'),
    ]);
    expect(r.err).toMatch(/collapse a layer/);
    // the way out is named as the flag the user types, not the library's option
    expect(r.err).toMatch(/lower the target or --min-density\n/);
    expect(r.err).not.toMatch(/minDensity/);
    expect(r.code).toBe(1);
    expect(r.err).not.toMatch(/usage:/);
    expect(existsSync(path('never.st'))).toBe(false);
  });

  it('the same in a sweep, which has no --min-density: the way out named is the target', async () => {
    const r = await run([
      'sweep',
      '--data',
      'iris',
      ...tinyTrain,
      ...'--sparsities 0.999 --schedule oneshot --finetune-epochs 0 --runs 1'.split(' '),
      '--report',
      path('never-sweep'),
    ]);
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/collapse a layer/);
    expect(r.err).toMatch(/lower the target sparsity\n/);
    expect(r.err).not.toMatch(/minDensity|usage:/);
    expect(existsSync(path('never-sweep'))).toBe(false);
  });

  it.each([[['--lr', '-1']], [['--lr=-1']], [['--lr', '-.5']]])('a negative learning rate %j is read as a value and refused with the reason', async (flag) => {
    const r = await run(['train', '--data', 'iris', ...flag, '--out', path('never.st')]);
    expect(r.code).toBe(2);
    expect(r.err).not.toMatch(/ambiguous/);
    expect(r.err).toMatch(/--lr: must be > 0 \(the step size along the negative gradient[^)]*\), got -/);
  });

  it("a flag whose value is missing before another flag names both (not parseArgs' 'argument is ambiguous')", async () => {
    const r = await run(['train', '--data', 'iris', '--threads', '--out', path('never.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^prunekit train: --threads: expected a value, got the flag '--out' after it$/m);
    expect(existsSync(path('never.st'))).toBe(false);
    // the occurrence whose value is missing, not the first one
    const again = await run(['train', '--data', 'iris', '--threads', '2', '--threads', '--out', path('never.st')]);
    expect(again.err).toMatch(/^prunekit train: --threads: expected a value, got the flag '--out' after it$/m);
  });

  it('a negative seed says seeds are whole numbers ≥ 0', async () => {
    const r = await run(['train', '--data', 'iris', '--seed', '-3', '--out', path('never.st')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--seed: must be ≥ 0 \(seeds are whole numbers ≥ 0\), got -3/);
  });

  it('control characters in labels and in data-error messages are escaped, never sent raw to the terminal', async () => {
    const esc = '\u001b[2J',
      bidi = '\u202e';
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
    const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
      pieces.push(String(s));
      return true;
    });
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

const irisLines = () =>
  readFileSync(new URL('../data/iris.csv', import.meta.url), 'utf8')
    .trim()
    .split('\n');

describe('eval and prune test on the rows the model never trained on', () => {
  it('eval reuses the training split by default: same test rows, same loss as train reported', async () => {
    const out = path('seed1.st');
    const t = await run(['train', '--data', 'iris', ...tinyTrain, '--seed', '1', '--out', out, '--json']);
    expect(t.code, t.err).toBe(0);
    const e = await run(['eval', '--model', out, '--data', 'iris', '--json']);
    expect(e.code, e.err).toBe(0);
    const tj = JSON.parse(t.out),
      ej = JSON.parse(e.out);
    expect(ej.nTest).toBe(tj.nTest);
    expect(ej.loss).toBe(tj.loss);
    expect(ej.accuracy).toBe(tj.accuracy);
  });

  it("an explicit split that puts training rows in the test part is refused (eval and prune), the model's own is accepted", async () => {
    const out = path('seed1.st');
    for (const cmd of [['eval'], ['prune', '--sparsity', '0.5', '--out', path('p.st')]]) {
      const r = await run([...cmd, '--model', out, '--data', 'iris', '--seed', '2']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /--seed 2 --test-fraction 0.2: \d+ of the 30 test rows of iris are rows the model was trained on \(it was trained on this data with --seed 1 --test-fraction 0.2\)/,
      );
    }
    expect((await run(['eval', '--model', out, '--data', 'iris', '--seed', '1', '--test-fraction', '0.2'])).code).toBe(0);
  });

  it('a CSV is recognised by its bytes, not its path; other data may be split freely', async () => {
    const a = path('iris-a.csv'),
      b = path('iris-b.csv'),
      other = path('iris-other.csv');
    const lines = irisLines();
    writeFileSync(a, lines.join('\n') + '\n');
    writeFileSync(b, lines.join('\n') + '\n');
    writeFileSync(other, [lines[0], ...lines.slice(1).filter((_, i) => i % 2 === 0)].join('\n') + '\n');
    const out = path('csv.st');
    expect((await run(['train', '--data', a, ...tinyTrain, '--seed', '5', '--out', out])).code).toBe(0);
    const same = await run(['eval', '--model', out, '--data', b, '--seed', '6']);
    expect(same.code).toBe(2);
    expect(same.err).toMatch(/rows the model was trained on/);
    const diff = await run(['eval', '--model', out, '--data', other, '--seed', '6']);
    expect(diff.code, diff.err).toBe(0);
  });

  it('the model file records the split: data, its identity, label, seed and fraction', async () => {
    const { loadModel } = await import('../src/nn/io.js');
    const split = loadModel(path('csv.st')).provenance.split as Record<string, unknown>;
    expect(split).toMatchObject({ data: path('iris-a.csv'), label: null, seed: 5, testFraction: 0.2 });
    expect(split.identity).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(loadModel(path('seed1.st')).provenance.split).toMatchObject({ identity: 'builtin:iris', seed: 1 });
  });
});

describe('a model trained with --test-data: the test file is part of its split', () => {
  /** Iris in two halves (even rows train, odd rows test), each with the header row. */
  const halves = () => {
    const [header, ...rows] = irisLines();
    writeFileSync(path('tr.csv'), [header, ...rows.filter((_, i) => i % 2 === 0)].join('\n') + '\n');
    writeFileSync(path('te.csv'), [header, ...rows.filter((_, i) => i % 2 === 1)].join('\n') + '\n');
    return { tr: path('tr.csv'), te: path('te.csv') };
  };
  const trainWithTestFile = async (out: string) => {
    const { tr, te } = halves();
    const t = await run(['train', '--data', tr, '--test-data', te, ...tinyTrain, '--seed', '4', '--out', out, '--json']);
    expect(t.code, t.err).toBe(0);
    return { tr, te, train: JSON.parse(t.out) };
  };

  it('records the test file and its identity, with no test fraction', async () => {
    const { loadModel } = await import('../src/nn/io.js');
    const { dataIdentity } = await import('../src/data/identity.js');
    const { tr, te } = await trainWithTestFile(path('tf.st'));
    expect(loadModel(path('tf.st')).provenance.split).toEqual({
      data: tr,
      identity: dataIdentity(tr),
      label: null,
      header: null,
      seed: 4,
      testFraction: null,
      testData: te,
      testIdentity: dataIdentity(te),
    });
  });

  it('eval and prune test on the recorded file when no --test-data is given', async () => {
    const { tr, te, train } = await trainWithTestFile(path('tf.st'));
    const e = await run(['eval', '--model', path('tf.st'), '--data', tr, '--json']);
    expect(e.code, e.err).toBe(0);
    const ej = JSON.parse(e.out);
    expect([ej.nTest, ej.nTrain]).toEqual([75, 75]); // a 0.2 split of tr.csv would give 15 and 60
    expect(ej.loss).toBe(train.loss);
    expect(ej.accuracy).toBe(train.accuracy);
    expect((await run(['eval', '--model', path('tf.st'), '--data', tr])).out).toContain(`on ${tr} (test file ${te}): test accuracy`);
    const p = await run(['prune', '--model', path('tf.st'), '--data', tr, '--sparsity', '0.5', '--out', path('tf-p.st'), '--json']);
    expect(p.code, p.err).toBe(0);
    expect(JSON.parse(p.out).denseAccuracy).toBe(train.accuracy);
  });

  it('a split of the training file is refused: every row of it was trained on', async () => {
    const { tr } = await trainWithTestFile(path('tf.st'));
    for (const cmd of [['eval'], ['prune', '--sparsity', '0.5', '--out', path('never.st')]]) {
      const r = await run([...cmd, '--model', path('tf.st'), '--data', tr, '--test-fraction', '0.3']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(
        /--test-fraction 0\.3: the model was trained on all of .*tr\.csv and tested on the separate file .*te\.csv, so any split of .* would test on rows it was trained on; give --test-data FILE/,
      );
    }
    expect(existsSync(path('never.st'))).toBe(false);
  });

  it('a recorded test file that is gone or changed must be named with --test-data', async () => {
    const { tr, te } = await trainWithTestFile(path('tf.st'));
    rmSync(te);
    const gone = await run(['eval', '--model', path('tf.st'), '--data', tr]);
    expect(gone.code).toBe(2);
    expect(gone.err).toMatch(/tested on the separate file .*te\.csv, which is not there any more .*; give the test file with --test-data FILE/);
    writeFileSync(te, irisLines().slice(0, 40).join('\n') + '\n');
    const changed = await run(['eval', '--model', path('tf.st'), '--data', tr]);
    expect(changed.code).toBe(2);
    expect(changed.err).toMatch(/whose bytes have changed since; give the test file with --test-data FILE/);
    const named = await run(['eval', '--model', path('tf.st'), '--data', tr, '--test-data', te, '--json']);
    expect(named.code, named.err).toBe(0);
    expect(JSON.parse(named.out).nTest).toBe(39);
  });

  it('a test file holding the training data is refused (train, sweep, eval, prune)', async () => {
    const { tr } = halves();
    const copy = path('tr-copy.csv');
    writeFileSync(copy, readFileSync(tr));
    const t = await run(['train', '--data', tr, '--test-data', copy, ...tinyTrain, '--out', path('never.st')]);
    expect(t.code).toBe(2);
    expect(t.err).toMatch(/--test-data: .*tr-copy\.csv holds the same bytes as the --data file .*tr\.csv, which is trained on/);
    expect(existsSync(path('never.st'))).toBe(false);
    const sw = await run(['sweep', '--data', tr, '--test-data', copy, ...tinyTrain, '--sparsities', '0.5', '--runs', '1', '--report', dir]);
    expect(sw.code).toBe(2);
    expect(sw.err).toMatch(/holds the same bytes as the --data file/);

    // a model trained on a split of tr.csv, tested with a copy of tr.csv beside other data
    const split = path('split.st');
    expect((await run(['train', '--data', tr, ...tinyTrain, '--out', split])).code).toBe(0);
    const other = path('other.csv');
    writeFileSync(other, irisLines().join('\n') + '\n');
    for (const cmd of [['eval'], ['prune', '--sparsity', '0.5', '--out', path('never.st')]]) {
      const r = await run([...cmd, '--model', split, '--data', other, '--test-data', copy]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/tr-copy\.csv holds the same bytes as .*tr\.csv, the data the model was trained on/);
    }
    // fine-tuning trains on --data: prune may not test on a copy of it, eval of an untouched model may
    const { createMLP } = await import('../src/nn/model.js');
    const { saveModel } = await import('../src/nn/io.js');
    const fresh = createMLP({ sizes: [4, 5, 3], activation: 'relu', seed: 1 });
    fresh.preprocessing.labelNames = ['setosa', 'versicolor', 'virginica'];
    saveModel(path('fresh.st'), fresh);
    expect((await run(['eval', '--model', path('fresh.st'), '--data', tr, '--test-data', copy])).code).toBe(0);
    const ft = await run([
      'prune',
      '--model',
      path('fresh.st'),
      '--data',
      tr,
      '--test-data',
      copy,
      '--sparsity',
      '0.5',
      '--finetune-epochs',
      '1',
      '--out',
      path('never.st'),
    ]);
    expect(ft.code).toBe(2);
    expect(ft.err).toMatch(/holds the same bytes as the --data file .*tr\.csv, which fine-tuning trains on/);
    expect(existsSync(path('never.st'))).toBe(false);
  });

  it('--header applies to the test file too, and eval reuses it', async () => {
    // a header whose feature names are numbers: the guess reads it as data, --header yes does not
    const [, ...rows] = irisLines();
    const head = '1,2,3,4,species';
    writeFileSync(path('ntr.csv'), [head, ...rows.filter((_, i) => i % 2 === 0)].join('\n') + '\n');
    writeFileSync(path('nte.csv'), [head, ...rows.filter((_, i) => i % 2 === 1)].join('\n') + '\n');
    const t = await run([
      'train',
      '--data',
      path('ntr.csv'),
      '--test-data',
      path('nte.csv'),
      '--header',
      'yes',
      ...tinyTrain,
      '--out',
      path('nh.st'),
      '--json',
    ]);
    expect(t.code, t.err).toBe(0);
    expect(JSON.parse(t.out).nTest).toBe(75);
    const e = await run(['eval', '--model', path('nh.st'), '--data', path('ntr.csv'), '--json']);
    expect(e.code, e.err).toBe(0);
    expect(JSON.parse(e.out)).toMatchObject({ nTest: 75, nTrain: 75, loss: JSON.parse(t.out).loss });
  });
});

describe('CSV rows are never dropped silently', () => {
  it('a first data row with a typo is an error naming line 1, not a header (train and predict)', async () => {
    const lines = irisLines().slice(1);
    const typo = path('typo.csv');
    writeFileSync(typo, ['5.1,3.5,abc,0.2,setosa', ...lines.slice(1)].join('\n') + '\n');
    const t = await run(['train', '--data', typo, ...tinyTrain, '--out', path('never.st')]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/typo\.csv: line 1, column index 2: "abc" is not a number \(this first row was read as data/);

    const model = await trainedModel('m.st');
    expect((await run(['compact', '--model', model, '--out', path('m.pk')])).code).toBe(0);
    const rows = path('typo-rows.csv');
    writeFileSync(rows, '5.1,3.5,abc,0.2\n4.9,3.0,1.4,0.2\n6.7,3.0,5.2,2.3\n');
    const p = await run(['predict', '--model', path('m.pk'), '--input', rows]);
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/line 1, column index 2: "abc" is not a number/);
    // with --header no the first row is data by request: no hint that it was read as data by a guess
    const forced = await run(['predict', '--model', path('m.pk'), '--input', rows, '--header', 'no']);
    expect(forced.code).toBe(1);
    expect(forced.err).toMatch(/line 1, column index 2: "abc" is not a number$/m);
    expect(forced.err).not.toMatch(/read as data because/);
  });

  it('predict prints one label per data row, with or without a header; --header overrides the guess', async () => {
    const model = await trainedModel('m.st');
    expect((await run(['compact', '--model', model, '--out', path('m.pk')])).code).toBe(0);
    const body = ['5.1,3.5,1.4,0.2', '4.9,3.0,1.4,0.2', '6.7,3.0,5.2,2.3'];
    writeFileSync(path('nohdr.csv'), body.join('\n') + '\n');
    writeFileSync(path('hdr.csv'), ['sepal_length,sepal_width,petal_length,petal_width', ...body].join('\n') + '\n');
    const count = (out: string) => out.trim().split('\n').length;
    expect(count((await run(['predict', '--model', path('m.pk'), '--input', path('nohdr.csv')])).out)).toBe(3);
    expect(count((await run(['predict', '--model', path('m.pk'), '--input', path('hdr.csv')])).out)).toBe(3);
    const yes = await run(['predict', '--model', path('m.pk'), '--input', path('nohdr.csv'), '--header', 'yes']);
    expect(count(yes.out)).toBe(2);
    const no = await run(['predict', '--model', path('m.pk'), '--input', path('hdr.csv'), '--header', 'no']);
    expect(no.code).toBe(1);
    expect(no.err).toMatch(/line 1, column index 0: "sepal_length" is not a number/);
  });
});

describe('ambiguous columns and class counts are refused', () => {
  it('duplicate column names in a training CSV or a prediction header', async () => {
    const dup = path('dup.csv');
    writeFileSync(dup, 'a,b,a,label\n1,2,3,x\n4,5,6,y\n7,8,9,x\n10,11,12,y\n');
    const t = await run(['train', '--data', dup, ...tinyTrain, '--out', path('never.st')]);
    expect(t.code).toBe(1);
    expect(t.err).toMatch(/line 1: columns 0 and 2 are both named "a"/);

    const model = await trainedModel('m.st');
    expect((await run(['compact', '--model', model, '--out', path('m.pk')])).code).toBe(0);
    writeFileSync(path('dup-in.csv'), 'sepal_length,sepal_width,petal_length,petal_width,petal_width\n1,2,3,4,5\n');
    const p = await run(['predict', '--model', path('m.pk'), '--input', path('dup-in.csv')]);
    expect(p.code).toBe(1);
    expect(p.err).toMatch(/columns 3 and 4 are both named "petal_width"/);
  });

  it("eval/prune refuse data whose classes do not match the model's outputs", async () => {
    const { createMLP } = await import('../src/nn/model.js');
    const { saveModel } = await import('../src/nn/io.js');
    saveModel(path('unnamed.st'), createMLP({ sizes: [4, 5, 3], activation: 'relu', seed: 1 }));
    const two = path('two.csv');
    writeFileSync(
      two,
      irisLines()
        .slice(0, 101)
        .map((l) => l.replace(/,(setosa|versicolor)$/, ',k$1'))
        .join('\n') + '\n',
    );
    for (const cmd of [['eval'], ['prune', '--sparsity', '0.5', '--out', path('p.st')]]) {
      const r = await run([...cmd, '--model', path('unnamed.st'), '--data', two]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/has 2 classes \(ksetosa, kversicolor\), the model has 3 outputs/);
    }
    const named = await run(['eval', '--model', await trainedModel('m.st'), '--data', two]);
    expect(named.code).toBe(2);
    expect(named.err).toMatch(/has classes the model does not know: ksetosa, kversicolor \(the model's classes: setosa, versicolor, virginica\)/);
  });

  it("data holding some of the model's classes is scored against the right outputs (labels matched by name)", async () => {
    const { loadModel } = await import('../src/nn/io.js');
    const { loadSplitForModel } = await import('../src/cli/common.js');
    const lines = irisLines();
    const late = path('late.csv');
    writeFileSync(late, [lines[0], ...lines.slice(51)].join('\n') + '\n'); // versicolor and virginica only
    const s = await loadSplitForModel(late, loadModel(await trainedModel('m.st')), {});
    expect(s.test.labelNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(new Set(s.train.labels)).toEqual(new Set([1, 2]));
    expect(new Set(s.test.labels)).toEqual(new Set([1, 2]));
  });
});
