/**
 * `prunekit bench`'s own run() (argv after "bench"), its stdout captured and its stderr (progress)
 * silenced. The command's run() directly: vitest cannot yet transform src/cli/main.ts (its shebang
 * plus a dynamic import make vite insert a helper above the shebang), so main([...]) is not used.
 */
import { vi } from 'vitest';
import bench from '../../src/cli/commands/bench.js';

export async function runBenchCli(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const w = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await bench.run(argv), out };
  } finally {
    w.mockRestore();
    e.mockRestore();
  }
}
