import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { supportedFlavors } from '../src/kernels/load.js';
import { WASM_FLAVORS } from '../src/kernels/flavors.js';
import { LR_SCHEDULE_NAMES, scheduledRate } from '../src/nn/lr-schedule.js';
import { pruneModel, type PruneContext } from '../src/prune/prune.js';
import { PRUNING_SCHEDULE_NAMES, PRUNING_SCHEDULES } from '../src/prune/schedules.js';
import {
  COMMAND_LINE_CRITERIA,
  CRITERIA,
  CRITERION_NAMES,
  MovementTracker,
  RangeTracker,
  scoreModel,
  type CriterionInputs,
  type Need,
} from '../src/prune/criteria.js';
import { criteriaHelp } from '../src/cli/choices.js';
import { sweepArgs } from '../src/cli/commands/sweep.js';
import { tinyModel } from './helpers/models.js';

// Every input any criterion can need, for a 4-3-2 model; the registry decides which one each reads.
function allInputs(): Required<CriterionInputs> {
  const m = tinyModel([4, 3, 2], 1);
  const w0 = tinyModel([4, 3, 2], 2);
  const tracker = new RangeTracker(w0);
  tracker.observe(m);
  const like = (v: number) => m.layers.map((L) => new Float32Array(L.weight.length).fill(v));
  const movement = new MovementTracker(m);
  movement.observe(like(0.5), like(-0.1));
  const calibration = { features: Float32Array.from({ length: 5 * 4 }, (_, i) => Math.sin(i)), nSamples: 5, nFeatures: 4 };
  return {
    seed: 7,
    initial: w0,
    tracker,
    movement,
    gradients: { grads: like(0.5), sqGrads: like(0.25), fisher: like(0.3) },
    userScores: like(1),
    calibration,
    dampening: 0.01,
    obsCurvature: 'layer',
    obsBlock: 16,
  };
}

describe('CRITERIA registry: every criterion, one contract', () => {
  it('lists the command-line names (everything but the library-only user scores)', () => {
    expect([...COMMAND_LINE_CRITERIA].sort()).toEqual(['displacement', 'magnitude', 'movement', 'obd', 'obs', 'random', 'range', 'taylor']);
    expect(CRITERION_NAMES).toContain('user');
  });

  for (const name of CRITERION_NAMES) {
    const c = CRITERIA[name];
    it(`${name}: with its needs (${c.needs.join(', ') || 'none'}) it scores every weight with a finite number`, () => {
      const m = tinyModel([4, 3, 2], 1);
      const scores = scoreModel(m, name, allInputs());
      expect(scores.map((s) => s.length)).toEqual(m.layers.map((L) => L.weight.length));
      expect(scores.every((s) => s.every(Number.isFinite))).toBe(true);
    });
    for (const need of c.needs) {
      it(`${name}: without ${need} it refuses and says what is missing`, () => {
        const inputs: CriterionInputs = allInputs();
        delete inputs[need as Need];
        expect(() => scoreModel(tinyModel([4, 3, 2], 1), name, inputs)).toThrow(new RegExp(`criterion ${name} needs .*${need}`));
      });
    }
    it(`${name}: has a one-line description`, () => {
      expect(c.describe).toMatch(/^[^\n]{5,80}$/);
    });
  }

  it('an unknown name is refused', () => {
    expect(() => scoreModel(tinyModel([4, 3, 2], 1), 'nope' as never)).toThrow(/unknown criterion 'nope'/);
  });

  it('the command-line help lists every command-line criterion with its description', () => {
    const help = criteriaHelp(4);
    for (const name of COMMAND_LINE_CRITERIA) expect(help).toMatch(new RegExp(`^ {4}${name} +\\S`, 'm'));
    for (const name of COMMAND_LINE_CRITERIA) expect(help).toContain(CRITERIA[name].describe);
    expect(help).not.toContain(CRITERIA.user.describe);
  });
});

describe('PRUNING_SCHEDULES registry: every schedule reaches its target through pruneModel', () => {
  // A trainer that changes nothing: the schedules' own bookkeeping is what is under test.
  const ctx: PruneContext = { fineTune: async () => undefined, stepsPerEpoch: 3, evaluate: () => ({ accuracy: 1, loss: 0 }) };
  for (const name of PRUNING_SCHEDULE_NAMES) {
    it(`${name}: 60% sparsity, steps recorded, input untouched`, async () => {
      const input = tinyModel([6, 5, 3], 3);
      const before = input.layers.map((L) => L.weight.slice());
      // A rewinding schedule needs the weights to rewind to (a model with no training history has none).
      const rewindTo = PRUNING_SCHEDULES[name].rewinds ? tinyModel([6, 5, 3], 4) : undefined;
      const { model, steps } = await pruneModel(input, ctx, {
        amount: { sparsity: 0.6 },
        schedule: name,
        finetuneEpochs: 2,
        scope: 'global',
        minDensity: 0,
        rewindTo,
      });
      const n = model.layers.reduce((a, L) => a + L.weight.length, 0);
      const z = model.layers.reduce((a, L) => a + L.weight.filter((w) => w === 0).length, 0);
      expect(z).toBe(Math.round(0.6 * n));
      expect(steps.length).toBeGreaterThan(1);
      expect(input.layers.map((L) => L.weight)).toEqual(before);
    });
    if (PRUNING_SCHEDULES[name].needsSparsity) {
      it(`${name}: a percentile instead of a sparsity is refused`, async () => {
        await expect(pruneModel(tinyModel([6, 5, 3], 3), ctx, { amount: { percentile: 50 }, schedule: name })).rejects.toThrow(/needs a target sparsity/);
      });
    }
  }
  it('an unknown schedule is refused', async () => {
    await expect(pruneModel(tinyModel([6, 5, 3], 3), ctx, { amount: { sparsity: 0.5 }, schedule: 'nope' as never })).rejects.toThrow(/unknown schedule 'nope'/);
  });
});

describe('LR_SCHEDULES registry', () => {
  for (const name of LR_SCHEDULE_NAMES) {
    it(`${name}: starts at lr₀ and never rises above it over 10 epochs`, () => {
      const o = { name, lr: 0.1, epochs: 10 };
      expect(scheduledRate(o, 0, 0)).toBeCloseTo(0.1, 12);
      for (let e = 1; e < 10; e++) expect(scheduledRate(o, e, e * 100)).toBeLessThanOrEqual(0.1);
    });
  }
});

describe('KERNEL_FLAVORS registry', () => {
  it('the wasm flavours are exactly the build targets in asconfig.json', () => {
    const targets = Object.keys(JSON.parse(readFileSync(new URL('../asconfig.json', import.meta.url), 'utf8')).targets);
    expect([...targets].sort()).toEqual([...WASM_FLAVORS].sort());
  });
  it('the loader offers a subset of them, in the registry order (best first)', () => {
    const supported = supportedFlavors();
    expect(supported).toEqual(WASM_FLAVORS.filter((f) => supported.includes(f)));
  });
});

describe('the command line takes its choices from the registries', () => {
  it('sweep --criteria all / --schedule all expand to every command-line entry', () => {
    const a = sweepArgs({ data: 'iris', report: 'out-dir-not-created', criteria: 'all', schedule: 'all' });
    expect(a.criteria).toEqual(COMMAND_LINE_CRITERIA);
    expect(a.schedules).toEqual(PRUNING_SCHEDULE_NAMES);
  });
  it('a name outside the registry is a usage error that lists the choices', () => {
    expect(() => sweepArgs({ data: 'iris', report: 'x', criteria: 'magnitude,user' })).toThrow(/expected one of .*magnitude.*taylor.*got 'user'/);
    expect(() => sweepArgs({ data: 'iris', report: 'x', 'lr-schedule': 'warmup' })).toThrow(new RegExp(LR_SCHEDULE_NAMES.join('\\|')));
  });
});
