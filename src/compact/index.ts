export { removeDeadNeurons, type AdjustResult } from './adjust.js';
export { kmeansQuantize, type Codebook } from './kmeans.js';
export { compact, crossoverAt, DEFAULT_CROSSOVER, type CompactOptions, type CompactReport, type CompactLayerReport } from './compact.js';
