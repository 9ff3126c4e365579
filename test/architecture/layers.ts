/**
 * The layering of src/, in one place: each folder and the folders it may import from. Arrows point
 * down only (a folder never imports one listed after it, and `cli` is imported by nothing).
 * imports.test.ts enforces it; ARCHITECTURE.md shows the same table (checked by docs.test.ts).
 */
export const LAYERS: Record<string, readonly string[]> = {
  util: [],
  kernels: ['util'],
  data: ['util'],
  sparse: ['util', 'kernels'],
  runtime: ['util', 'kernels', 'sparse'],
  nn: ['util', 'kernels', 'data'],
  prune: ['util', 'kernels', 'data', 'nn'],
  compact: ['util', 'kernels', 'data', 'nn', 'prune', 'sparse'],
  onnx: ['util', 'data', 'nn', 'sparse', 'prune', 'compact'],
  import: ['util', 'data', 'nn', 'sparse', 'prune', 'compact', 'onnx'],
  report: ['util', 'kernels', 'data', 'nn', 'sparse', 'runtime', 'prune', 'compact', 'onnx', 'import'],
  cli: ['util', 'kernels', 'data', 'nn', 'sparse', 'runtime', 'prune', 'compact', 'onnx', 'import', 'report'],
  /** src/index.ts, the library's public entry point: everything but the CLI. */
  '(root)': ['util', 'kernels', 'data', 'nn', 'sparse', 'runtime', 'prune', 'compact', 'onnx', 'import', 'report'],
};

/**
 * The runtime's entry points for browsers and Workers (src/runtime/index.ts is the one for Node,
 * Deno and Bun), and the latency page, which runs in a browser: nothing they reach may import
 * `node:` modules or npm packages.
 */
export const PORTABLE_ENTRIES = ['src/runtime/browser.ts', 'src/runtime/worker.ts', 'src/report/latency-page.ts'];

/** The table as the markdown ARCHITECTURE.md shows (between its `layers:begin/end` comments). */
export function layersMarkdown(): string {
  const rows = Object.entries(LAYERS).map(
    ([folder, deps]) => `| ${folder === '(root)' ? '`src/index.ts`' : `\`src/${folder}/\``} | ${deps.length ? deps.join(', ') : '—'} |`,
  );
  return ['| folder | may import from |', '|---|---|', ...rows].join('\n');
}
