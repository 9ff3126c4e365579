import { join } from 'node:path';
import type { Command } from '../main.js';
import { parse } from '../args.js';
import { printJson, splitRecord } from '../common.js';
import { printSummary, runSweepAndWrite, sweepArgs, sweepFlags } from './sweep.js';

const usage = `usage: prunekit demo [--report DIR] [--json] [sweep options]

The main job, on built-in data: LeNet-300-100 (784-300-100-10, ReLU) trained with SGD on the
10,000 MNIST digits (8,000 train / 2,000 test; 20 epochs, cosine learning rate 0.1, Nesterov,
alpha 0.1), pruned iteratively by global magnitude through 50 → 80 → 90 → 95 → 98% sparsity with
5 fine-tuning epochs (lr 0.05) after each step, each step compacted (dead
neurons removed, CSR with narrow indices), benchmarked dense vs compact through the runtime, and
reported in DIR/report.html and DIR/report.json (default DIR: report/). Also writes
DIR/model-dense.safetensors, DIR/model-pruned.safetensors (the 90% model, masked) and
DIR/model-90.prunekit.safetensors (its compact file). Any sweep option overrides the defaults;
--values, --index, --entropy and --format store every point, and that file, as compact would (e.g.
--values kmeans:4 --entropy huffman: format_version 2, Deep Compression's storage).`;

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, sweepFlags);
    const a = sweepArgs(v, {
      dataSpec: 'mnist',
      hidden: [300, 100],
      activation: 'relu',
      seed: 42,
      // 20 dense epochs (cosine lr, Nesterov, L2) + 5 pruning steps × 5 fine-tuning epochs = 45 epochs,
      // within the PyTorch reference's budget of 50 (BENCHMARKS.md, accuracy vs sparsity)
      train: { epochs: 20, batchSize: 64, lr: 0.1, momentum: 0.9, alpha: 0.1, schedule: 'cosine', nesterov: true },
      fineTune: { lr: 0.05 },
      sparsities: [0.5, 0.8, 0.9, 0.95, 0.98],
      criteria: ['magnitude'],
      scopes: ['global'],
      schedules: ['iterative'],
      finetuneEpochs: 5,
      reportDir: 'report',
    });
    const result = await runSweepAndWrite(a, { keepModels: true }, 'demo');
    const { saveModel } = await import('../../nn/io.js');
    const { writeFileAtomic } = await import('../../util/fs.js');
    // The split, as train records it, so that eval and prune of these files test on unseen rows.
    const split = await splitRecord(a.dataSpec, { label: a.label, header: a.header, seed: a.seed, testFraction: a.testFraction, testData: a.testData });
    saveModel(join(a.reportDir, 'model-dense.safetensors'), { ...result.dense, provenance: { ...result.dense.provenance, split } });
    const i90 = result.report.points.findIndex((p) => p.targetSparsity >= 0.9);
    if (i90 >= 0) {
      const pruned = result.pruned[i90];
      saveModel(join(a.reportDir, 'model-pruned.safetensors'), { ...pruned, provenance: { ...pruned.provenance, split } });
      writeFileAtomic(join(a.reportDir, 'model-90.prunekit.safetensors'), result.compactFiles[i90]);
    }
    if (a.json) printJson(result.report);
    else printSummary(result.report, a.reportDir);
    return 0;
  },
};
export default command;
