/** `prunekit compact`: a masked training model → a compact model file (src/compact, src/sparse). */
import { statSync } from 'node:fs';
import { inputFile, numList, oneOf, outputFile, parse, required, RunError, UsageError } from '../args.js';
import { compact, type CompactOptions } from '../../compact/compact.js';
import { loadModel } from '../../nn/io.js';
import { encodeModel } from '../../sparse/format.js';
import { writeModelFile } from '../../sparse/node.js';
import { printJson } from '../json.js';
import { progress } from '../progress.js';

/** Weights from which compacting shows a progress bar. */
const LARGE_MODEL_WEIGHTS = 1_000_000;

const usage = `usage: prunekit compact --model IN --out FILE [--values f32|f16|kmeans:BITS] [--index auto|u16|u32]
                        [--batch 1,64] [--crossover S] [--layout auto|dense|csr] [--json]

Stores a pruned model compactly: dead neurons removed (their constant outputs folded into the next
bias), each layer dense or CSR (CSR when smaller and at least as fast at the given batch sizes:
measured crossover ≈ 80% sparsity at batch 1, ≈ 60% at batch 64; --crossover overrides), CSR
indices in the narrowest type (u8/u16/u32) unless forced, values f32, f16 or a k-means codebook of
≤ 2^BITS shared values (default 5 bits). IN is a model file written by train or prune.`;

function parseValues(v: string | undefined): Pick<CompactOptions, 'values' | 'bits'> {
  if (v === undefined || v === 'f32' || v === 'f16') return { values: (v ?? 'f32') as 'f32' | 'f16' };
  const m = /^kmeans(?::(\d+))?$/.exec(v);
  if (!m) throw new UsageError(`--values: expected f32, f16 or kmeans:BITS, got '${v}'`);
  const bits = m[1] === undefined ? 5 : Number(m[1]);
  if (bits < 1 || bits > 8) throw new UsageError(`--values: k-means bits must be 1…8 (u8 codes), got ${bits}`);
  return { values: 'kmeans', bits };
}

async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    values: { type: 'string' },
    index: { type: 'string' },
    batch: { type: 'string' },
    crossover: { type: 'string' },
    layout: { type: 'string' },
    json: { type: 'boolean' },
  });
  const a = v as Record<string, string | boolean | undefined>;
  const modelPath = required(inputFile(a.model as string | undefined, 'model'), 'model');
  const out = required(outputFile(a.out as string | undefined, 'out', { '--model': modelPath }), 'out');
  const crossover = a.crossover === undefined ? undefined : Number(a.crossover);
  if (crossover !== undefined && !(crossover >= 0 && crossover <= 1)) throw new UsageError(`--crossover: expected a sparsity in [0, 1], got '${a.crossover}'`);
  const opts: CompactOptions = {
    ...parseValues(a.values as string | undefined),
    index: oneOf(a.index as string | undefined, 'index', ['auto', 'u16', 'u32'] as const) ?? 'auto',
    batchSizes: numList(a.batch as string | undefined, 'batch', { int: true, min: 1 }) ?? [1, 64],
    layout: oneOf(a.layout as string | undefined, 'layout', ['auto', 'dense', 'csr'] as const) ?? 'auto',
    crossover,
  };
  let mlp;
  try {
    mlp = loadModel(modelPath);
  } catch (e) {
    throw new RunError((e as Error).message);
  }
  // A bar for large models only (k-means and CSR conversion take seconds there; small ones are instant).
  const weights = mlp.layers.reduce((n, l) => n + l.weight.length, 0);
  const bar = weights >= LARGE_MODEL_WEIGHTS ? progress('compact: layers', mlp.layers.length, { quiet: a.json as boolean | undefined }) : null;
  const { compact: c, report } = compact(mlp, { ...opts, onLayer: bar ? (done) => bar.update(done) : undefined });
  bar?.done();
  writeModelFile(out, encodeModel(c));
  const bytes = statSync(out).size;
  if (a.json) {
    printJson({ ...report, bytes, out });
    return 0;
  }
  const lines = [
    `wrote ${out}: ${bytes} bytes (${(bytes / report.dense_bytes).toFixed(3)}× the dense f32 file, ${report.dense_bytes} bytes); CSR when sparsity ≥ ${report.crossover.toFixed(2)}`,
  ];
  report.layers.forEach((l, i) => {
    lines.push(
      `  layer ${i}: ${l.outFeatures}×${l.inFeatures} ${l.format}${l.index ? `/${l.index}` : ''} ${l.values}, ${l.nonzeros} nonzeros (sparsity ${(l.sparsity * 100).toFixed(1)}%), ${l.bytes} bytes` +
        (l.removedNeurons ? `, ${l.removedNeurons} dead neurons removed` : '') +
        (l.maxValueError ? `, max value error ${l.maxValueError.toExponential(2)}` : ''),
    );
  });
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export default { usage, run };
