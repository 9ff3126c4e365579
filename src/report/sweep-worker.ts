/**
 * A worker thread of the pooled sweep (src/report/sweep-pool.ts). Set up once from the pool's
 * workerData (the data in shared memory, the dense model and its history cloned); then each task
 * is one unit of the grid, run by the same `unitRunner` as the one-thread sweep.
 */
import Tinypool from 'tinypool';
import { MovementTracker, RangeTracker, type TrainingHistory } from '../nn/history.js';
import { unitRunner, type SweepUnit, type UnitSetup } from './sweep-unit.js';
import type { PooledPoint } from './sweep-pool.js';

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

export default async function runUnit(unit: SweepUnit): Promise<PooledPoint[]> {
  if (!run) {
    const setup = Tinypool.workerData as UnitSetup;
    run = unitRunner({ ...setup, dense: { ...setup.dense, history: restoreHistory(setup.dense.history) } });
  }
  return (await run(unit)).map(({ point, line }) => ({ point, line }));
}
