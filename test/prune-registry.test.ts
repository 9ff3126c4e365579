import { describe, expect, it } from 'vitest';
import { COMMAND_LINE_CRITERIA, CRITERIA, CRITERION_NAMES, MovementTracker, RangeTracker, scoreModel, type CriterionInputs, type Need } from '../src/prune/criteria.js';
import { CRITERIA_HELP } from '../src/cli/choices.js';
import { tinyModel } from './prune-helpers.js';

// Every input any criterion can need, for a 4-3-2 model; the registry decides which one each reads.
function allInputs(): Required<CriterionInputs> {
  const m = tinyModel([4, 3, 2], 1);
  const w0 = tinyModel([4, 3, 2], 2);
  const tracker = new RangeTracker(w0);
  tracker.observe(m);
  const like = (v: number) => m.layers.map((L) => new Float32Array(L.weight.length).fill(v));
  const movement = new MovementTracker(m);
  movement.observe(like(0.5), like(-0.1));
  return { seed: 7, initial: w0, tracker, movement, gradients: { grads: like(0.5), sqGrads: like(0.25), fisher: like(0.3) }, userScores: like(1) };
}

describe('CRITERIA registry: every criterion, one contract', () => {
  it('lists the command-line names (everything but the library-only user scores)', () => {
    expect([...COMMAND_LINE_CRITERIA].sort()).toEqual(['displacement', 'magnitude', 'movement', 'obd', 'random', 'range', 'taylor']);
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
    for (const name of COMMAND_LINE_CRITERIA) expect(CRITERIA_HELP).toContain(`${name}`);
    for (const name of COMMAND_LINE_CRITERIA) expect(CRITERIA_HELP).toContain(CRITERIA[name].describe);
    expect(CRITERIA_HELP).not.toContain('user');
  });
});
