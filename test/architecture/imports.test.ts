import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAYERS, PORTABLE_ENTRIES } from './layers.js';
import { externalImportsReachable, forbiddenImports, importsOf, readFrom, sourceFiles } from './imports.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = readFrom(root);
const files = sourceFiles(root, 'src');
const allImports = files.flatMap((f) => importsOf(f, read(f)));

describe('layering: imports in src/ point down only', () => {
  it('reads the imports of every source file (sanity: the checker sees them)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(allImports.some((i) => i.from === 'src/nn/io.ts' && i.target === 'src/util/safetensors.ts')).toBe(true);
    // dynamic imports count too (the CLI loads the library lazily)
    expect(allImports.some((i) => i.from.startsWith('src/cli/') && i.target === 'src/nn/io.ts')).toBe(true);
  });

  it('no import points up or sideways', () => {
    expect(forbiddenImports(allImports, LAYERS)).toEqual([]);
  });

  it('every folder of src/ is in the table', () => {
    const folders = new Set(files.map((f) => (f.split('/').length > 2 ? f.split('/')[1] : '(root)')));
    expect([...folders].filter((f) => !(f in LAYERS))).toEqual([]);
  });

  it('the table itself points down: a folder may import only folders listed before it', () => {
    const order = Object.keys(LAYERS);
    for (const [folder, deps] of Object.entries(LAYERS)) {
      for (const d of deps) expect(order.indexOf(d), `${folder} → ${d}`).toBeLessThan(order.indexOf(folder));
    }
  });

  it("the runtime's browser and Worker entries reach no node: module and no npm package", () => {
    expect(externalImportsReachable(PORTABLE_ENTRIES, read).map((i) => `${i.from}: ${i.specifier}`)).toEqual([]);
  });
});

describe('the checker fails on bad imports (synthetic sources)', () => {
  it('data importing nn (a back-arrow) is reported, with file and rule', () => {
    const bad = importsOf('src/data/split.ts', "import { Rng } from '../nn/rng.js';\nimport type { X } from './types.js';");
    expect(forbiddenImports(bad, LAYERS)).toEqual(['src/data/split.ts imports ../nn/rng.js: data may import only from util']);
  });
  it('a dynamic import from the runtime into nn is reported', () => {
    const bad = importsOf('src/runtime/model.ts', "const m = await import('../nn/train.js');");
    expect(forbiddenImports(bad, LAYERS)).toHaveLength(1);
  });
  it('re-exports count, and nothing may import the CLI', () => {
    const bad = importsOf('src/report/x.ts', "export { main } from '../cli/main.js';");
    expect(forbiddenImports(bad, LAYERS)[0]).toMatch(/report may import only from/);
  });
  it('a relative import of an asset (the .wasm a Worker imports) is not a layer', () => {
    expect(forbiddenImports(importsOf('src/kernels/wasm-module.ts', "import simd from '../../wasm/kernels-simd.wasm';"), LAYERS)).toEqual([]);
  });
  it('a folder missing from the table is reported', () => {
    expect(forbiddenImports(importsOf('src/newthing/a.ts', "import '../util/rng.js';"), LAYERS)[0]).toMatch(/'newthing' is not in the layering table/);
  });
  it('node: imports reachable from a portable entry are reported', () => {
    const texts: Record<string, string> = { 'src/runtime/a.ts': "import './b.js';", 'src/runtime/b.ts': "import { readFileSync } from 'node:fs';" };
    expect(externalImportsReachable(['src/runtime/a.ts'], (f) => texts[f]).map((i) => i.specifier)).toEqual(['node:fs']);
  });
});
