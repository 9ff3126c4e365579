/**
 * The one --json style of the prunekit command: every command's --json output has camelCase keys
 * (old snake_case keys kept beside their camelCase twins), failures with --json are one JSON object
 * on stderr with the exit code, `-v` prints the version, progress shows real counts, and eval
 * finds a CSV's label column from the names the model stores.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageVersion } from '../src/cli/main.js';
import { progress } from '../src/cli/progress.js';
import { runCli } from './helpers/cli.js';

/** Every key of a JSON value, with its path; snake_case keys must have their camelCase twin beside them. */
function keyProblems(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => keyProblems(v, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  const obj = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (k.includes('_')) {
      const twin = k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
      if (!(twin in obj)) problems.push(`${path}.${k} has no camelCase twin ${twin}`);
      else if (JSON.stringify(obj[twin]) !== JSON.stringify(v)) problems.push(`${path}.${twin} differs from ${path}.${k}`);
    }
    if (k.includes('-') || /^[A-Z]/.test(k)) problems.push(`${path}.${k} is not camelCase`);
    problems.push(...keyProblems(v, `${path}.${k}`));
  }
  return problems;
}

const dir = mkdtempSync(join(tmpdir(), 'pk-json-'));
const p = (f: string) => join(dir, f);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--json: camelCase keys in every command', () => {
  it('train, eval, prune, compact, info, predict, export, import, bench, sweep', async () => {
    const outputs: Record<string, unknown> = {};
    const json = async (name: string, args: string[]) => {
      const r = await runCli([name, ...args, '--json']);
      expect(r.code, `${name}: ${r.err}`).toBe(0);
      outputs[name] = JSON.parse(r.out);
    };
    await json('train', ['--data', 'iris', '--hidden', '6', '--epochs', '5', '--batch', '16', '--out', p('m.safetensors')]);
    await json('eval', ['--model', p('m.safetensors'), '--data', 'iris']);
    await json('prune', ['--model', p('m.safetensors'), '--data', 'iris', '--sparsity', '0.5', '--finetune-epochs', '1', '--out', p('pruned.safetensors')]);
    await json('compact', ['--model', p('pruned.safetensors'), '--out', p('c.prunekit')]);
    await json('info', [p('c.prunekit')]);
    writeFileSync(p('x.csv'), '5.1,3.5,1.4,0.2\n6.7,3.0,5.2,2.3\n');
    await json('predict', ['--model', p('c.prunekit'), '--input', p('x.csv'), '--header', 'no']);
    await json('export', ['--model', p('pruned.safetensors'), '--out', p('m.onnx')]);
    await json('import', ['--from', p('m.onnx'), '--out', p('back.safetensors')]);
    await json('bench', ['--layers', '16,8,4', '--sparsity', '0,0.5', '--batch', '1', '--runs', '1', '--min-run-ms', '0']);
    await json('sweep', [
      '--data',
      'iris',
      '--hidden',
      '6',
      '--epochs',
      '3',
      '--batch',
      '16',
      '--sparsities',
      '0.5',
      '--runs',
      '1',
      '--finetune-epochs',
      '1',
      '--report',
      p('rep'),
    ]);
    for (const [name, value] of Object.entries(outputs)) expect(keyProblems(value), name).toEqual([]);
    // the old keys stay (a contract), each beside its twin
    expect(outputs.compact).toMatchObject({ dense_bytes: expect.any(Number), denseBytes: expect.any(Number) });
    expect(outputs.info).toMatchObject({ dense_bytes: expect.any(Number), denseBytes: expect.any(Number) });
    const row = (outputs.bench as { results: Record<string, unknown>[] }).results[0];
    expect(row.median_us).toBe(row.medianUs);
    const point = (outputs.sweep as { points: { latency: Record<string, Record<string, number>> }[] }).points[0];
    expect(point.latency['1'].sparse_us).toBe(point.latency['1'].sparseUs);
  }, 120_000);

  it('the check itself fails on a snake_case key without its twin', () => {
    expect(keyProblems({ a: { dense_bytes: 1 } })).toEqual(['$.a.dense_bytes has no camelCase twin denseBytes']);
    expect(keyProblems({ dense_bytes: 1, denseBytes: 1 })).toEqual([]);
  });
});

describe('--json: failures are one JSON object on stderr, with the exit code', () => {
  const errorOf = (err: string) => JSON.parse(err.trim()) as { error: Record<string, unknown> };

  it('bad usage: exit 2, code "usage", the usage text, nothing on stdout', async () => {
    const r = await runCli(['train', '--data', 'iris', '--out', p('x.safetensors'), '--epochs', 'ten', '--json']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const e = errorOf(r.err).error;
    expect(e).toMatchObject({ command: 'train', code: 'usage', exitCode: 2, type: 'UsageError', message: "--epochs: expected a number, got 'ten'" });
    expect(e.usage).toMatch(/^usage: prunekit train/);
  });

  it('a runtime failure: exit 1, code "runtime", the error class', async () => {
    writeFileSync(p('junk.prunekit'), 'not a model');
    const r = await runCli(['info', p('junk.prunekit'), '--json']);
    expect(r.code).toBe(1);
    expect(errorOf(r.err).error).toMatchObject({ command: 'info', code: 'runtime', exitCode: 1, type: 'FormatError' });
    expect(errorOf(r.err).error.message).toMatch(/junk\.prunekit: safetensors/);
  });

  it('type is the class of the error the command hit, not the wrapper the CLI adds', async () => {
    writeFileSync(p('junk.prunekit'), 'not a model');
    const evalJunk = await runCli(['eval', '--model', p('junk.prunekit'), '--data', 'iris', '--json']);
    expect(errorOf(evalJunk.err).error).toMatchObject({ command: 'eval', exitCode: 1, type: 'FormatError' });
    writeFileSync(p('one-class.csv'), 'a,b\n1,x\n2,x\n');
    const data = await runCli(['train', '--data', p('one-class.csv'), '--out', p('x.safetensors'), '--json']);
    expect(errorOf(data.err).error).toMatchObject({ command: 'train', exitCode: 1, type: 'DataError' });
    const diverged = await runCli(['train', '--data', 'iris', '--hidden', '4', '--epochs', '3', '--lr', '1e6', '--out', p('x.safetensors'), '--json']);
    expect(errorOf(diverged.err.split('\n').filter(Boolean).at(-1)!).error).toMatchObject({ command: 'train', exitCode: 1, type: 'DivergenceError' });
  });

  it('an unknown command: exit 2, code "unknownCommand"', async () => {
    const r = await runCli(['frobnicate', '--json']);
    expect(r.code).toBe(2);
    expect(errorOf(r.err).error).toMatchObject({ command: null, code: 'unknownCommand', exitCode: 2 });
  });

  it('--json before the command also makes the unknown-command error JSON, naming the command', async () => {
    const r = await runCli(['--json', 'frobnicate']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(errorOf(r.err).error).toMatchObject({ command: null, code: 'unknownCommand', exitCode: 2, message: "unknown command 'frobnicate'" });
    // a known command after the flag: put it first; no command at all: the usual hint
    expect(errorOf((await runCli(['--json', 'info', 'x.st'])).err).error.message).toBe('the command comes first: prunekit info --json x.st');
    expect(errorOf((await runCli(['--json'])).err).error.message).toBe('no command, only --json (the command comes first: prunekit <command> [options])');
    // a flag's value is not a command (it was named as one: "unknown command 'iris'")
    expect(errorOf((await runCli(['--json', '--data', 'iris'])).err).error.message).toBe(
      'no command, only --json --data iris (the command comes first: prunekit <command> [options])',
    );
    expect(errorOf((await runCli(['--json', '--threads', '2', 'bench'])).err).error.message).toBe('the command comes first: prunekit bench --json --threads 2');
    expect(errorOf((await runCli(['--json', '--nosuch'])).err).error.message).toBe(
      'no command, only --json --nosuch (the command comes first: prunekit <command> [options])',
    );
  });

  it("README's example of the unknown-command error is what the command prints", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const example = /`prunekit --json nosuchcommand` is JSON too \(exit 2\):\s*`(\{.*?\})`/.exec(readme);
    expect(example).not.toBeNull();
    const r = await runCli(['--json', 'nosuchcommand']);
    expect(r.code).toBe(2);
    expect(errorOf(r.err)).toEqual(JSON.parse(example![1]));
  });

  it('without --json the error stays a line of text', async () => {
    const r = await runCli(['info', p('junk.prunekit')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^prunekit info: /);
  });
});

describe('-v, progress and stored names', () => {
  it('-v prints the version, as --version does', async () => {
    const r = await runCli(['-v']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`prunekit ${packageVersion()}\n`);
  });

  it('a progress bar draws the count reached, not the planned total, and may learn its total late', () => {
    let err = '';
    const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
      err += String(s);
      return true;
    });
    const tty = process.stderr.isTTY;
    process.stderr.isTTY = true;
    try {
      const bar = progress('train', 20);
      bar.update(3, 'loss 1');
      bar.done('stopped early', 12);
      const counted = progress('sweep', 0);
      counted.update(1, '', 7);
      counted.done('', 7);
    } finally {
      process.stderr.isTTY = tty;
      e.mockRestore();
    }
    expect(err).toMatch(/train \[#{14}\.{10}\] 12\/20 .*stopped early/);
    expect(err).toMatch(/sweep \[#{24}\] 7\/7/);
  });

  it('train: the bar ends at the real epoch count when early stopping ends the run', async () => {
    const r = await runCli([
      'train',
      '--data',
      'iris',
      '--hidden',
      '4',
      '--epochs',
      '200',
      '--batch',
      '16',
      '--early-stopping',
      '--patience',
      '2',
      '--tol',
      '0.5',
      '--out',
      p('early.safetensors'),
    ]);
    expect(r.code).toBe(0);
    const m = /train: (\d+)\/200 .*stopped after (\d+) of 200 epochs \(early_stopping\)/.exec(r.err);
    expect(m, r.err).not.toBeNull();
    expect(Number(m![1])).toBe(Number(m![2]));
    expect(Number(m![1])).toBeLessThan(200);
  });

  it('sweep on a terminal: one bar counting epochs and points (3 epochs + 2 points)', async () => {
    const r = await runCli(
      [
        'sweep',
        '--data',
        'iris',
        '--hidden',
        '6',
        '--epochs',
        '3',
        '--batch',
        '16',
        '--sparsities',
        '0.5,0.8',
        '--runs',
        '1',
        '--finetune-epochs',
        '1',
        '--report',
        p('rep2'),
      ],
      { tty: true },
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/\rsweep \[#{24}\] 5\/5 /);
    expect(r.err).not.toMatch(/epoch 1: loss/); // the bar replaces the log lines on a terminal
  }, 60_000);

  it('prune: a bar counts the fine-tuning epochs (iterative: rounds × epochs)', async () => {
    const r = await runCli([
      'prune',
      '--model',
      p('m.safetensors'),
      '--data',
      'iris',
      '--sparsity',
      '0.6',
      '--schedule',
      'iterative',
      '--steps',
      '2',
      '--finetune-epochs',
      '2',
      '--out',
      p('it.safetensors'),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/prune: fine-tuning epochs: 4\/4/);
  });

  it('eval takes the label column and the feature order of another CSV from the names the model stores', async () => {
    // iris with the label first, named: train on one half, evaluate on the other without --label
    const iris = readFileSync(join(__dirname, '..', 'data', 'iris.csv'), 'utf8')
      .trim()
      .split('\n');
    const header = iris[0].split(','),
      rows = iris.slice(1).map((l) => l.split(','));
    const labelFirst = (rs: string[][]) =>
      [[header.at(-1), ...header.slice(0, -1)], ...rs.map((r) => [r.at(-1), ...r.slice(0, -1)])].map((r) => r.join(',')).join('\n') + '\n';
    writeFileSync(p('a.csv'), labelFirst(rows.filter((_, i) => i % 2 === 0)));
    writeFileSync(p('b.csv'), labelFirst(rows.filter((_, i) => i % 2 === 1)));
    const label = header.at(-1)!;
    expect(
      (await runCli(['train', '--data', p('a.csv'), '--label', label, '--hidden', '6', '--epochs', '20', '--batch', '16', '--out', p('named.safetensors')]))
        .code,
    ).toBe(0);
    const r = await runCli(['eval', '--model', p('named.safetensors'), '--data', p('b.csv'), '--json']);
    expect(r.code, r.err).toBe(0);
    const accuracy = JSON.parse(r.out).accuracy;
    expect(accuracy).toBeGreaterThan(0.5);
    // the same rows with the feature columns in reverse order: picked by name, the same accuracy
    const reversed = readFileSync(p('b.csv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => {
        const c = l.split(',');
        return [c[0], ...c.slice(1).reverse()].join(',');
      });
    writeFileSync(p('b-reversed.csv'), reversed.join('\n') + '\n');
    const rr = await runCli(['eval', '--model', p('named.safetensors'), '--data', p('b-reversed.csv'), '--json']);
    expect(rr.code, rr.err).toBe(0);
    expect(JSON.parse(rr.out).accuracy).toBe(accuracy);
  }, 60_000);
});
