/**
 * Every crafted model file (test/helpers/crafted-models.ts: truncations, byte flips, values that
 * overflow f32, widths the file does not pay for) is not only decoded but loaded with the runtime
 * and predicted with, in a child process capped at 256 MiB: JS heap by --max-old-space-size, wasm
 * memory by a `maximum` on every WebAssembly.Memory, and everything by the peak RSS. Each file must
 * be refused with a FormatError, or predict finite probabilities, or throw NonFiniteOutputError;
 * every crafted training-model file likewise through decodeMLP, predictLabels and evaluate.
 * The first tests prove each part of the cap is real by allocating too much on purpose.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { attackFiles, trainingAttackFiles } from './helpers/crafted-models.js';

const CHILD = fileURLToPath(new URL('./helpers/memory-capped-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CAP_BYTES = 256 * 1024 * 1024;

function runCapped(mode: string) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', CHILD, mode], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  let report: Record<string, any> | null = null;
  try {
    report = JSON.parse(line);
  } catch {
    report = null;
  }
  return { status: r.status, signal: r.signal, stderr: r.stderr, report };
}

describe('the 256 MiB cap of the child process is real', () => {
  it('wasm memory cannot grow past it', () => {
    const r = runCapped('huge-wasm');
    expect(r.report).toMatchObject({ threw: true, message: expect.stringMatching(/Maximum memory size exceeded/) });
  });

  it('a JS heap past it kills the process', () => {
    const r = runCapped('huge-heap');
    expect(r.report).toBeNull(); // died before reporting
    expect(r.status !== 0 || r.signal !== null).toBe(true);
    expect(r.stderr).toMatch(/heap out of memory/i);
  });

  it('memory outside both (a touched ArrayBuffer) shows in the peak RSS the fuzz test checks', () => {
    const r = runCapped('huge-buffer');
    expect(r.report!.touched).toBe(300 * 1024 * 1024);
    expect(r.report!.maxRssBytes).toBeGreaterThan(CAP_BYTES);
  });
});

describe('fuzz: load and predict with every crafted file under the cap', () => {
  let r: ReturnType<typeof runCapped>;
  beforeAll(() => {
    r = runCapped('fuzz');
  }, 240_000);

  it('every compact file is refused, predicts finite probabilities, or throws NonFiniteOutputError — within 256 MiB', () => {
    expect(r.report, r.stderr).not.toBeNull();
    expect(r.report!.compact.defects).toEqual([]);
    const c = r.report!.compact.counts;
    expect(c.refused).toBeGreaterThan(1000); // truncations and header flips
    expect(c.ok).toBeGreaterThan(10); // flips inside weights still load and predict
    expect(c['non-finite']).toBeGreaterThan(0);
    expect(r.report!.maxRssBytes).toBeLessThan(CAP_BYTES);
  });

  it('every training file is refused, evaluates to a finite loss, or throws NonFiniteOutputError', () => {
    expect(r.report!.training.defects).toEqual([]);
    const c = r.report!.training.counts;
    expect(c.refused).toBeGreaterThan(1000);
    expect(c.ok).toBeGreaterThan(10);
    expect(r.report!.training.attacks).toEqual(Object.fromEntries(trainingAttackFiles().map((a) => [a.name, a.expect])));
  });

  it('each hand-made attack on a compact file gives its expected outcome', () => {
    expect(r.report!.compact.attacks).toEqual(Object.fromEntries(attackFiles().map((a) => [a.name, a.expect])));
  });
});
