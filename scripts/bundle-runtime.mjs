// Bundles the Node/Deno/Bun entry of prunekit/runtime (dist/runtime/index.js and the 14 modules
// it imports) into one file, dist/runtime/node.js, which the package's 'node' export condition
// points to: one module to resolve and compile instead of fifteen roughly halves the import's share
// of a cold start (bench/cold-start.ts). Browsers and Workers get the module graph (their
// bundlers tree-shake it). Whitespace and syntax are minified, names are not (stack traces still
// name the functions): V8 parses the 39 KB file ≈ 1.4 ms CPU faster than the 52 KB one on a cold start
// (paired, 20 fresh processes). The threaded kernels (dist/kernels/threads-node.js, imported only
// when a model is loaded with { threads }) stay out of the bundle: the import is left as it is,
// and resolves from dist/runtime/ as it did from dist/runtime/index.js. Run by `npm run build`, after tsc.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/runtime/index.js'],
  outfile: 'dist/runtime/node.js',
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  // lines of at most ~120 characters: an uncaught error makes Node print the line it was thrown
  // from, which was the whole 53 KB file when it was one line
  lineLimit: 120,
  banner: { js: '// prunekit/runtime for Node, Deno and Bun: dist/runtime/index.js and its imports in one file (scripts/bundle-runtime.mjs).' },
  logLevel: 'warning',
  plugins: [
    {
      name: 'threads-stay-lazy',
      setup(b) {
        b.onResolve({ filter: /\/threads-node\.js$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
});
console.log('bundle-runtime: wrote dist/runtime/node.js');
