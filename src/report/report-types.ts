/**
 * The shape of one sweep's measurements: what `prunekit sweep` writes to `report.json` and what
 * `renderReport` (html.ts) and `summarize` (summary.ts) read. Plain data only (JSON round-trips).
 */
import type { EpochRecord } from '../nn/train.js';
import type { PartBytes } from '../sparse/v2/storage.js';

/** Median µs per forward pass of the whole model, dense kernels vs the compacted (CSR/dense mix) model. */
export interface LatencyPair {
  dense_us: number;
  sparse_us: number;
}

/** One layer of one compacted model. */
export interface LayerPoint {
  /** Fraction of this layer's weights that are zero after pruning (before dead-neuron removal). */
  sparsity: number;
  /** How the compacted layer is stored. */
  format: 'dense' | 'csr';
  /** Stored nonzero weights. */
  nonzeros: number;
  /** Input and output widths after dead-neuron removal. */
  in: number;
  out: number;
  /** Neurons of this layer's output removed as dead (no incoming or no outgoing weights). */
  deadRemoved: number;
}

/**
 * Where a compact file's bytes go (`prunekit info`'s parts, summed over the layers); they sum to
 * the file size. `weight`: f32/f16 values or k-means codes; `indices`: CSR column indices (plain
 * or relative); `indptr`: CSR row pointers; `codebook`: k-means shared values; `tables`: Huffman
 * code lengths; `bias`: biases; `preprocessing`: the input standardisation (mean and scale, F32);
 * `header`: the rest — tensor table, metadata JSON, padding.
 */
export interface FileParts extends PartBytes {
  preprocessing: number;
  header: number;
}

/** A point's model stored in the smallest format (src/report/file-parts.ts), compacted in memory: what it would weigh and keep. */
export interface SmallFile {
  /** The `prunekit compact` flags that write it. */
  flags: string;
  bytes: number;
  parts: FileParts;
  /** Test accuracy of the file as decoded (k-means values, no centroid fine-tuning). */
  accuracy: number;
}

/** One pruned-and-compacted model of the sweep. */
export interface SweepPoint {
  criterion: string;
  scope: string;
  schedule: string;
  /** Requested and achieved fraction of weights that are zero. */
  targetSparsity: number;
  sparsity: number;
  /** Test and train metrics; `gap` = trainAccuracy − accuracy (the generalisation gap). */
  accuracy: number;
  loss: number;
  trainAccuracy: number;
  trainLoss: number;
  gap: number;
  /** Compact model file size in bytes. */
  bytes: number;
  /** Where those bytes go (absent in reports written before it was recorded). */
  parts?: FileParts;
  /** format_version of the compact file (1 unless the sweep ran with --format 2, --index delta:B or --entropy huffman). */
  formatVersion?: 1 | 2;
  /** The same model in the smallest storage (absent in older reports). */
  smallFile?: SmallFile;
  layers: LayerPoint[];
  /** Key: batch size as a string, e.g. "1", "64". */
  latency: Record<string, LatencyPair>;
  pruneSeconds: number;
  fineTuneEpochs: number;
  /**
   * Mean seconds of one fine-tuning epoch of this point (all its fine-tuning calls), with the
   * layers above the dense/CSR crossover on the sparse kernels; compare the dense training's epochs.
   */
  fineTuneEpochSeconds?: number;
  /** Per layer, mean ‖∂L/∂W‖ over a few batches: before pruning and after fine-tuning. */
  gradNormsBefore: number[];
  gradNormsAfter: number[];
}

/** One epoch of the dense training run. */
/** The fields of a training epoch (src/nn/train.ts's EpochRecord) that the report keeps. */
export type ReportEpoch = Pick<EpochRecord, 'epoch' | 'loss' | 'trainAccuracy' | 'testAccuracy' | 'seconds' | 'gradNorms'>;

export interface SweepReport {
  title: string;
  createdAt: string;
  command: string;
  data: { spec: string; nTrain: number; nTest: number; nFeatures: number; nClasses: number };
  model: { sizes: number[]; activation: string };
  machine: { kernels: string; node: string; cpus: number; loadavg: number[] };
  dense: {
    accuracy: number;
    loss: number;
    trainAccuracy: number;
    trainLoss: number;
    /** Size of the dense model stored in the compact format, and of the dense training-model file. */
    bytes: number;
    /** Where the dense compact file's bytes go (absent in older reports). */
    parts?: FileParts;
    denseFileBytes: number;
    trainSeconds: number;
    epochs: ReportEpoch[];
    /** Batch size (as a string) → median µs per forward pass. */
    latency: Record<string, number>;
  };
  points: SweepPoint[];
  /** Plain-language sentences, the first is the headline. */
  summary: string[];
  /**
   * Only in the report of one shard of a sweep (`sweep --shard i/n`): which shard, how many units
   * the whole grid has, and the grid unit of each point (same order as points); `prunekit merge`
   * joins the shards back into one report without it. `grid`: the settings that decide the points
   * (`sweepGrid`), which every shard of one sweep shares; absent in reports of prunekit before 2026-12-01.
   */
  shard?: { index: number; count: number; units: number; pointUnits: number[]; grid?: Record<string, unknown> };
  /**
   * A report joined from shards by `prunekit merge`: the merge command and each shard's own sweep
   * command (`command` is then the shards' sweep without --shard, writing to the merged folder).
   */
  merge?: { command: string; shardCommands: string[] };
}
