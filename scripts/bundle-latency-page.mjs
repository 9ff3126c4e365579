// Builds the latency page (src/report/latency-page.ts) into one self-contained HTML file,
// dist/latency-page.html: the page's code, prunekit/runtime's browser build and its embedded SIMD
// kernels inlined in a <script type="module">, so it works opened from disk, from any static host,
// or written out by `prunekit latency-page --out FILE`. Run by `npm run build`, after tsc.
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const out = await build({
  stdin: {
    contents: "import { mountLatencyPage } from './dist/report/latency-page.js';\nmountLatencyPage(document.body);\n",
    resolveDir: '.',
    loader: 'js',
  },
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
const js = out.outputFiles[0].text;
// esbuild escapes "</script" inside strings for inline use; a literal one would end the element early
if (/<\/script/i.test(js)) throw new Error('bundle-latency-page: the bundle contains "</script"; it cannot be inlined');
const html = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>prunekit latency table</title>
<style>body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em; max-width: 60em } textarea { width: 100%; font: 12px monospace }
fieldset { margin: 1em 0 } label { margin-right: 1em } input[type=number] { width: 6em } #status[data-state=error], #timing[data-state=error] { color: #b00 }</style>
<body>
<noscript>This page needs JavaScript and WebAssembly.</noscript>
<script type="module">${js}</script>
`;
writeFileSync('dist/latency-page.html', html);
console.log(`bundle-latency-page: wrote dist/latency-page.html (${(html.length / 1024).toFixed(0)} KB)`);
