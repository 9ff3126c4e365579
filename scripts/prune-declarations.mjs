// Keeps only the type declarations a user of the package can reach. tsc writes a .d.ts beside
// every module in dist/, but TypeScript resolves `prunekit` and `prunekit/runtime` only through
// package.json's `exports` (no deep imports), so a declaration that no exported `types` entry
// imports, directly or through other declarations, is never read: it only makes the installed
// package bigger. Run by `npm run build`, after tsc; the package test runs arethetypeswrong on
// the packed tarball, which fails if a declaration the types need were missing.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = Object.values(pkg.exports)
  .map((e) => (typeof e === 'object' && e !== null ? e.types : undefined))
  .filter((t) => typeof t === 'string');
if (entries.length === 0) throw new Error('prune-declarations: no `types` entry in package.json exports');

// Relative specifiers in `from '…'`, `import('…')` and `export … from '…'`.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
const reached = new Set();
const pending = entries.map((t) => resolve(t));
while (pending.length > 0) {
  const file = pending.pop();
  if (reached.has(file)) continue;
  if (!existsSync(file)) throw new Error(`prune-declarations: ${file} is imported by the declarations but was not emitted`);
  reached.add(file);
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, ''); // comments may quote imports
  for (const [, spec] of code.matchAll(SPECIFIER)) {
    if (spec.endsWith('.json')) continue; // data, not declarations
    pending.push(resolve(dirname(file), spec.endsWith('.js') ? spec.replace(/\.js$/, '.d.ts') : `${spec}.d.ts`));
  }
}

let removed = 0;
let bytes = 0;
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith('.d.ts') && !reached.has(resolve(p))) {
      bytes += readFileSync(p).length;
      rmSync(p);
      removed++;
    }
  }
};
walk('dist');
console.log(`prune-declarations: kept ${reached.size} declaration files, removed ${removed} (${(bytes / 1024).toFixed(0)} KB) no exported type reaches`);
