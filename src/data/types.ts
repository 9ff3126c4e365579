/** A labelled dataset in memory: row-major samples, one integer class per sample. */
export interface Dataset {
  /** samples × features, row-major. */
  features: Float32Array;
  /** Class index per sample, in [0, labelNames.length). */
  labels: Int32Array;
  nSamples: number;
  nFeatures: number;
  featureNames: string[];
  /** Class names; label i is labelNames[i]. */
  labelNames: string[];
  /** Where it came from (file path or built-in name), for messages and provenance. */
  source: string;
}

/** A train/test split, plus the preprocessing fitted on the training split only. */
export interface SplitDataset {
  train: Dataset;
  test: Dataset;
  /** Per-feature standardisation fitted on train (null: inputs used as they are, e.g. pixels in [0,1]). */
  mean: Float32Array | null;
  scale: Float32Array | null;
  /**
   * The source's row numbers (0-based data rows) in each part, when the split was drawn here from
   * a seed; absent for data that comes with its own fixed split (mnist, fashion-mnist, IDX pairs).
   */
  rows?: { train: Int32Array; test: Int32Array };
}
