/**
 * Flag choices and their help lines, derived from the library's registries, so a new criterion
 * or schedule appears on the command line without touching the commands.
 */
import { COMMAND_LINE_CRITERIA, CRITERIA } from '../prune/criteria.js';

export const CRITERION_CHOICES = COMMAND_LINE_CRITERIA;

/** One help line per choice: `indent name  description`, names padded to one column. */
export function describeChoices(entries: Readonly<Record<string, { describe: string }>>, names: readonly string[], indent: string): string {
  const w = Math.max(...names.map((n) => n.length));
  return names.map((n) => `${indent}${n.padEnd(w)}  ${entries[n].describe}`).join('\n');
}

/** Help lines for --criterion / --criteria. */
export const CRITERIA_HELP = describeChoices(CRITERIA, CRITERION_CHOICES, '                         ');
