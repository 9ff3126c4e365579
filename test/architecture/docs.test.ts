/**
 * ARCHITECTURE.md stays true: every file it names exists, its layering table is the one the import
 * test enforces, and the repository cites no document outside itself and no internal issue number;
 * the line budget script passes and fails as it should.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layersMarkdown } from './layers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

/** Backticked repository paths in a Markdown text (placeholders like NAME and globs are skipped). */
function namedPaths(markdown: string): string[] {
  const tops = /^(src|test|assembly|bench|scripts|examples|\.ci)\/|^[\w.-]+\.(md|jsonc?|mjs)$|^\.editorconfig$/;
  return [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => tops.test(p) && !/NAME|\*/.test(p));
}

/** Mentions of documents outside the repository or of internal issue numbers, as `file:line: text`. */
function outsideReferences(files: Record<string, string>): string[] {
  const bad = new RegExp(['DESIGN' + '\\.md', '\\.\\./shared', '\\bissue[- ]?#?\\d+'].join('|'), 'i');
  return Object.entries(files).flatMap(([f, text]) =>
    text.split('\n').flatMap((line, i) => (bad.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 80)}`] : [])),
  );
}

describe('ARCHITECTURE.md', () => {
  it('names files that exist', () => {
    const paths = namedPaths(doc);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !existsSync(join(root, p)))).toEqual([]);
  });

  it('shows the layering table that test/architecture/layers.ts defines', () => {
    const block = /<!-- layers:begin -->\n([\s\S]*?)\n<!-- layers:end -->/.exec(doc);
    expect(block?.[1]).toBe(layersMarkdown());
  });

  it('the path check fails on a missing file, and skips placeholders and globs', () => {
    expect(namedPaths('see `src/nope/gone.ts`, `src/prune/criteria/NAME.ts`, `test/**/*.test.ts`, `prunekit/runtime`')).toEqual(['src/nope/gone.ts']);
  });
});

describe('the repository stands on its own', () => {
  it('no tracked text file cites a document outside the repository or an internal issue number', () => {
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\.(ts|mjs|md|html|json|sh)$|^\.ci\//.test(f) && f !== 'package-lock.json' && existsSync(join(root, f)));
    const files = Object.fromEntries(tracked.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
    expect(outsideReferences(files)).toEqual([]);
  });

  it('the check catches both kinds (synthetic text)', () => {
    const issue = 'issue';
    expect(
      outsideReferences({ 'a.md': 'ok\nsee ' + 'DESIGN' + '.md', 'b.ts': `// ${issue} 2 targets`, 'c.ts': `t${issue} 3 is fine; ${issue}-7 is not` }),
    ).toHaveLength(3);
  });
});

describe('the line budget (scripts/line-budget.mjs)', () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ['scripts/line-budget.mjs', ...args], { cwd: root, encoding: 'utf8' });
  it('passes under its budget and prints the total', () => {
    const r = run();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\d+ {2}total \(budget 21500\)/);
  });
  it('fails, saying why, when the code is over the budget', () => {
    const r = run('--budget', '1000');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/over the budget of 1000/);
  });
});
