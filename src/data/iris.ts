/**
 * The built-in iris dataset (Fisher 1936; 150 samples, 4 features, 3 species), shipped as
 * data/iris.csv. The URL is relative to this module, which lives two levels below the package
 * root both as src/data/iris.ts (tsx, vitest) and as dist/data/iris.js (compiled).
 */
import { fileURLToPath } from 'node:url';
import { readCsvDataset } from './csv.js';
import type { Dataset } from './types.js';

export function irisPath(): string {
  return fileURLToPath(new URL('../../data/iris.csv', import.meta.url));
}

export async function loadIris(): Promise<Dataset> {
  const ds = await readCsvDataset(irisPath(), { label: 'species' });
  ds.source = 'iris';
  return ds;
}
