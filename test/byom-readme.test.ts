// The README's "Bring your own model" commands, run exactly as written on the imported
// scikit-learn pipeline and its iris CSVs (with a header and a label column).
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';

const FX = 'test/fixtures/import';

/** The `prunekit …` commands of the README's first shell block under "Bring your own model". */
function readmeCommands(): string[][] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Bring your own model'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
  return block
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.startsWith('prunekit '))
    .map((line) => line.split(/\s+/).slice(1));
}

describe('README: bring your own model', () => {
  it('import → eval → prune → compact → predict → export works as written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-readme-byom-'));
    copyFileSync(`${FX}/sklearn-pipeline-iris.onnx`, join(dir, 'model.onnx'));
    copyFileSync(`${FX}/iris-train.csv`, join(dir, 'train.csv'));
    copyFileSync(`${FX}/iris-test.csv`, join(dir, 'test.csv'));
    // new rows as a user has them: the header, the feature columns and the label column
    writeFileSync(join(dir, 'new-rows.csv'), readFileSync(`${FX}/iris-test.csv`));
    const commands = readmeCommands();
    expect(commands.map((c) => c[0])).toEqual(['import', 'eval', 'prune', 'compact', 'predict', 'export']);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      for (const args of commands) {
        const r = await run(args);
        expect(r.code, `prunekit ${args.join(' ')}: ${r.err}`).toBe(0);
        if (args[0] === 'predict') {
          const labels = r.out.trim().split('\n');
          const truth = readFileSync('test.csv', 'utf8')
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => l.split(',').at(-1));
          expect(labels).toHaveLength(truth.length);
          expect(labels.filter((l, i) => l === truth[i]).length / truth.length).toBeGreaterThan(0.8);
        }
      }
    } finally {
      process.chdir(cwd);
    }
  }, 60_000);

  it('predict on a model without feature names says why a header with one column too many fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-readme-byom-'));
    const m = join(dir, 'm.safetensors'),
      pruned = join(dir, 'p.safetensors'),
      packed = join(dir, 'm.prunekit');
    expect((await run(['import', '--from', `${FX}/sklearn-pipeline-iris.onnx`, '--out', m])).code).toBe(0);
    expect((await run(['prune', '--model', m, '--sparsity', '0.5', '--out', pruned])).code).toBe(0);
    expect((await run(['compact', '--model', pruned, '--out', packed])).code).toBe(0);
    const r = await run(['predict', '--model', packed, '--input', `${FX}/iris-test.csv`]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('the header has 5 columns, the model expects 4 features and stores no feature names');
    expect(r.err).toContain('give a CSV with only the feature columns');
  });
});
