/**
 * A worker thread of the pooled sweep (src/report/sweep-pool.ts). Set up once, from its first task's
 * setup (the data, the dense model and its history in shared memory); then each task is one unit of
 * the grid, run by the same `unitRunner` as the one-thread sweep.
 */
import { MovementTracker, RangeTracker, type TrainingHistory } from '../nn/history.js';
import { unitRunner } from './sweep-unit.js';
import type { PooledPoint, PooledTask } from './sweep-pool.js';

/** The history's trackers again (a structured clone keeps their fields, not their classes). */
function restoreHistory(h: TrainingHistory | undefined): TrainingHistory | undefined {
  if (!h) return h;
  return {
    ...h,
    range: h.range && RangeTracker.fromState(h.range.min, h.range.max, h.range.snapshots),
    movement: h.movement && MovementTracker.fromState(h.movement.scores, h.movement.steps),
  };
}

let run: ReturnType<typeof unitRunner> | undefined;

/** Runs one unit; the first task's setup sets this thread up (a pool serves one sweep: every task's setup is the same). */
export default async function runUnit({ unit, setup }: PooledTask): Promise<PooledPoint[]> {
  if (!run) {
    run = unitRunner({ ...setup, dense: { ...setup.dense, history: restoreHistory(setup.dense.history) } });
  }
  return (await run(unit)).map(({ point, line }) => ({ point, line }));
}
