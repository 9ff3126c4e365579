// The line budget: the hand-written TypeScript and AssemblyScript in src/ and assembly/ must stay
// under BUDGET lines. It is there to keep prunekit small enough to read end to end — a textbook,
// not a framework: a change that grows the code past it has to make room (delete, merge, reuse)
// or argue in review for a larger budget. Generated and vendored files do not count
// (src/kernels/wasm-simd-base64.ts, the ONNX schema). History: 16,000 with ONNX import and export
// in (12,700 lines formatted); raised to 19,000 on 2026-11-30 once sparse training, format version 2,
// sweep shards and the CLI's --json/progress work had landed (15,900 lines formatted), to leave room
// for OBS and budget-driven pruning. Raised to 20,000 later that day (19,262 lines) when the
// runtime's worker threads, the browser latency page and fit's Pareto report landed; the look for
// what to merge found no dead code to delete, only a candidate: the scatter input-gradient kernel
// kept for a benchmark (assembly/sparse-train.ts, bench/sparse-input-grad.ts). Raised to 21,500 on
// 2026-11-30 evening (19,355 lines) for threaded training, the pooled sweep and iterative OBS's
// allocation; the look again found exports used only inside their module, no dead code. The next
// raise needs a look for what to merge or delete first.
//
//   node scripts/line-budget.mjs [--budget N]   prints the count per folder; exits 1 over budget
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const at = process.argv.indexOf('--budget');
const BUDGET = at > 0 ? Number(process.argv[at + 1]) : 21_500;
const COUNTED = /^(src|assembly)\/.*\.ts$/;
const GENERATED = new Set(['src/kernels/wasm-simd-base64.ts']);

/** The files git knows (tracked, or new and not ignored); every file below src/ and assembly/ outside a git checkout. */
function listFiles() {
  try {
    return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src', 'assembly'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n');
  } catch {
    const walk = (d) => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    return ['src', 'assembly'].flatMap(walk);
  }
}
const files = listFiles().filter((f) => COUNTED.test(f) && !GENERATED.has(f));
const perFolder = new Map();
let total = 0;
for (const f of files) {
  const text = readFileSync(f, 'utf8');
  const lines = text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const folder = f
    .split('/')
    .slice(0, f.startsWith('src/') && f.split('/').length > 2 ? 2 : 1)
    .join('/');
  perFolder.set(folder, (perFolder.get(folder) ?? 0) + lines);
  total += lines;
}
for (const [folder, n] of [...perFolder].sort((a, b) => b[1] - a[1])) console.log(`${String(n).padStart(6)}  ${folder}`);
console.log(`${String(total).padStart(6)}  total (budget ${BUDGET})`);
if (total > BUDGET) {
  console.error(`line-budget: src/ + assembly/ hold ${total} lines, over the budget of ${BUDGET}: make room before adding more`);
  process.exit(1);
}
