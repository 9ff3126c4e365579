/** `prunekit merge DIR… --report DIR`: join the reports of a sharded sweep into one (src/report/merge.ts). */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mergeSweepReports, type ShardReport } from '../../report/merge.js';
import type { SweepReport } from '../../report/report-types.js';
import { parse, required, RunError, UsageError } from '../args.js';
import { printJson } from '../common.js';
import { printSummary, reportDir, writeSweepReport } from './sweep.js';

const usage = `usage: prunekit merge DIR… --report DIR [--json]

Joins the reports of a sweep run in shards (prunekit sweep … --shard i/n --report DIR_i, one per
shard, e.g. the tasks of a Kubernetes Indexed Job, a Slurm job array or a CI matrix) into the
report.json and report.html the unsharded sweep writes. Each DIR is a shard's report folder (or its
report.json). Every shard of the sweep must be given once, from the same flags and seed.`;

function readShard(arg: string): ShardReport {
  let path = arg;
  try {
    if (statSync(arg).isDirectory()) path = join(arg, 'report.json');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${arg}: no such file or folder`);
    throw new RunError(`cannot read ${arg}: ${(e as Error).message}`, { cause: e });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${path}: no such file`);
    throw new RunError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return { source: path, report: JSON.parse(text) as SweepReport };
  } catch (e) {
    throw new RunError(`${path}: not a sweep report (invalid JSON: ${(e as Error).message})`, { cause: e });
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { report: { type: 'string' }, json: { type: 'boolean' } }, true);
  if (positionals.length === 0) throw new UsageError("expected the shards' report folders");
  const dir = reportDir(required(values.report, 'report'));
  const parts = positionals.map(readShard);
  // the same file by any path to it (a symlinked folder included)
  const real = (f: string) => (existsSync(f) ? realpathSync(f) : resolve(f));
  const into = join(real(dir), 'report.json');
  const clash = parts.find((p) => real(p.source) === into);
  if (clash) throw new UsageError(`--report ${dir} holds the shard report ${clash.source}: the merge would write over it; give another folder`);
  let merged: SweepReport;
  try {
    merged = mergeSweepReports(parts, `prunekit merge ${argv.join(' ')}`, values.report);
  } catch (e) {
    throw new RunError((e as Error).message.replace(/^merge: /, ''), { cause: e }); // "prunekit merge: " says it already
  }
  await writeSweepReport(merged, dir);
  if (values.json) printJson(merged);
  else printSummary(merged, dir);
  return 0;
}

export default { usage, run };
