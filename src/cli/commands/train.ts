import type { Command } from '../main.js';
import { num, numList, oneOf, outputFile, parse, required, UsageError, RunError } from '../args.js';
import {
  DATA_HELP,
  dataFlags,
  fitReport,
  headerArg,
  labelArg,
  loadSplit,
  pct,
  printJson,
  SGD_BOUNDS,
  splitRecord,
  testDataArg,
  THREADS_HELP,
  threadsArg,
  trainingFlags,
} from '../common.js';
import { progress } from '../progress.js';
import { KERNEL_CHOICES, kernelsHelp, LR_SCHEDULE_CHOICES, lrSchedulesHelp, SPARSE_KERNEL_CHOICES, sparseKernelsHelp } from '../choices.js';

const usage = `usage: prunekit train --data SPEC --out FILE [options]

Trains an MLP classifier with mini-batch SGD on the wasm kernels and writes the model file.

${DATA_HELP}
  --hidden 300,100     hidden layer widths (default 300,100)
  --activation NAME    relu | tanh | logistic | identity (default relu)
  --epochs N           epochs, sklearn's max_iter (default 20)
  --batch N            mini-batch size (default 64)
  --lr X               initial learning rate (default 0.1)
  --momentum X         momentum (default 0.9)
  --nesterov           Nesterov momentum
  --alpha X            L2 penalty, sklearn's alpha (default 1e-4)
  --schedule NAME      learning-rate schedule (default constant):
${lrSchedulesHelp(23)}
  --early-stopping     hold out --validation-fraction and stop when its accuracy stalls
  --validation-fraction F  (default 0.1 with --early-stopping)
  --tol X              minimum improvement (default 1e-4); --patience N epochs (default 10)
  --kernels NAME       kernel build (default: the best this engine runs):
${kernelsHelp(23)}
${sparseKernelsHelp(2, 23)}
${THREADS_HELP}
  --rewind-epoch K     also store the weights after epoch K, the lottery ticket's rewind point
                       (default 0: w₀, stored anyway). The file records the training history —
                       w₀, each weight's range and its movement −Σ w·∂L/∂w — for prune's range,
                       movement, displacement and lottery (≈ 5× the weights' bytes, ≈ 20% more time)
  --no-history         do not record it (smaller file, faster; prune --criterion range then refuses)
  --sparsity S         train a sparse network from scratch at overall sparsity S in [0, 1) (no history):
  --method NAME        rigl (regrow where the dense gradient is largest, Evci et al. 2020; default)
                       | set (regrow at random, Mocanu et al. 2018)
  --distribution NAME  initial layer densities: erk (default) | uniform
  --delta-t N          optimiser steps between drop/regrow updates (default 100)
  --drop-fraction X    initial drop/regrow fraction, cosine-decayed to 0 at 75% of training (default 0.3)
  --init-scale NAME    kept weights' initial scale: dense (default: as drawn for the full fan-in)
                       | sparse (rescaled for each neuron's kept fan-in, Evci et al. 2022)
  --gradient-batch N   rigl: samples in the dense gradient of each update (default 256, or --batch if larger)
  --out FILE           where to write the model (safetensors)
  --json               print the result as JSON`;

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, {
      ...dataFlags,
      ...trainingFlags,
      schedule: { type: 'string' },
      'early-stopping': { type: 'boolean' },
      'validation-fraction': { type: 'string' },
      tol: { type: 'string' },
      patience: { type: 'string' },
      kernels: { type: 'string' },
      threads: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      'rewind-epoch': { type: 'string' },
      'no-history': { type: 'boolean' },
      sparsity: { type: 'string' },
      method: { type: 'string' },
      distribution: { type: 'string' },
      'delta-t': { type: 'string' },
      'drop-fraction': { type: 'string' },
      'init-scale': { type: 'string' },
      'gradient-batch': { type: 'string' },
    });
    const sparsity = num(v.sparsity, 'sparsity', { min: 0, max: 1, maxExclusive: true });
    const dst =
      sparsity === undefined
        ? null
        : {
            sparsity,
            method: oneOf(v.method, 'method', ['rigl', 'set'] as const) ?? 'rigl',
            distribution: oneOf(v.distribution, 'distribution', ['erk', 'uniform'] as const) ?? 'erk',
            deltaT: num(v['delta-t'], 'delta-t', { int: true, min: 1 }) ?? 100,
            dropFraction: num(v['drop-fraction'], 'drop-fraction', { min: 0, max: 1 }) ?? 0.3,
            initScale: oneOf(v['init-scale'], 'init-scale', ['dense', 'sparse'] as const) ?? 'dense',
            ...(v['gradient-batch'] !== undefined ? { gradientBatch: num(v['gradient-batch'], 'gradient-batch', { int: true, min: 1 }) } : {}),
          };
    for (const flag of ['method', 'distribution', 'delta-t', 'drop-fraction', 'init-scale', 'gradient-batch'] as const) {
      if (!dst && v[flag] !== undefined) throw new UsageError(`--${flag} goes with --sparsity (sparse training from scratch)`);
    }
    if (dst && v['rewind-epoch'] !== undefined)
      throw new UsageError('--rewind-epoch is stored in the training history, which sparse training (--sparsity) does not record');
    const spec = required(v.data, 'data');
    const out = required(outputFile(v.out, 'out', { '--data': spec, '--test-data': v['test-data'] }), 'out');
    const hidden = numList(v.hidden, 'hidden', { int: true, min: 1 }) ?? [300, 100];
    const activation = oneOf(v.activation, 'activation', ['relu', 'tanh', 'logistic', 'identity'] as const) ?? 'relu';
    const seed = num(v.seed, 'seed', { int: true, min: 0, why: SGD_BOUNDS.seed }) ?? 42;
    const sparseKernels = oneOf(v['sparse-kernels'], 'sparse-kernels', SPARSE_KERNEL_CHOICES);
    const cfg = {
      epochs: num(v.epochs, 'epochs', { int: true, min: 0 }) ?? 20,
      batchSize: num(v.batch, 'batch', { int: true, min: 1 }) ?? 64,
      lr: num(v.lr, 'lr', { min: 0, minExclusive: true, why: SGD_BOUNDS.lr }) ?? 0.1,
      momentum: num(v.momentum, 'momentum', { min: 0, max: 1, maxExclusive: true, why: SGD_BOUNDS.momentum }) ?? 0.9,
      nesterov: v.nesterov ?? false,
      alpha: num(v.alpha, 'alpha', { min: 0, why: SGD_BOUNDS.alpha }) ?? 1e-4,
      schedule: oneOf(v.schedule, 'schedule', LR_SCHEDULE_CHOICES) ?? 'constant',
      earlyStopping: v['early-stopping'] ?? false,
      validationFraction: num(v['validation-fraction'], 'validation-fraction', { min: 0, max: 1, maxExclusive: true }) ?? 0,
      tol: num(v.tol, 'tol', { min: 0 }) ?? 1e-4,
      nIterNoChange: num(v.patience, 'patience', { int: true, min: 1 }) ?? 10,
      seed,
      ...(sparseKernels ? { sparse: sparseKernels } : {}), // recorded only when chosen: default files stay as they were
    };
    if (cfg.nesterov && cfg.momentum === 0) throw new UsageError('--nesterov needs --momentum > 0');
    const rewindEpoch = num(v['rewind-epoch'], 'rewind-epoch', { int: true, min: 0 }) ?? 0;
    if (rewindEpoch > cfg.epochs) throw new UsageError(`--rewind-epoch ${rewindEpoch} is after the last epoch (--epochs ${cfg.epochs})`);
    const recordHistory = !v['no-history'] && !dst;
    if (!recordHistory && v['rewind-epoch'] !== undefined) throw new UsageError('--rewind-epoch is stored in the training history: drop --no-history');
    const kernelsName = oneOf(v.kernels, 'kernels', KERNEL_CHOICES);
    const threads = threadsArg(v.threads);
    if (threads > 1 && kernelsName === 'reference') throw new UsageError('--threads runs the WebAssembly kernels: drop --kernels reference or use --threads 1');
    const testFraction = num(v['test-fraction'], 'test-fraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true });

    const dataArgs = { label: labelArg(v.label), header: headerArg(v.header), seed, testFraction, testData: testDataArg(v) };
    const data = await loadSplit(spec, dataArgs);
    const { createMLP } = await import('../../nn/model.js');
    const { train, evaluate, DivergenceError } = await import('../../nn/train.js');
    const { saveModel } = await import('../../nn/io.js');
    const { loadKernelsSync } = await import('../../kernels/load.js');
    const kernels = kernelsName ? loadKernelsSync({ flavor: kernelsName }) : undefined;

    const sizes = [data.train.nFeatures, ...hidden, data.train.labelNames.length];
    await checkMemory(sizes, Math.min(cfg.batchSize, data.train.nSamples));
    const model = createMLP(
      { sizes, activation, seed },
      {
        mean: data.mean,
        scale: data.scale,
        featureNames: data.train.featureNames,
        labelNames: data.train.labelNames,
      },
    );
    const bar = progress('train', cfg.epochs, { quiet: v.json });
    const { HistoryRecorder } = await import('../../nn/history.js');
    const history = recordHistory ? new HistoryRecorder(model, { rewindEpoch }) : null;
    let result;
    const onEpoch = (r: { epoch: number; loss: number; testAccuracy: number | null }, m: typeof model) => {
      history?.onEpoch(r.epoch, m);
      bar.update(r.epoch, `loss ${r.loss.toFixed(4)}${r.testAccuracy !== null ? ` test ${pct(r.testAccuracy)}` : ''}`);
    };
    let sparseInfo: { densities: number[]; maskUpdates: number } | null = null;
    try {
      if (dst) {
        const { trainSparse } = await import('../../nn/dst.js');
        const r = await trainSparse(model, data, { ...cfg, threads }, dst, { kernels, onEpoch });
        sparseInfo = { densities: r.densities, maskUpdates: r.updates.length };
        result = r;
      } else {
        // threads stay out of cfg: it is the file's provenance, the same whatever the thread count
        result = await train(model, data, { ...cfg, threads }, { kernels, movement: history?.hooks.movement, onEpoch });
      }
    } catch (e) {
      if (e instanceof DivergenceError) throw new RunError(e.message, { cause: e });
      throw e;
    }
    // the real count: early stopping (or --tol) may end the run before --epochs
    const ran = result.epochs.length;
    bar.done(ran < cfg.epochs ? `stopped after ${ran} of ${cfg.epochs} epochs (${result.stopReason})` : '', ran);
    if (history && rewindEpoch > 0 && !history.history.rewind)
      throw new RunError(
        `training stopped after ${result.epochs.length} epochs (${result.stopReason}), before --rewind-epoch ${rewindEpoch}: use a smaller --rewind-epoch`,
      );
    if (history) model.history = history.history;
    const test = evaluate(model, data.test, kernels, { sparse: sparseKernels });
    const trainEval = evaluate(model, data.train, kernels, { sparse: sparseKernels });
    // Only what defines the model: timings would make two runs with the same seed differ byte for byte.
    model.provenance = {
      data: spec,
      split: await splitRecord(spec, dataArgs),
      sizes,
      activation,
      train: { ...cfg, stopReason: result.stopReason, epochsRun: result.epochs.length, ...(dst ? { sparseTraining: dst } : {}) },
    };
    saveModel(out, model);
    const report = {
      ...fitReport(test, trainEval),
      ...(dst && sparseInfo ? { sparseTraining: { ...dst, ...sparseInfo } } : {}),
      epochs: result.epochs,
      stopReason: result.stopReason,
      seconds: result.seconds,
      samplesPerSecond: result.samplesPerSecond,
      sizes,
      activation,
      data: spec,
      nTrain: data.train.nSamples,
      nTest: data.test.nSamples,
      kernels: (kernels ?? (await import('../../nn/train.js')).defaultKernels()).flavor,
      threads,
      out,
    };
    if (v.json) printJson(report);
    else {
      process.stdout.write(
        `trained ${sizes.join('-')} (${activation}) on ${spec}: ${data.train.nSamples} train / ${data.test.nSamples} test samples, ` +
          `${result.epochs.length} epochs in ${result.seconds.toFixed(2)} s (${Math.round(result.samplesPerSecond)} samples/s, ${report.kernels} kernels${threads > 1 ? `, ${threads} threads` : ''})\n` +
          `test accuracy ${pct(test.accuracy)} (loss ${test.loss.toFixed(4)}), train accuracy ${pct(trainEval.accuracy)}\nwrote ${out}\n`,
      );
    }
    return 0;
  },
};
/**
 * Refuses, before allocating, a network that cannot fit: in wasm32's 4 GiB (bad --hidden/--batch,
 * exit 2) or in the memory this machine has free (exit 1). Training holds the JS model, a training
 * network at the batch size and an evaluation network at batch ≤ 256.
 */
async function checkMemory(sizes: number[], batch: number): Promise<void> {
  const { assertNetworkFits, networkBytes, weightCount, formatBytes } = await import('../../nn/budget.js');
  try {
    assertNetworkFits({ sizes, batch, masks: false }, '--hidden/--batch');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { freemem } = await import('node:os');
  const need = 4 * weightCount(sizes) + networkBytes({ sizes, batch, masks: false }) + networkBytes({ sizes, batch: 256, masks: false });
  if (need > freemem()) {
    throw new RunError(
      `a ${sizes.join('-')} network needs about ${formatBytes(need)} to train, but this machine has ${formatBytes(freemem())} free; use smaller --hidden layers or --batch`,
    );
  }
}

export default command;
