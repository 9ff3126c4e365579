/**
 * Sweeps beyond one process: `sweep --shard i/n` slices + `prunekit merge`, and `sweep --jobs N`,
 * give the points of the one-process sweep (everything but the measured times), on tiny data.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { longestFirst, runSweep, shardOfUnits, sweepUnits, type SweepOptions } from '../src/report/sweep.js';
import { SweepWorkerError } from '../src/report/sweep-pool.js';
import { loadData } from '../src/data/index.js';
import { mergeSweepReports } from '../src/report/merge.js';
import { renderReport } from '../src/report/html.js';
import type { SweepPoint, SweepReport } from '../src/report/report-types.js';
import { runCli as run } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'prunekit-shards-'));
// 2 iterative chains + 2 scopes × 2 sparsities one-shot points = 6 units
const SWEEP = [
  'sweep',
  '--data',
  'iris',
  '--hidden',
  '6',
  '--epochs',
  '4',
  '--batch',
  '16',
  '--sparsities',
  '0.5,0.8',
  '--scope',
  'layer,global',
  '--schedule',
  'iterative,oneshot',
  '--finetune-epochs',
  '1',
  '--runs',
  '1',
];
const read = (d: string): SweepReport => JSON.parse(readFileSync(join(d, 'report.json'), 'utf8'));

/** The report without what is measured in time (latencies, seconds, dates) or worded from it. */
function results(r: SweepReport) {
  return {
    title: r.title,
    data: r.data,
    model: r.model,
    dense: { ...r.dense, trainSeconds: 0, latency: {}, epochs: r.dense.epochs.map((e) => ({ ...e, seconds: 0 })) },
    points: r.points.map((p) => ({ ...p, latency: {}, pruneSeconds: 0, fineTuneEpochSeconds: 0 })),
  };
}

describe('sweep shards and jobs', () => {
  it('slices the grid into units, each in exactly one shard', () => {
    const units = sweepUnits({ criteria: ['magnitude'], scopes: ['layer', 'global'], schedules: ['iterative', 'oneshot'], sparsities: [0.8, 0.5] });
    expect(units.map((u) => `${u.scope}/${u.schedule}/${u.targets.join('+')}`)).toEqual([
      'layer/iterative/0.5+0.8',
      'layer/oneshot/0.5',
      'layer/oneshot/0.8',
      'global/iterative/0.5+0.8',
      'global/oneshot/0.5',
      'global/oneshot/0.8',
    ]);
    for (const count of [1, 2, 3, 7]) {
      const shards = shardOfUnits(units, count);
      expect(shards).toHaveLength(units.length);
      for (const s of shards) expect(s >= 1 && s <= count).toBe(true);
      expect(shardOfUnits(units, count)).toEqual(shards); // deterministic
    }
  });

  it('balances the shards by estimated cost: the slow low-sparsity points are spread out', () => {
    // one-shot points in grid order: layer 0.5, 0.8, 0.9, 0.95, then global the same; u mod 2
    // would give shard 1 both 50% points and both 90% points
    const units = sweepUnits({ criteria: ['magnitude'], scopes: ['layer', 'global'], schedules: ['oneshot'], sparsities: [0.5, 0.8, 0.9, 0.95] });
    const shards = shardOfUnits(units, 2);
    expect(shards[0]).not.toBe(shards[4]); // the two 50% points
    expect(shards[2]).not.toBe(shards[6]); // the two 90% points
    const cost = (s: number) => units.reduce((sum, u, i) => sum + (shards[i] === s ? u.targets.reduce((a, t) => a + (1 - t) + 0.5, 0) : 0), 0);
    expect(Math.abs(cost(1) - cost(2))).toBeLessThan(1e-9);
    // more shards than units: every unit still runs once, some shards are empty
    expect(new Set(shardOfUnits(units.slice(0, 3), 7)).size).toBe(3);
  });

  it('--shard 1/2 + --shard 2/2 + merge, and --jobs 2, equal the one-process sweep', async () => {
    const whole = await run([...SWEEP, '--report', join(dir, 'whole')]);
    expect(whole.code, whole.err).toBe(0);
    for (const i of [1, 2]) {
      const s = await run([...SWEEP, '--shard', `${i}/2`, '--report', join(dir, `s${i}`)]);
      expect(s.code, s.err).toBe(0);
      expect(read(join(dir, `s${i}`)).shard).toMatchObject({ index: i, count: 2, units: 6 });
    }
    expect(read(join(dir, 's1')).points).toHaveLength(4); // units 0, 2, 4: a chain of 2 points, then 1 + 1
    // shards given in any order
    const m = await run(['merge', join(dir, 's2'), join(dir, 's1', 'report.json'), '--report', join(dir, 'merged')]);
    expect(m.code, m.err).toBe(0);
    const merged = read(join(dir, 'merged'));
    expect(merged.shard).toBeUndefined();
    expect(results(merged)).toEqual(results(read(join(dir, 'whole'))));
    expect(readFileSync(join(dir, 'merged', 'report.html'), 'utf8')).toMatch(/<svg/);

    const jobs = await run([...SWEEP, '--jobs', '2', '--report', join(dir, 'jobs')]);
    expect(jobs.code, jobs.err).toBe(0);
    expect(results(read(join(dir, 'jobs')))).toEqual(results(read(join(dir, 'whole'))));
    // the merged report names the command the user ran, not a child's temporary --report
    expect(read(join(dir, 'jobs')).command).toContain(`--jobs 2 --report ${join(dir, 'jobs')}`);
  }, 180_000);

  it("merge keeps the sweep's command (without --shard, --report the merged folder) and records the merge beside it", () => {
    const sweep = 'prunekit sweep --data iris --sparsities 0.5,0.8';
    const s1 = { ...read(join(dir, 's1')), command: `${sweep} --shard 1/2 --report out/s1` },
      s2 = { ...read(join(dir, 's2')), command: `${sweep} --report out/s2 --shard=2/2` };
    const mergeCmd = 'prunekit merge out/s1 out/s2 --report out/all';
    const merged = mergeSweepReports(
      [
        { source: 'a.json', report: s1 },
        { source: 'b.json', report: s2 },
      ],
      mergeCmd,
      'out/all',
    );
    expect(merged.command).toBe(`${sweep} --report out/all`);
    expect(merged.merge).toEqual({ command: mergeCmd, shardCommands: [s1.command, s2.command] });
    expect(renderReport(merged)).toContain('run as 2 shards, joined by:');
  });

  it('merge refuses a missing or repeated shard, a report of no shard, and shards of another sweep', async () => {
    const s1 = read(join(dir, 's1')),
      s2 = read(join(dir, 's2'));
    expect(() => mergeSweepReports([{ source: 'a.json', report: s1 }])).toThrow(/missing shard 2\/2/);
    expect(() =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 'b.json', report: s1 },
      ]),
    ).toThrow(/shard 1\/2 given twice \(a.json and b.json\)/);
    expect(() => mergeSweepReports([{ source: 'w.json', report: read(join(dir, 'whole')) }])).toThrow(/w.json is not the report of a shard/);
    const other = { ...s2, dense: { ...s2.dense, accuracy: s2.dense.accuracy + 0.01 } };
    expect(() =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 'b.json', report: other },
      ]),
    ).toThrow(/b.json differs from a.json/);
    // another grid with as many units (0.9 for 0.8): the dense model agrees, the settings do not
    const otherGrid = SWEEP.map((a) => (a === '0.5,0.8' ? '0.5,0.9' : a));
    const g = await run([...otherGrid, '--shard', '2/2', '--report', join(dir, 'g2')]);
    expect(g.code, g.err).toBe(0);
    expect(read(join(dir, 'g2')).shard!.units).toBe(s2.shard!.units);
    expect(() =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 'g.json', report: read(join(dir, 'g2')) },
      ]),
    ).toThrow(/g.json was run with other sweep settings than a.json \(--sparsities\)/);
    expect(() =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 'bad.json', report: { ...s2, shard: { ...s2.shard!, pointUnits: null as unknown as number[] } } },
      ]),
    ).toThrow(/bad.json has a malformed "shard" field/);
    // a point that is not one: named, not dereferenced (it was a TypeError from the latency median)
    for (const [point, problem] of [
      [{ foo: 1 }, 'has no string "criterion"'],
      [7, 'is not an object'],
      [{ ...s2.points[0], latency: {} }, `has no latency for batch ${Object.keys(s2.dense.latency)[0]}`],
      [{ ...s2.points[0], bytes: '12' }, 'has no number "bytes"'],
      [{ ...s2.points[0], loss: undefined }, 'has no number "loss"'], // report.html reads it
      [{ ...s2.points[0], layers: [7] }, 'layers[0] is not a layer'],
      [
        { ...s2.points[0], latency: { ...s2.points[0].latency, 7: { dense_us: 1, sparse_us: 1 } } },
        "has a latency for batch 7, which the report's dense latency does not have",
      ],
      [{ ...s2.points[0], smallFile: 'x' }, 'has a "smallFile" that is not an object'],
    ] as const) {
      expect(() =>
        mergeSweepReports([
          { source: 'a.json', report: s1 },
          { source: 'pts.json', report: { ...s2, points: [s2.points[0], point as unknown as SweepPoint] } },
        ]),
      ).toThrow(`merge: pts.json: points[1] ${problem}`);
    }
    // the shard fields that order the points: each unit in one shard, every unit in some shard
    const units = s2.shard!.units;
    const tamper = (shard: Partial<NonNullable<SweepReport['shard']>>) => () =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 't.json', report: { ...s2, shard: { ...s2.shard!, ...shard } } },
      ]);
    expect(tamper({ pointUnits: s2.shard!.pointUnits.map(() => units) })).toThrow(
      `merge: t.json: shard.pointUnits holds ${units}, expected units 0–${units - 1}`,
    );
    expect(tamper({ pointUnits: s2.shard!.pointUnits.map(() => 'x' as unknown as number) })).toThrow('shard.pointUnits holds "x"');
    expect(tamper({ pointUnits: s2.shard!.pointUnits.map(() => s1.shard!.pointUnits[0]) })).toThrow(
      `merge: unit ${s1.shard!.pointUnits[0]} of the grid is in both a.json and t.json`,
    );
    expect(new Set(s2.shard!.pointUnits).size).toBeGreaterThan(1);
    expect(tamper({ pointUnits: s2.shard!.pointUnits.map(() => s2.shard!.pointUnits[0]) })).toThrow(/^merge: no shard holds units? [\d, ]+ of the grid$/);
    expect(tamper({ index: 3 })).toThrow('merge: t.json claims to be shard 3/2');
    expect(tamper({ count: -1 })).toThrow('t.json has a malformed "shard" field');
    expect(() =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 'nc.json', report: { ...s2, command: 7 as unknown as string } },
      ]),
    ).toThrow('merge: nc.json is not a sweep report (expected a "command" string, a "machine" object and the dense run\'s "epochs")');
    const { grid: _grid, ...noGrid } = s2.shard!;
    expect(() =>
      mergeSweepReports([
        { source: 'a.json', report: s1 },
        { source: 'old.json', report: { ...s2, shard: noGrid } },
      ]),
    ).toThrow(/old.json was run with other sweep settings than a.json \(grid/);
    // through the command: a runtime failure (exit 1) naming the problem, nothing written
    for (const [name, text] of [
      ['null.json', 'null'],
      ['list.json', '[1, 2]'],
      ['nolatency.json', '{"dense": {}, "points": [], "shard": {"index": 2, "count": 2, "units": 6, "pointUnits": []}}'],
    ]) {
      writeFileSync(join(dir, name), text);
      const r = await run(['merge', join(dir, 's1'), join(dir, name), '--report', join(dir, 'never')]);
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain(`${name} is not a sweep report (expected an object with "dense" and "points")`);
      expect(r.err).toMatch(/^prunekit merge: /);
      expect(r.err).not.toMatch(/merge: merge:/); // the command is named once
    }
    // the merged report may not go where a shard's report is read from: it would be overwritten
    const before = readFileSync(join(dir, 's1', 'report.json'), 'utf8');
    const over = await run(['merge', join(dir, 's1'), join(dir, 's2'), '--report', join(dir, 's1')]);
    expect(over.code).toBe(2);
    expect(over.err).toContain(`holds the shard report ${join(dir, 's1', 'report.json')}: the merge would write over it`);
    expect(readFileSync(join(dir, 's1', 'report.json'), 'utf8')).toBe(before);
    const empty = await run(['merge', join(dir, 's1'), join(dir, 's2'), '--report', '']);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('--report: expected a folder, got an empty name');
    writeFileSync(join(dir, 'bad.json'), '{ not json');
    const bad = await run(['merge', join(dir, 'bad.json'), '--report', join(dir, 'never')]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad.json: not a sweep report/);
    expect((await run(['merge', join(dir, 's1'), '--report', join(dir, 'never')])).err).toMatch(/missing shard 2\/2/);
    expect((await run(['merge', '--report', join(dir, 'never')])).code).toBe(2);
    expect((await run([...SWEEP, '--shard', '3/2', '--report', join(dir, 'never')])).code).toBe(2);
    expect((await run([...SWEEP, '--shard', '1/2', '--jobs', '2', '--report', join(dir, 'never')])).code).toBe(2);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  }, 60_000);

  it('takes the units longest-estimated-first: the low-sparsity points and the chains before the rest', () => {
    const units = sweepUnits({ criteria: ['magnitude'], scopes: ['layer'], schedules: ['iterative', 'oneshot'], sparsities: [0.9, 0.5] });
    // 0: the chain 50% + 90% (cost 2.6), 1: one-shot 50% (1.0), 2: one-shot 90% (0.6)
    expect(longestFirst(units)).toEqual([0, 1, 2]);
    expect(longestFirst(units, [2, 1])).toEqual([1, 2]);
    const ties = sweepUnits({ criteria: ['magnitude'], scopes: ['layer', 'global'], schedules: ['oneshot'], sparsities: [0.9, 0.5] });
    expect(longestFirst(ties)).toEqual([0, 2, 1, 3]); // equal costs keep grid order
  });

  // The library's pooled sweep, on criteria and a schedule that read the dense model's history
  // (range, movement, the lottery rewind point): the workers must get the history, not only the weights.
  const LIB: Omit<SweepOptions, 'data'> = {
    dataSpec: 'iris',
    hidden: [6],
    activation: 'relu',
    seed: 3,
    train: { epochs: 3, batchSize: 16 },
    sparsities: [0.5, 0.8],
    criteria: ['range', 'movement'],
    scopes: ['layer'],
    schedules: ['iterative', 'lottery'],
    finetuneEpochs: 1,
    rewindEpoch: 1,
    runs: 1,
    batches: [1],
  };

  it('jobs 2 (worker threads) gives the points of jobs 1, history-based criteria and lottery included', async () => {
    const data = await loadData('iris', { seed: 3 });
    const one = await runSweep({ ...LIB, data });
    const two = await runSweep({ ...LIB, data, jobs: 2 });
    expect(one.report.points).toHaveLength(8);
    expect(results(two.report)).toEqual(results(one.report));
    // a shard can run in threads too: its points are the same slice
    const shard = await runSweep({ ...LIB, data, jobs: 2, shard: { index: 2, count: 2 } });
    const alone = await runSweep({ ...LIB, data, shard: { index: 2, count: 2 } });
    expect(results(shard.report)).toEqual(results(alone.report));
    expect(shard.report.shard).toEqual(alone.report.shard);
  }, 120_000);

  it('a shard that gets no unit (more shards than units) reports the dense model and no point; jobs past the cores or 64 still train', async () => {
    const data = await loadData('iris', { seed: 3 });
    const one = { ...LIB, criteria: ['magnitude'] as SweepOptions['criteria'], schedules: ['iterative'] as SweepOptions['schedules'] }; // one unit: one chain
    const empty = await runSweep({ ...one, data, shard: { index: 2, count: 2 } });
    expect(empty.report.points).toEqual([]);
    expect(empty.report.dense.latency).toEqual({});
    expect(empty.report.dense.accuracy).toBeGreaterThan(0);
    // merged with the shard that has the unit, in either order: the dense latency is the points' median
    const full = await runSweep({ ...one, data, shard: { index: 1, count: 2 } });
    for (const order of [
      [empty, full],
      [full, empty],
    ]) {
      const merged = mergeSweepReports(order.map((r, i) => ({ source: `s${i}.json`, report: r.report })));
      expect(Object.keys(merged.dense.latency).sort()).toEqual(Object.keys(full.report.dense.latency).sort());
      expect(Object.keys(merged.dense.latency).length).toBeGreaterThan(0);
    }
    // --jobs 100: the dense training's threads are capped (cores, 64), the model is the same
    const many = await runSweep({ ...one, data, jobs: 100 });
    const serial = await runSweep({ ...one, data });
    expect(results(many.report)).toEqual(results(serial.report));
  }, 120_000);

  it('a unit that fails in a worker thread rejects with an error naming it, and leaves no thread behind; so does a failed training', async () => {
    const data = await loadData('iris', { seed: 3 });
    // the process's OS threads; Node and V8 start some of their own lazily (libuv's pool, compiler
    // threads), and a terminated worker's thread exits a moment after terminate() resolves: so the
    // baseline is taken after one pooled sweep has run, and each count waits up to 3 s to settle
    const threads = () => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : 0);
    const settled = async (want: number) => {
      for (let i = 0; i < 60 && threads() > want; i++) await new Promise((r) => setTimeout(r, 50));
      return threads();
    };
    // 99-bit codebooks: the dense model's compact file (f32) is fine, every point's fails in compact
    const failing = () => runSweep({ ...LIB, data, jobs: 2, values: 'kmeans', bits: 99 });
    await expect(failing()).rejects.toThrow(SweepWorkerError);
    await new Promise((r) => setTimeout(r, 500));
    const before = threads();
    const bad = failing();
    await expect(bad).rejects.toThrow(SweepWorkerError);
    await expect(bad).rejects.toThrow(/sweep: (range|movement)\/layer\/iterative 50\.0%, 80\.0% failed in a worker thread: kmeans: bits must be 1…8/);
    expect(await settled(before)).toBe(before);
    // the pool starts before the dense training: a training that fails ends its threads too
    await expect(runSweep({ ...LIB, data, jobs: 2, rewindEpoch: 9 })).rejects.toThrow(/rewind epoch 9 is after the last training epoch/);
    expect(await settled(before)).toBe(before);
    await expect(runSweep({ ...LIB, data, jobs: 2, keepModels: true })).rejects.toThrow(/keepModels needs jobs 1/);
  }, 120_000);
});
