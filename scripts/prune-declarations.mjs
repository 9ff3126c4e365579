// Keeps only the type declarations a user of the package can reach. tsc writes a .d.ts beside
// every module in dist/, but TypeScript resolves `prunekit` and `prunekit/runtime` only through
// package.json's `exports` (no deep imports), so a declaration that no exported `types` entry
// reaches is never read: it only makes the installed package bigger. What is reached is what
// the TypeScript compiler itself loads from those entries (its own module resolution: every
// import form, re-export and reference), not a pattern of ours. Run by `npm run build`, after tsc.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = Object.values(pkg.exports)
  .map((e) => (typeof e === 'object' && e !== null ? e.types : undefined))
  .filter((t) => typeof t === 'string')
  .map((t) => resolve(t));
if (entries.length === 0) throw new Error('prune-declarations: no `types` entry in package.json exports');

const program = ts.createProgram(entries, {
  noEmit: true,
  types: [],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
});
const problems = ts.getPreEmitDiagnostics(program).filter((d) => d.file && resolve(d.file.fileName).startsWith(resolve('dist')));
if (problems.length > 0) {
  throw new Error(`prune-declarations: the declarations do not check:\n${ts.formatDiagnostics(problems, ts.createCompilerHost({}))}`);
}
const reached = new Set(program.getSourceFiles().map((f) => resolve(f.fileName)));

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
const kept = [...reached].filter((f) => f.startsWith(resolve('dist'))).length;
console.log(`prune-declarations: kept ${kept} declaration files, removed ${removed} (${(bytes / 1024).toFixed(0)} KB) no exported type reaches`);
