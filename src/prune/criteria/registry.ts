/**
 * The criteria, one line each: `export { name } from './name.js'`, where `name.ts` exports a
 * `Criterion` (needs, describe, score). Everything else — the CriterionName type, CLI choices and
 * help, the sweep's grid, the tests that run every criterion — is derived from this list.
 */
export { magnitude } from './magnitude.js';
export { random } from './random.js';
export { movement } from './movement.js';
export { displacement } from './displacement.js';
export { range } from './range.js';
export { taylor } from './taylor.js';
export { obd } from './obd.js';
export { user } from './user.js';
export { obs } from './obs.js';
