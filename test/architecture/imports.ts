/** Reads the imports of TypeScript sources and checks them against the layering table. */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';

export interface Import {
  /** File that imports, relative to the repository (e.g. `src/nn/io.ts`). */
  from: string;
  /** The specifier as written (`../util/rng.js`, `node:fs`, `csv-parse`). */
  specifier: string;
  /** For relative specifiers: the imported file, relative to the repository, `.js` → `.ts`. */
  target?: string;
}

/** Every import, export-from, `import type` and dynamic `import('…')` of one source text. */
export function importsOf(file: string, text: string): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName: specifier }) => {
    if (!specifier.startsWith('.')) return { from: file, specifier };
    const target = normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts');
    return { from: file, specifier, target };
  });
}

/** The layer of a file under src/: its first folder, or `(root)` for src/index.ts. */
export function layerOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? parts[1] : '(root)';
}

/** The imports that point the wrong way (or into/from a folder the table does not know), as messages. */
export function forbiddenImports(imports: Import[], layers: Record<string, readonly string[]>): string[] {
  const out: string[] = [];
  for (const i of imports) {
    // not a source file of src/ (e.g. the .wasm build a Worker imports as a module): no layer
    if (!i.target?.startsWith('src/') || !i.target.endsWith('.ts')) continue;
    const a = layerOf(i.from),
      b = layerOf(i.target);
    if (!(a in layers)) out.push(`${i.from}: folder '${a}' is not in the layering table`);
    else if (!(b in layers)) out.push(`${i.from} imports ${i.specifier}: folder '${b}' is not in the layering table`);
    else if (a !== b && !layers[a].includes(b)) out.push(`${i.from} imports ${i.specifier}: ${a} may import only from ${layers[a].join(', ') || 'nothing'}`);
  }
  return out;
}

/** The imports of `entries` and of every file they reach, that are not relative (node:, packages). */
export function externalImportsReachable(entries: string[], read: (file: string) => string): Import[] {
  const seen = new Set<string>();
  const external: Import[] = [];
  const stack = [...entries];
  while (stack.length) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const i of importsOf(f, read(f))) {
      if (!i.target) external.push(i);
      else if (i.target.endsWith('.ts')) stack.push(i.target); // other relative imports are assets (a .wasm module)
    }
  }
  return external;
}

/** All .ts files under `dir` (relative to `root`), sorted. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

export const readFrom = (root: string) => (file: string) => readFileSync(join(root, file), 'utf8');
