/**
 * ARCHITECTURE.md stays true: every file it names exists, its layering table is the one the import
 * test enforces, and the repository cites no document outside itself and no internal issue number.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { layersMarkdown } from './layers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const doc = readFileSync(join(root, 'ARCHITECTURE.md'), 'utf8');

/** Backticked repository paths in a Markdown text (placeholders like NAME and globs are skipped). */
export function namedPaths(markdown: string): string[] {
  const tops = /^(src|test|assembly|bench|scripts|examples)\/|^[\w.-]+\.(md|json|mjs)$|^\.editorconfig$/;
  return [...markdown.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]).filter((p) => tops.test(p) && !/NAME|\*/.test(p));
}

/** Mentions of documents outside the repository or of internal issue numbers, as `file:line: text`. */
export function outsideReferences(files: Record<string, string>): string[] {
  const bad = new RegExp(['DESIGN' + '\\.md', '\\.\\./shared', '\\bissue[- ]?#?\\d+'].join('|'), 'i');
  return Object.entries(files).flatMap(([f, text]) =>
    text.split('\n').flatMap((line, i) => (bad.test(line) ? [`${f}:${i + 1}: ${line.trim().slice(0, 80)}`] : [])));
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
    const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n')
      .filter((f) => /\.(ts|mjs|md|html|json|sh)$|^\.ci\//.test(f) && f !== 'package-lock.json' && existsSync(join(root, f)));
    const files = Object.fromEntries(tracked.map((f) => [f, readFileSync(join(root, f), 'utf8')]));
    expect(outsideReferences(files)).toEqual([]);
  });

  it('the check catches both kinds (synthetic text)', () => {
    expect(outsideReferences({ 'a.md': 'ok\nsee ' + 'DESIGN' + '.md', 'b.ts': '// Issue 2 targets', 'c.ts': 'tissue 3 is fine? no: issue-7' })).toHaveLength(3);
  });
});
