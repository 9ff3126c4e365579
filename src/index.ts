/**
 * prunekit's public API: data → train → prune → compact → file → runtime.
 * The inference-only runtime is a separate entry point, `prunekit/runtime` (src/runtime).
 */
export { loadData, describeDataset, DataError } from './data/index.js';
export type { Dataset, SplitDataset } from './data/types.js';
export { createMLP, cloneMLP, layerSizes, sparsityOf, type MLP, type Layer, type Preprocessing, type InitOptions, type FromDataOptions } from './nn/model.js';
export {
  train,
  evaluate,
  predictLabels,
  computeGradients,
  DivergenceError,
  DEFAULT_TRAIN,
  type TrainConfig,
  type TrainResult,
  type EpochRecord,
  type GradientEstimate,
  type LayerGradient,
  type PassOptions,
  type SparseKernels,
} from './nn/train.js';
export { trainSparse, layerDensities, type DstOptions, type DstResult, type DstMethod, type DensityDistribution } from './nn/dst.js';
export { encodeMLP, decodeMLP } from './nn/io.js';
export { HistoryRecorder, MovementTracker, RangeTracker, type TrainingHistory, type ParamSnapshot } from './nn/history.js';
import { loadModel as loadMLPFile, saveModel as saveMLPFile } from './nn/io.js';
/** Writes a trainable model (full-shape weights and masks) to a file, atomically. */
export const saveMLP = saveMLPFile;
/** Reads a trainable model written by `saveMLP`. (`prunekit/runtime`'s `loadModel` reads compact files.) */
export const loadMLP = loadMLPFile;
/** @deprecated Renamed `saveMLP`; this alias goes in the next minor version. */
export const saveModel = saveMLPFile;
/** @deprecated Renamed `loadMLP` (it collided with `prunekit/runtime`'s `loadModel`); this alias goes in the next minor version. */
export const loadModel = loadMLPFile;
export { importModel, ImportError, type ImportOptions, type ImportSummary } from './import/index.js';
export { Rng } from './util/rng.js';
export * as prune from './prune/index.js';
export { pruneModel, type PruneOptions, type PruneResult } from './prune/prune.js';
export { trainerContext } from './prune/trainer.js';
export { compact, removeDeadNeurons, type CompactOptions, type CompactReport } from './compact/index.js';
export { encodeModel, decodeModel, FormatError, type CompactModel } from './sparse/format.js';
export { NonFiniteOutputError } from './util/finite.js';
export { loadKernels, loadKernelsSync, createReferenceKernels, KernelLoadError, type Kernels } from './kernels/index.js';
export { runSweep, type SweepOptions } from './report/sweep.js';
export { renderReport } from './report/html.js';
