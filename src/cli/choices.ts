/**
 * Flag choices and their help lines, derived from the library's registries, so a new criterion,
 * schedule or kernel build appears on the command line without touching the commands.
 */
import { KERNEL_FLAVOR_NAMES, KERNEL_FLAVORS, WASM_FLAVORS } from '../kernels/flavors.js';
import { LR_SCHEDULE_NAMES, LR_SCHEDULES } from '../nn/lr-schedule.js';
import { SPARSE_KERNELS } from '../nn/sparse-layer.js';
import { COMMAND_LINE_CRITERIA, CRITERIA } from '../prune/criteria.js';
import { PRUNING_SCHEDULE_NAMES, PRUNING_SCHEDULES } from '../prune/schedules.js';

/**
 * One help line per choice, `name  description`, names padded to one column that starts at
 * `column` (two spaces right of where the command's flag descriptions start).
 */
export function describeChoices(entries: Readonly<Record<string, { describe: string }>>, names: readonly string[], column: number): string {
  const w = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${' '.repeat(column)}${n.padEnd(w)}  ${entries[n].describe}`).join('\n');
}

export const CRITERION_CHOICES = COMMAND_LINE_CRITERIA;
export const criteriaHelp = (column: number) => describeChoices(CRITERIA, CRITERION_CHOICES, column);

export const PRUNING_SCHEDULE_CHOICES = PRUNING_SCHEDULE_NAMES;
export const pruningSchedulesHelp = (column: number) => describeChoices(PRUNING_SCHEDULES, PRUNING_SCHEDULE_CHOICES, column);

export const LR_SCHEDULE_CHOICES = LR_SCHEDULE_NAMES;
export const lrSchedulesHelp = (column: number) => describeChoices(LR_SCHEDULES, LR_SCHEDULE_CHOICES, column);

/** --sparse-kernels: which masked layers train and evaluate on the CSR kernels (`TrainConfig.sparse`). */
export const SPARSE_KERNEL_CHOICES = SPARSE_KERNELS;
export const sparseKernelsHelp = (flagColumn: number, column: number) =>
  `${' '.repeat(flagColumn)}${'--sparse-kernels MODE'.padEnd(column - flagColumn - 2)}  masked layers on the CSR kernels (training, fine-tuning, evaluation):
${' '.repeat(column)}auto (default): a layer whose sparsity is past the measured dense/CSR crossover;
${' '.repeat(column)}on: every layer with a pruned weight; off: every layer dense. A layer on the
${' '.repeat(column)}CSR kernels holds only its nonzeros; results agree to float rounding`;

export const KERNEL_CHOICES = KERNEL_FLAVOR_NAMES;
export const WASM_KERNEL_CHOICES = WASM_FLAVORS;
export const kernelsHelp = (column: number) => describeChoices(KERNEL_FLAVORS, KERNEL_CHOICES, column);
