/** `prunekit latency-page`: write the page that measures fit's latency table in a browser (src/report/latency-page.ts). */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from '../main.js';
import { outputFile, parse, required, RunError } from '../args.js';
import { printJson } from '../common.js';

const usage = `usage: prunekit latency-page --out FILE.html [--json]

Writes one self-contained HTML page (no server, no network) that measures \`fit\`'s per-layer
latency table on the device that opens it: every layer of your model alone, dense and CSR at a
grid of densities, timed with prunekit's WebAssembly kernels at batch B — the same grid and
timing as \`fit\` uses in Node. Open it in the target browser (from disk, or from any static host),
pick the training model file (the one for fit --model), press Measure, download
latency-table.json, then run
  prunekit fit --model M --data D --max-latency-us T --batch B --latency-table latency-table.json --out F
and time the delivered model F on the same page (section 2) to check the budget there.
Query parameters prefill the form: FILE.html?sizes=784,300,100,10&batch=8&runs=15

  --out FILE    where to write the page
  --json        print {"out", "bytes"}`;

/** The page as \`npm run build\` made it: dist/latency-page.html (three folders up from src/cli/commands and dist/cli/commands). */
const BUILT = fileURLToPath(new URL('../../../dist/latency-page.html', import.meta.url));

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, { out: { type: 'string' }, json: { type: 'boolean' } });
    const out = required(outputFile(v.out, 'out'), 'out');
    if (!existsSync(BUILT)) throw new RunError(`the latency page is not built (${BUILT} is missing): run \`npm run build\``);
    const html = readFileSync(BUILT);
    const { writeFileAtomic } = await import('../../util/fs.js');
    writeFileAtomic(out, html);
    if (v.json) printJson({ out, bytes: html.length });
    else process.stdout.write(`wrote ${out} (${(html.length / 1024).toFixed(0)} KB): open it in the browser you want the latency table for\n`);
    return 0;
  },
};

export default command;
