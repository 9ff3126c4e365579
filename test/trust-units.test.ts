/** Library-level promises from the trust audit: honest messages, no signal handlers, bounded memory. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeSafetensors, MAX_HEADER_BYTES } from '../src/util/safetensors.js';
import { STALE_TEMP_MS, writeFileAtomic } from '../src/util/fs.js';
import { createMLP } from '../src/nn/model.js';
import { Network } from '../src/nn/network.js';
import { networkBytes } from '../src/nn/budget.js';
import { loadKernelsSync } from '../src/kernels/load.js';

const dir = mkdtempSync(join(tmpdir(), 'pk-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withHeaderLength(n: number, fileBytes: number): Uint8Array {
  const b = new Uint8Array(fileBytes);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

describe('safetensors header-length messages state a true comparison', () => {
  it('over the 100 MB limit but inside a larger file: blames the limit only', () => {
    const bytes = withHeaderLength(MAX_HEADER_BYTES + 1, MAX_HEADER_BYTES + 64);
    expect(() => decodeSafetensors(bytes)).toThrow(
      new RegExp(`^safetensors: header length ${MAX_HEADER_BYTES + 1} \\(bytes 0–7\\) exceeds the ${MAX_HEADER_BYTES}-byte limit$`),
    );
  });
  it('over the limit and past the end of the file: says both', () => {
    expect(() => decodeSafetensors(withHeaderLength(2 ** 40, 64))).toThrow(/exceeds the 100000000-byte limit \(and the 56 bytes after it\)/);
  });
  it('within the limit but past the end of the file: blames the file size only', () => {
    expect(() => decodeSafetensors(withHeaderLength(1000, 64))).toThrow(/^safetensors: header length 1000 \(bytes 0–7\) exceeds the 56 bytes after it$/);
  });
});

describe('writeFileAtomic: no signal handlers, and leftovers of killed writers are cleaned', () => {
  it('installs no signal handlers (a host application owns them)', () => {
    const before = ['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s));
    writeFileAtomic(join(dir, 'x.bin'), 'hello');
    expect(['SIGINT', 'SIGTERM'].map((s) => process.listenerCount(s))).toEqual(before);
  });

  it('no library module calls process.exit or installs a process signal handler (only src/cli may)', () => {
    const root = new URL('../src/', import.meta.url).pathname;
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) {
          if (relative(root, p) !== 'cli') walk(p);
        } else if (/\.ts$/.test(e.name) && /process\.exit\(|process\.(on|once|addListener)\(\s*['"]SIG/.test(readFileSync(p, 'utf8')))
          offenders.push(relative(root, p));
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });

  it('the next write removes temp files of dead writers and old ones, and nothing else', () => {
    const target = join(dir, 'model.safetensors');
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!; // has exited by now
    const t = Date.now();
    const dead = join(dir, `.model.safetensors.${deadPid}.${t}.tmp`);
    const alive = join(dir, `.model.safetensors.${process.ppid}.${t}.tmp`); // a running process
    const old = join(dir, `.model.safetensors.${process.ppid}.${t - 1}.tmp`);
    const other = join(dir, `.other.safetensors.${deadPid}.${t}.tmp`); // another target's
    const notOurs = join(dir, `.model.safetensors.backup.tmp`); // not our naming
    for (const f of [dead, alive, old, other, notOurs]) writeFileSync(f, 'partial');
    const longAgo = (Date.now() - STALE_TEMP_MS - 60_000) / 1000;
    utimesSync(old, longAgo, longAgo);
    writeFileAtomic(target, 'new');
    expect(readFileSync(target, 'utf8')).toBe('new');
    expect([dead, alive, old, other, notOurs].map(existsSync)).toEqual([false, true, false, true, true]);
  });
});

describe('networks too big for wasm memory are refused before anything is allocated', () => {
  it('createMLP refuses [4, 30000, 30000, 3] and a width of 10⁹ at once, naming the limit', () => {
    for (const sizes of [
      [4, 30000, 30000, 3],
      [4, 1e9, 3],
    ]) {
      const t0 = performance.now();
      expect(() => createMLP({ sizes, activation: 'relu', seed: 1 })).toThrow(
        /createMLP: layer sizes .* weights; .* needs [\d.]+ GB of WebAssembly memory .*4 GiB limit/,
      );
      expect(performance.now() - t0).toBeLessThan(5000); // before the check: 91 s and 7 GB
    }
  });
  it('Network refuses a batch whose activations cannot fit, without moving the arena', () => {
    const k = loadKernelsSync({ flavor: 'scalar' });
    const m = createMLP({ sizes: [4, 1000, 3], activation: 'relu', seed: 1 });
    const top = k.heapTop();
    expect(() => new Network(k, m, 400_000)).toThrow(/Network: .* at batch 400000 needs/);
    expect(k.heapTop()).toBe(top);
  });
  it('networkBytes matches what a Network really allocates (to the arena alignment)', () => {
    const k = loadKernelsSync({ flavor: 'scalar' });
    const m = createMLP({ sizes: [7, 33, 5, 3], activation: 'relu', seed: 1 });
    m.layers.forEach((l) => {
      l.mask = new Uint8Array(l.weight.length).fill(1);
    });
    const top = k.heapTop();
    new Network(k, m, 17);
    const used = k.heapTop() - top;
    const est = networkBytes({ sizes: [7, 33, 5, 3], batch: 17 });
    expect(est).toBeGreaterThanOrEqual(used);
    expect(est - used).toBeLessThan(64 * 20);
    k.reset(top);
  });
});

describe('model files with zero or miscounted classes are refused', () => {
  it('a compact file whose last layer has no outputs', async () => {
    const { decodeModel } = await import('../src/sparse/format.js');
    const { encodeSafetensors } = await import('../src/util/safetensors.js');
    // Written by hand: encodeModel itself refuses such a model.
    const meta = { layers: [{ activation: 'identity', layout: 'dense', shape: [0, 2], values: 'f32' }], features: [], labels: [], provenance: {} };
    const bytes = encodeSafetensors(
      new Map([
        ['layers.0.weight', { dtype: 'F32' as const, shape: [0, 2], data: new Float32Array(0) }],
        ['layers.0.bias', { dtype: 'F32' as const, shape: [0], data: new Float32Array(0) }],
      ]),
      { format: 'prunekit', format_version: '1', kind: 'compact', prunekit: JSON.stringify(meta) },
    );
    expect(() => decodeModel(bytes)).toThrow(/the last layer has 0 outputs; a classifier needs at least one class/);
  });
  it('a training file naming fewer classes than its outputs', async () => {
    const { encodeMLP, decodeMLP } = await import('../src/nn/io.js');
    const m = createMLP({ sizes: [2, 3], activation: 'relu', seed: 1 });
    m.preprocessing.labelNames = ['only'];
    expect(() => decodeMLP(encodeMLP(m), 'f.st')).toThrow(/f\.st: metadata names 1 classes, the last layer has 3 outputs/);
  });
});

describe('prediction columns picked by name are never picked twice', () => {
  it('a model naming two features alike cannot pick columns by name', async () => {
    const { readCsvFeatures } = await import('../src/data/csv.js');
    const f = join(dir, 'pick.csv');
    writeFileSync(f, 'a,b\n1,2\n3,4\n');
    await expect(readCsvFeatures(f, { featureNames: ['a', 'a'], expectFeatures: 2 })).rejects.toThrow(
      /the model names two features "a", so columns cannot be picked by name/,
    );
    const ok = await readCsvFeatures(f, { featureNames: ['b', 'a'], expectFeatures: 2 });
    expect(Array.from(ok.features)).toEqual([2, 1, 4, 3]);
  });
});
