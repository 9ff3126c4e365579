/**
 * `sweep --jobs N`: the grid cut into N shards (`sweep --shard i/N`, src/report/sweep.ts's units),
 * each run by a child `prunekit sweep` process, then joined by `mergeSweepReports` — so the result
 * is the unsharded sweep's by construction (each child trains the same dense model from the same
 * seed; each unit's points are seeded on their own). Child processes rather than worker threads:
 * a child is the exact command a user (or a cluster scheduler) would run for one shard, needs no
 * second entry point or pool library, and a crash stays in its own process.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeSweepReports } from '../report/merge.js';
import type { SweepReport } from '../report/report-types.js';
import { RunError, UsageError } from './args.js';

/** `--shard i/n` (1-based): which slice of the grid this process runs. */
export function parseShard(value: string | undefined): { index: number; count: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN,
    count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index < 1 || index > count) throw new UsageError(`--shard: expected i/n with 1 ≤ i ≤ n (e.g. 1/4), got '${value}'`);
  return { index, count };
}

/** The flags again as arguments, without those the parent decides per child. */
function childArgs(values: Record<string, string | boolean | undefined>, drop: readonly string[]): string[] {
  return Object.entries(values).flatMap(([k, v]) => (drop.includes(k) || v === undefined || v === false ? [] : v === true ? [`--${k}`] : [`--${k}`, v]));
}

/** How to start the prunekit command: the built main.js, or main.ts through tsx in a source checkout. */
function cliEntry(): string[] {
  const js = fileURLToPath(new URL('./main.js', import.meta.url));
  if (existsSync(js)) return [js];
  return ['--import', 'tsx', fileURLToPath(new URL('./main.ts', import.meta.url))];
}

function runChild(args: string[], label: string, log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliEntry(), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      tail = (tail + chunk).slice(-4000);
      if (log) for (const line of chunk.split('\n')) if (line.trim()) log(`[${label}] ${line}`);
    });
    child.on('error', (e) => reject(new RunError(`sweep --jobs: could not start ${label}: ${e.message}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new RunError(`sweep --jobs: ${label} failed (exit ${code}):\n${tail.trim()}`))));
  });
}

/**
 * Runs the sweep described by `values` (the parsed sweep flags) as `jobs` child processes, one
 * shard each, and returns the merged report. The children's reports go to a temporary folder,
 * removed afterwards.
 */
export async function runSweepJobs(values: Record<string, string | boolean | undefined>, jobs: number, log?: (line: string) => void): Promise<SweepReport> {
  const tmp = mkdtempSync(join(tmpdir(), 'prunekit-sweep-'));
  try {
    const base = childArgs(values, ['jobs', 'shard', 'report', 'json']);
    const dirs = Array.from({ length: jobs }, (_, i) => join(tmp, `shard-${i + 1}`));
    await Promise.all(dirs.map((dir, i) => runChild(['sweep', ...base, '--shard', `${i + 1}/${jobs}`, '--report', dir], `shard ${i + 1}/${jobs}`, log)));
    const parts = dirs.map((dir) => ({ source: join(dir, 'report.json'), report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as SweepReport }));
    // the report is the user's `sweep --jobs N` run: its command is the one typed, not a child's
    const command = `prunekit ${process.argv.slice(2).join(' ')}`;
    return { ...mergeSweepReports(parts, command), command };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
