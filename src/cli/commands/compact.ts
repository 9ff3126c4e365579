/** `prunekit compact`: a masked training model → a compact model file (src/compact, src/sparse). */
import { statSync } from 'node:fs';
import { inputFile, num, numList, oneOf, outputFile, parse, required, RunError, UsageError } from '../args.js';
import { compact, type CompactOptions } from '../../compact/compact.js';
import { loadModel } from '../../nn/io.js';
import { encodeModel } from '../../sparse/format.js';
import { writeModelFile } from '../../sparse/node.js';
import type { MLP } from '../../nn/model.js';
import { dataFlags, headerArg, labelArg, loadSplitForModel, parseStorage, parseValues, pct, testDataArg, withDataFeatureNames } from '../common.js';
import { printJson } from '../json.js';
import { progress } from '../progress.js';

/** Weights from which compacting shows a progress bar. */
const LARGE_MODEL_WEIGHTS = 1_000_000;

const usage = `usage: prunekit compact --model IN --out FILE [--values f32|f16|kmeans:BITS] [--index auto|u16|u32|delta:4|delta:5|delta:8]
                        [--entropy none|huffman] [--format 1|2] [--batch 1,64] [--crossover S] [--layout auto|dense|csr]
                        [--data SPEC --finetune-epochs N [--lr X] [--seed N]] [--json]

Stores a pruned model compactly: dead neurons removed (their constant outputs folded into the next
bias), each layer dense or CSR (CSR when smaller and at least as fast at the given batch sizes:
measured crossover ≈ 80% sparsity at batch 1, ≈ 50% at batch 64; --crossover overrides), CSR
indices in the narrowest type (u8/u16/u32) unless forced, values f32, f16 or a k-means codebook of
≤ 2^BITS shared values (default 5 bits). IN is a model file written by train or prune.

--format 2 (implied by --index delta:B or --entropy huffman) writes format_version 2: k-means codes
bit-packed at BITS bits, CSR column indices relative at 4, 5 or 8 bits (Deep Compression's
relative indices, with fillers for larger gaps; --index auto then picks, per layer, whichever of
plain and relative indices is smallest), and with --entropy huffman the code and index streams
Huffman-coded where that is smaller. Version 1 readers cannot read it; prunekit's runtime can.
To fine-tune the shared k-means values on data first (Deep Compression's centroid fine-tuning),
add --data SPEC --finetune-epochs N [--lr X] (default 0.001; the model's own training split is
used, and the test accuracy before and after is reported).`;

/** Centroid fine-tuning on the model's own training split (the test split only measures it). */
async function fineTune(mlp: MLP, a: Record<string, string | boolean | undefined>, o: { bits: number; epochs: number; lr?: number; quiet: boolean }) {
  const data = await loadSplitForModel(a.data as string, mlp, {
    label: labelArg(a.label as string | undefined),
    header: headerArg(a.header as string | undefined),
    seed: num(a.seed as string | undefined, 'seed', { int: true, min: 0 }),
    testData: testDataArg(a as { 'test-data'?: string }),
    testFraction: num(a['test-fraction'] as string | undefined, 'test-fraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true }),
    finetunes: true,
  });
  const { fineTuneCentroids } = await import('../../compact/finetune.js');
  const { evaluate } = await import('../../nn/train.js');
  const bar = progress('fine-tuning centroids', o.epochs, { quiet: o.quiet });
  const before = evaluate(fineTuneCentroids(mlp, data.train, { ...o, epochs: 0 }).model, data.test).accuracy;
  const r = fineTuneCentroids(mlp, data.train, { ...o, onEpoch: (e, loss) => bar.update(e, `loss ${loss.toFixed(4)}`) });
  bar.done();
  return { ...r, model: withDataFeatureNames(r.model, data.train), before, after: evaluate(r.model, data.test).accuracy };
}

async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    values: { type: 'string' },
    index: { type: 'string' },
    entropy: { type: 'string' },
    format: { type: 'string' },
    batch: { type: 'string' },
    crossover: { type: 'string' },
    layout: { type: 'string' },
    json: { type: 'boolean' },
    ...dataFlags,
    'finetune-epochs': { type: 'string' },
    lr: { type: 'string' },
  });
  const a = v as Record<string, string | boolean | undefined>;
  const modelPath = required(inputFile(a.model as string | undefined, 'model'), 'model');
  const out = required(outputFile(a.out as string | undefined, 'out', { '--model': modelPath }), 'out');
  const crossover = a.crossover === undefined ? undefined : Number(a.crossover);
  if (crossover !== undefined && !(crossover >= 0 && crossover <= 1)) throw new UsageError(`--crossover: expected a sparsity in [0, 1], got '${a.crossover}'`);
  const opts: CompactOptions = {
    ...parseValues(a.values as string | undefined),
    ...parseStorage(a.index as string | undefined, a.entropy as string | undefined, a.format as string | undefined),
    batchSizes: numList(a.batch as string | undefined, 'batch', { int: true, min: 1 }) ?? [1, 64],
    layout: oneOf(a.layout as string | undefined, 'layout', ['auto', 'dense', 'csr'] as const) ?? 'auto',
    crossover,
  };
  let mlp;
  try {
    mlp = loadModel(modelPath);
  } catch (e) {
    throw new RunError((e as Error).message, { cause: e });
  }
  const epochs = num(a['finetune-epochs'] as string | undefined, 'finetune-epochs', { int: true, min: 0 });
  const lr = num(a.lr as string | undefined, 'lr', { min: 0, minExclusive: true });
  let finetune: Awaited<ReturnType<typeof fineTune>> | undefined;
  if (epochs !== undefined || a.data !== undefined) {
    if (opts.values !== 'kmeans') throw new UsageError('--finetune-epochs fine-tunes shared k-means values: give --values kmeans:BITS');
    if (epochs === undefined || a.data === undefined) throw new UsageError('centroid fine-tuning needs both --data SPEC and --finetune-epochs N');
    finetune = await fineTune(mlp, a, { bits: opts.bits!, epochs, lr, quiet: !!a.json });
    mlp = finetune.model;
  }
  // A bar for large models only (k-means and CSR conversion take seconds there; small ones are instant).
  const weights = mlp.layers.reduce((n, l) => n + l.weight.length, 0);
  const bar = weights >= LARGE_MODEL_WEIGHTS ? progress('compact: layers', mlp.layers.length, { quiet: a.json as boolean | undefined }) : null;
  const { compact: c, report } = compact(mlp, { ...opts, onLayer: bar ? (done) => bar.update(done) : undefined });
  bar?.done();
  writeModelFile(out, encodeModel(c));
  const bytes = statSync(out).size;
  if (a.json) {
    const ft = finetune && { epochs: finetune.losses.length, losses: finetune.losses, accuracyBefore: finetune.before, accuracyAfter: finetune.after };
    printJson({ ...report, bytes, out, ...(ft ? { finetune: ft } : {}) });
    return 0;
  }
  const lines = finetune
    ? [`k-means centroids fine-tuned for ${finetune.losses.length} epochs: test accuracy ${pct(finetune.before)} → ${pct(finetune.after)}`]
    : [];
  lines.push(
    `wrote ${out}: ${bytes} bytes (${(bytes / report.dense_bytes).toFixed(3)}× the input model as a dense f32 file, before dead-neuron removal: ${report.dense_bytes} bytes, format_version ${report.info.format_version}); CSR when sparsity ≥ ${report.crossover.toFixed(2)}`,
  );
  report.layers.forEach((l, i) => {
    const p = report.info.layers[i].bytes;
    const parts = `weight ${p.weight} + indices ${p.indices} + indptr ${p.indptr} + codebook ${p.codebook}${p.tables ? ` + huffman tables ${p.tables}` : ''} + bias ${p.bias}`;
    lines.push(
      `  layer ${i}: ${l.outFeatures}×${l.inFeatures} ${l.format}${l.index ? `/${l.index}` : ''} ${l.values}, ${l.nonzeros} nonzeros (sparsity ${(l.sparsity * 100).toFixed(1)}%), ${l.bytes} bytes (${parts})` +
        (l.removedNeurons ? `, ${l.removedNeurons} dead neurons removed` : '') +
        (l.maxValueError ? `, max value error ${l.maxValueError.toExponential(2)}` : ''),
    );
  });
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export default { usage, run };
