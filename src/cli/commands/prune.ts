import type { Command } from '../main.js';
import { inputFile, num, numList, oneOf, outputFile, parse, required, RunError, UsageError } from '../args.js';
import {
  DATA_HELP,
  dataFlags,
  headerArg,
  labelArg,
  loadSplitForModel,
  pct,
  printJson,
  SGD_BOUNDS,
  testDataArg,
  THREADS_HELP,
  threadsArg,
  withDataFeatureNames,
} from '../common.js';
import {
  criteriaHelp,
  CRITERION_CHOICES,
  LR_SCHEDULE_CHOICES,
  PRUNING_SCHEDULE_CHOICES,
  pruningSchedulesHelp,
  SPARSE_KERNEL_CHOICES,
  sparseKernelsHelp,
} from '../choices.js';
import { CRITERIA, type CriterionName, type Need } from '../../prune/criteria.js';
import { PRUNING_SCHEDULE_NAMES, PRUNING_SCHEDULES } from '../../prune/schedules.js';
import type { MLP } from '../../nn/model.js';
import type { PruneContext } from '../../prune/prune.js';
import { progress } from '../progress.js';
import { DEFAULT_DAMPENING } from '../../prune/obs.js';
import { DEFAULT_FISHER_BLOCK } from '../../prune/fisher.js';
import { OBS_CURVATURES } from '../../prune/kfac.js';

/**
 * What prune does when not told. The scope, rounds and epochs are those of the reference recipe
 * (iterative global magnitude, 5 fine-tuning epochs per step); the learning rate is restarted at
 * lr₀ and cosine-decayed in each fine-tuning run, which retrains better than a constant or small
 * rate (learning-rate rewinding, Renda, Frankle & Carbin 2020). BENCHMARKS.md measures them.
 */
export const PRUNE_DEFAULTS = { scope: 'global', steps: 5, finetuneEpochs: 5, lrSchedule: 'cosine' } as const;

const usage = `usage: prunekit prune --model IN [--data SPEC] (--sparsity S | --percentile P | --threshold T) --out FILE [options]

Prunes a trained model: scores every weight, cuts those below the threshold (P ⊙ M, shapes kept),
fine-tunes with masked SGD on a schedule, and records accuracy and sparsity after every step.
With --data and --sparsity and nothing else it runs the iterative recipe of Han et al. (2015) as the
PyTorch reference in BENCHMARKS.md does: one global magnitude threshold, ${PRUNE_DEFAULTS.steps} rounds, ${PRUNE_DEFAULTS.finetuneEpochs} fine-tuning
epochs each, the learning rate restarted and cosine-decayed in every round.
Without --data (e.g. an imported model and no training set): one-shot pruning with a data-free
criterion (magnitude, random, movement, --nm N:M, --structured neurons), no fine-tuning, no accuracy.

  --model FILE         model file from train (or an earlier prune)
${DATA_HELP}
  --sparsity S         fraction of weights pruned in scope, 0 ≤ S < 1 (count-exact: round(S·N))
  --percentile P       keep weights whose score ≥ the P-th percentile (0..100; 95 keeps the top 5%)
  --threshold T        keep weights whose score ≥ T
  --criterion NAME     score that ranks the weights (default magnitude):
${criteriaHelp(23)}
  --calibration N      obs: training samples for each layer's Hessian H = 2XXᵀ/n (default 1024: more than the
                       784 inputs of an MNIST layer, so H has full rank)
  --dampening X        obs: H + X·mean(diag H)·I keeps H invertible (default 0.01)
  --obs-curvature C    obs: layer (each layer's output error, default) | kfac | kfac-diag (the saliency carried
                       to the loss by K-FAC's output factor G: w²/(2[G⁻¹]_rr[H⁻¹]_cc) or G_rr·w²/(2[H⁻¹]_cc))
                       | fisher | fisher-true (the loss's empirical / true Fisher in blocks of a row, WoodFisher / oBERT)
  --obs-block B        obs, fisher curvatures: weights per Fisher block (default ${DEFAULT_FISHER_BLOCK}; 1: diagonal)
                       When obs pays: where little or no fine-tuning follows (one-shot on LeNet-300-100:
                       +1 to +31 points over magnitude at 90–98%). After the iterative recipe's fine-tuning
                       it is level with magnitude at 90% and below it at 95–98% (BENCHMARKS.md, seven seeds)
  --scope NAME         layer (a threshold per layer) | global (one threshold over all chosen layers; default)
  --layers 0,1         only these layers (default all; for --structured neurons: hidden layers)
  --min-density F      each pruned layer keeps ≥ max(1, ⌈F·N⌉) weights (default 0.005)
  --schedule NAME      when to prune and train (default iterative with --data and --sparsity, else oneshot):
${pruningSchedulesHelp(23)}
  --steps N            rounds (iterative, default ${PRUNE_DEFAULTS.steps}) or pruning steps (gradual, default 10)
  --finetune-epochs N  epochs per round (iterative, lottery), total (gradual), after (oneshot)
                       (default ${PRUNE_DEFAULTS.finetuneEpochs} with --data, 0 without)
  --structured neurons remove whole hidden neurons (L1 norm of incoming weights); --sparsity = fraction
  --nm N:M             N:M semi-structured sparsity (e.g. 2:4) along each row's inputs; when a row's
                       input count is not a multiple of M, its last, shorter group also keeps N (all, if it has ≤ N)
  --rewind FILE        lottery/displacement: the weights to rewind to / measure from (default: w₀ as
                       recorded by train; older files: re-created from the model's training seed)
  --rewind-epoch K     lottery: rewind to the weights after training epoch K (train --rewind-epoch K
                       stores them; default: what the file records, w₀ unless train was told otherwise)
  --lr X --batch N --momentum X --alpha X   fine-tuning SGD (default: the model's training settings)
  --lr-schedule NAME   fine-tuning learning rate, restarted at --lr for each round (each fine-tuning run):
                       ${LR_SCHEDULE_CHOICES.join(' | ')} (default ${PRUNE_DEFAULTS.lrSchedule})
${sparseKernelsHelp(2, 23)}
${THREADS_HELP}
  --adjust             remove dead neurons afterwards (folding constant outputs into the next bias)
  --out FILE           where to write the pruned model
  --json               print {accuracy, sparsity, layers, steps, …} as JSON (--structured neurons
                       adds prunedNeurons: removed per layer's outputs, and weightsRemoved)`;

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, {
      ...dataFlags,
      model: { type: 'string' },
      sparsity: { type: 'string' },
      percentile: { type: 'string' },
      threshold: { type: 'string' },
      criterion: { type: 'string' },
      scope: { type: 'string' },
      layers: { type: 'string' },
      'min-density': { type: 'string' },
      schedule: { type: 'string' },
      steps: { type: 'string' },
      'finetune-epochs': { type: 'string' },
      structured: { type: 'string' },
      nm: { type: 'string' },
      rewind: { type: 'string' },
      'rewind-epoch': { type: 'string' },
      lr: { type: 'string' },
      batch: { type: 'string' },
      momentum: { type: 'string' },
      alpha: { type: 'string' },
      'lr-schedule': { type: 'string' },
      'sparse-kernels': { type: 'string' },
      threads: { type: 'string' },
      adjust: { type: 'boolean' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      calibration: { type: 'string' },
      dampening: { type: 'string' },
      'obs-curvature': { type: 'string' },
      'obs-block': { type: 'string' },
    });
    const modelPath = required(inputFile(v.model, 'model'), 'model');
    const spec = v.data;
    const out = required(outputFile(v.out, 'out', { '--model': modelPath, '--data': spec, '--test-data': v['test-data'], '--rewind': v.rewind }), 'out');
    const sparsity = num(v.sparsity, 'sparsity', { min: 0, max: 1, maxExclusive: true });
    const percentile = num(v.percentile, 'percentile', { min: 0, max: 100 });
    const threshold = num(v.threshold, 'threshold');
    const criterion = oneOf(v.criterion, 'criterion', CRITERION_CHOICES) ?? 'magnitude';
    const scope = oneOf(v.scope, 'scope', ['layer', 'global'] as const) ?? PRUNE_DEFAULTS.scope;
    const layers = numList(v.layers, 'layers', { int: true, min: 0 });
    const minDensity = num(v['min-density'], 'min-density', { min: 0, max: 1 });
    const structuredKind = oneOf(v.structured, 'structured', ['neurons'] as const);
    const nm = parseNM(v.nm);
    // The iterative recipe needs data to fine-tune on and a sparsity to step towards.
    const recipe = spec !== undefined && sparsity !== undefined && !structuredKind && !nm;
    const schedule = oneOf(v.schedule, 'schedule', PRUNING_SCHEDULE_CHOICES) ?? (recipe ? 'iterative' : 'oneshot');
    const steps = num(v.steps, 'steps', { int: true, min: 1 }) ?? (schedule === 'iterative' ? PRUNE_DEFAULTS.steps : undefined);
    const givenEpochs = num(v['finetune-epochs'], 'finetune-epochs', { int: true, min: 0 });
    const epochs = givenEpochs ?? (spec !== undefined ? PRUNE_DEFAULTS.finetuneEpochs : 0);
    const calibration = num(v.calibration, 'calibration', { int: true, min: 1 });
    const dampening = num(v.dampening, 'dampening', { min: 0, minExclusive: true });
    const obsCurvature = oneOf(v['obs-curvature'], 'obs-curvature', OBS_CURVATURES);
    if (obsCurvature !== undefined && criterion !== 'obs') throw new UsageError(`--obs-curvature applies to --criterion obs, not to ${criterion}`);
    const obsBlock = num(v['obs-block'], 'obs-block', { int: true, min: 1, max: 4096, why: 'its cost grows as the block size times the weights' });
    const fisher = obsCurvature === 'fisher' || obsCurvature === 'fisher-true';
    if (obsBlock !== undefined && !fisher) throw new UsageError('--obs-block applies to --obs-curvature fisher and fisher-true');
    if (fisher && nm) throw new UsageError('--nm: the Fisher curvatures prune to masks; for N:M use --obs-curvature layer, kfac or kfac-diag');
    if ((calibration !== undefined || dampening !== undefined) && !CRITERIA[criterion].needs.includes('calibration')) {
      throw new UsageError(
        `--calibration and --dampening apply to the criteria that build layer Hessians (${CRITERION_CHOICES.filter((c) => CRITERIA[c].needs.includes('calibration')).join(', ')}), not to ${criterion}`,
      );
    }
    const rewindPath = inputFile(v.rewind, 'rewind');
    const rewindEpoch = num(v['rewind-epoch'], 'rewind-epoch', { int: true, min: 0 });
    if (rewindEpoch !== undefined && rewindPath) throw new UsageError('give --rewind FILE or --rewind-epoch K, not both');
    if (rewindEpoch !== undefined && !PRUNING_SCHEDULES[schedule].rewinds)
      throw new UsageError(
        `--rewind-epoch applies to the rewinding schedules only (${PRUNING_SCHEDULE_NAMES.filter((n) => PRUNING_SCHEDULES[n].rewinds).join(', ')})`,
      );

    const given = [sparsity, percentile, threshold].filter((x) => x !== undefined).length;
    if (given > 1) throw new UsageError('give only one of --sparsity, --percentile, --threshold');
    if (nm && (given > 0 || structuredKind))
      throw new UsageError('--nm sets the sparsity itself (1 − N/M): drop --sparsity/--percentile/--threshold and --structured');
    if (!nm && given === 0) throw new UsageError('give one of --sparsity, --percentile, --threshold (or --nm N:M)');
    if (structuredKind && sparsity === undefined) throw new UsageError('--structured neurons needs --sparsity (the fraction of hidden neurons to remove)');
    if (structuredKind && criterion !== 'magnitude')
      throw new UsageError(`--structured neurons ranks whole neurons by the norm of their weights: --criterion ${criterion} does not apply (leave it out)`);
    if (PRUNING_SCHEDULES[schedule].needsSparsity && sparsity === undefined)
      throw new UsageError(`--schedule ${schedule} needs --sparsity (a final target), not a percentile or threshold`);
    if ((structuredKind || nm) && schedule !== 'oneshot')
      throw new UsageError('structured and N:M pruning support only --schedule oneshot (plus --finetune-epochs)');
    if (spec === undefined) requireDataFree({ criterion, schedule, epochs: givenEpochs, given: v });

    const { loadModel, saveModel } = await import('../../nn/io.js');
    const model = loadOrRunError(loadModel, modelPath);
    const nLayers = model.layers.length;
    const maxLayer = structuredKind ? nLayers - 2 : nLayers - 1;
    for (const l of layers ?? []) {
      if (l > maxLayer)
        throw new UsageError(
          `--layers: layer ${l} does not exist: the model has ${structuredKind ? `${nLayers - 1} hidden layers (0..${maxLayer})` : `${nLayers} layers (0..${maxLayer})`}`,
        );
    }
    const prov = model.provenance as { sizes?: number[]; activation?: string; train?: Record<string, unknown> };
    const trainProv = prov.train ?? {};
    const seedArg = num(v.seed, 'seed', { int: true, min: 0 });
    const seed = seedArg ?? (typeof trainProv.seed === 'number' ? trainProv.seed : 42);
    const testFraction = num(v['test-fraction'], 'test-fraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    // The split defaults to the model's own (see loadSplitForModel), not to --seed's default.
    const data =
      spec === undefined
        ? null
        : await loadSplitForModel(spec, model, {
            label: labelArg(v.label),
            header: headerArg(v.header),
            seed: seedArg,
            testFraction,
            testData: testDataArg(v),
            finetunes: epochs > 0,
          });

    const fromProv = (k: string) => (typeof trainProv[k] === 'number' ? (trainProv[k] as number) : undefined);
    const trainCfg = {
      lr: num(v.lr, 'lr', { min: 0, minExclusive: true, why: SGD_BOUNDS.lr }) ?? fromProv('lr'),
      batchSize: num(v.batch, 'batch', { int: true, min: 1 }) ?? fromProv('batchSize'),
      momentum: num(v.momentum, 'momentum', { min: 0, max: 1, maxExclusive: true, why: SGD_BOUNDS.momentum }) ?? fromProv('momentum'),
      alpha: num(v.alpha, 'alpha', { min: 0, why: SGD_BOUNDS.alpha }) ?? fromProv('alpha'),
      nesterov: trainProv.nesterov === true,
      schedule: oneOf(v['lr-schedule'], 'lr-schedule', LR_SCHEDULE_CHOICES) ?? PRUNE_DEFAULTS.lrSchedule,
      seed,
      sparse: oneOf(v['sparse-kernels'], 'sparse-kernels', SPARSE_KERNEL_CHOICES),
    };
    const cfg = Object.fromEntries(Object.entries(trainCfg).filter(([, x]) => x !== undefined));

    // The training history in the file (w₀, range, movement, rewind point) feeds displacement, range,
    // movement and the lottery ticket. Files without it: w₀ from --rewind or re-created from the
    // training seed; the range cannot be re-created.
    const needs = CRITERIA[criterion].needs;
    if (needs.includes('tracker') && !model.history?.range) {
      throw new UsageError(
        `--criterion ${criterion} needs the weight range recorded during training, and ${modelPath} has none (written by an older prunekit, or after removing neurons): retrain it with prunekit train, or choose another criterion`,
      );
    }
    const recorded = model.history?.rewind?.epoch;
    if (rewindEpoch !== undefined && rewindEpoch > 0 && recorded !== rewindEpoch) {
      throw new UsageError(
        `--rewind-epoch ${rewindEpoch}: ${modelPath} ${recorded ? `recorded epoch ${recorded} only` : 'recorded no epoch to rewind to'}; retrain it with prunekit train --rewind-epoch ${rewindEpoch}`,
      );
    }
    const needInit = rewindPath !== undefined || (!model.history?.initial && (needs.includes('initial') || PRUNING_SCHEDULES[schedule].rewinds));
    let initial: MLP | undefined;
    if (needInit) initial = rewindPath ? loadOrRunError(loadModel, rewindPath) : await recreateInit(model, trainProv);
    if (initial?.layers.some((L, l) => L.weight.length !== model.layers[l]?.weight.length)) {
      throw new UsageError(`--rewind: ${rewindPath ?? 'the initial weights'} do not have the model's layer shapes`);
    }

    const { trainerContext } = await import('../../prune/trainer.js');
    const { pruneModel } = await import('../../prune/prune.js');
    const { sparsityOf } = await import('../../nn/model.js');
    // Without data the context is empty: no fine-tuning, no gradients, no evaluation.
    const ctx: PruneContext = data ? trainerContext(data, { train: { ...cfg, threads: threadsArg(v.threads) }, calibration }) : {};
    const amount = sparsity !== undefined ? { sparsity } : percentile !== undefined ? { percentile } : threshold !== undefined ? { threshold } : undefined;

    const bar = ctx.fineTune && epochs > 0 ? fineTuneProgress(ctx, plannedEpochs(schedule, steps, epochs, !!(structuredKind || nm)), v.json) : null;
    const dense = ctx.evaluate ? await ctx.evaluate(model) : null;
    // The flags were checked above; what fails in here (a target that would collapse a layer, …)
    // is a runtime failure (exit 1), not bad usage.
    const result = await pruneModel(model, ctx, {
      amount,
      criterion,
      scope,
      layers,
      minDensity,
      schedule,
      steps,
      finetuneEpochs: epochs,
      seed,
      inputs: { seed, initial, dampening, obsCurvature, obsBlock },
      rewindTo: rewindPath ? initial : undefined,
      rewindEpoch,
      structured: structuredKind ? { kind: 'neurons' } : nm ? { kind: 'nm', n: nm[0], m: nm[1] } : undefined,
    }).catch(withFlagNames);
    bar?.done();
    let pruned = result.model;
    // Structured pruning takes whole neurons out: their weights are gone, not zeroed, so the
    // sparsity (zeros among the weights left) stays 0; count what was removed instead.
    const weightCount = (m: MLP) => m.layers.reduce((n, L) => n + L.weight.length, 0);
    const structuredRemoval = structuredKind
      ? { prunedNeurons: model.layers.map((L, l) => L.outFeatures - pruned.layers[l].outFeatures), weightsRemoved: weightCount(model) - weightCount(pruned) }
      : undefined;
    let removed: number[] | undefined;
    if (v.adjust) {
      const { removeDeadNeurons } = await import('../../compact/adjust.js');
      ({ model: pruned, removed } = removeDeadNeurons(pruned));
    }
    // An imported model learns its input names from the --data header, for predict to pick by.
    if (data) pruned = withDataFeatureNames(pruned, data.train);
    const final = ctx.evaluate ? await ctx.evaluate(pruned) : null;
    const sp = sparsityOf(pruned);
    pruned.provenance = {
      ...model.provenance,
      prune: {
        data: spec ?? null,
        amount,
        criterion,
        ...(CRITERIA[criterion].needs.includes('calibration')
          ? {
              calibration: ctx.calibration?.nSamples ?? null,
              dampening: dampening ?? DEFAULT_DAMPENING,
              ...(obsCurvature ? { obsCurvature } : {}),
              ...(fisher ? { obsBlock: obsBlock ?? DEFAULT_FISHER_BLOCK } : {}),
            }
          : {}),
        scope,
        layers: layers ?? null,
        schedule,
        steps: steps ?? null,
        finetuneEpochs: epochs,
        lrSchedule: data && epochs > 0 ? trainCfg.schedule : null,
        structured: structuredKind ?? null,
        nm: v.nm ?? null,
        seed,
        adjusted: !!v.adjust,
        denseAccuracy: dense?.accuracy ?? null,
        accuracy: final?.accuracy ?? null,
        sparsity: sp.total,
      },
    };
    saveModel(out, pruned);
    const report = {
      accuracy: final?.accuracy ?? null,
      loss: final?.loss ?? null,
      trainAccuracy: final?.trainAccuracy,
      generalisationGap: final?.trainAccuracy !== undefined ? final.trainAccuracy - final.accuracy : undefined,
      denseAccuracy: dense?.accuracy ?? null,
      sparsity: sp.total,
      layers: pruned.layers.map((L, i) => ({
        sparsity: sp.layers[i],
        in: L.inFeatures,
        out: L.outFeatures,
        nonzeros: Math.round((1 - sp.layers[i]) * L.weight.length),
      })),
      removedNeurons: removed,
      ...structuredRemoval,
      steps: result.steps,
      criterion,
      scope,
      schedule,
      out,
    };
    if (v.json) printJson(report);
    else {
      process.stdout.write(
        `pruned ${modelPath} (${criterion}, ${scope}, ${schedule}): sparsity ${pct(sp.total)} [${sp.layers.map((s) => pct(s, 1)).join(', ')}]\n` +
          (structuredRemoval
            ? `neurons removed per layer: ${structuredRemoval.prunedNeurons.join(', ')} (${structuredRemoval.weightsRemoved} of ${weightCount(model)} weights removed)\n`
            : '') +
          `${dense && final ? `test accuracy ${pct(dense.accuracy)} → ${pct(final.accuracy)}` : 'accuracy not measured (no --data)'}${removed ? `; dead neurons removed per layer: ${removed.join(', ')}` : ''}\nwrote ${out}\n`,
      );
    }
    return 0;
  },
};

/**
 * Criterion inputs only training data can give, and why a criterion that reads one needs --data.
 * The range, the movement and w₀ come from the training history in the model file.
 */
const NEEDS_DATA: Partial<Record<Need, string>> = {
  gradients: 'it scores weights with gradients on training batches',
  calibration: "it builds each layer's Hessian from training samples",
};

/** Without --data only data-free, one-shot pruning can run: say what needs data and what does not. */
function requireDataFree(o: {
  criterion: CriterionName;
  schedule: string;
  epochs: number | undefined;
  given: {
    lr?: string;
    'lr-schedule'?: string;
    batch?: string;
    momentum?: string;
    alpha?: string;
    label?: string;
    header?: string;
    'test-data'?: string;
    'test-fraction'?: string;
    'sparse-kernels'?: string;
    threads?: string;
  };
}): void {
  const dataFree = CRITERION_CHOICES.filter((c) => CRITERIA[c].needs.every((n) => !NEEDS_DATA[n]));
  const hint = `without --data use --criterion ${dataFree.join('|')}, --nm N:M or --structured neurons, one-shot, no fine-tuning`;
  const why = CRITERIA[o.criterion].needs.map((n) => NEEDS_DATA[n]).find((w) => w !== undefined);
  if (why) throw new UsageError(`--criterion ${o.criterion} needs --data: ${why} (${hint})`);
  if (o.schedule !== 'oneshot') throw new UsageError(`--schedule ${o.schedule} fine-tunes between steps and needs --data (${hint})`);
  if (o.epochs) throw new UsageError(`--finetune-epochs needs --data to fine-tune on (${hint})`);
  const dataOnly = (
    ['label', 'header', 'test-data', 'test-fraction', 'lr', 'batch', 'momentum', 'alpha', 'lr-schedule', 'sparse-kernels', 'threads'] as const
  ).find((k) => o.given[k] !== undefined);
  if (dataOnly) throw new UsageError(`--${dataOnly} applies to --data, and no --data was given`);
}

/**
 * Fine-tuning epochs a run will take, for the progress bar: rounds × epochs for iterative, the
 * epochs for one-shot, gradual and structured pruning; 0 (unknown: the bar counts) for the
 * lottery ticket, whose rounds follow from its pruning rate.
 */
function plannedEpochs(schedule: string, steps: number | undefined, epochs: number, structured: boolean): number {
  if (structured || schedule === 'oneshot' || schedule === 'gradual') return epochs;
  if (schedule === 'iterative') return (steps ?? 5) * epochs;
  return 0;
}

/** Counts the fine-tuning epochs on a bar by wrapping the context's fineTune; `done` draws the real count. */
function fineTuneProgress(ctx: PruneContext, planned: number, quiet: boolean | undefined): { done(): void } {
  const bar = progress('prune: fine-tuning epochs', planned, { quiet });
  const fineTune = ctx.fineTune!;
  let epochsRun = 0;
  ctx.fineTune = (model, epochs, hooks = {}) =>
    fineTune(model, epochs, {
      ...hooks,
      onEpoch: (rec, m) => {
        hooks.onEpoch?.(rec, m);
        epochsRun++;
        const loss = (rec as { loss?: number }).loss;
        bar.update(epochsRun, loss === undefined ? '' : `loss ${loss.toFixed(4)}`);
      },
    });
  return { done: () => bar.done('', epochsRun) };
}

function parseNM(s: string | undefined): [number, number] | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(s);
  if (!m) throw new UsageError(`--nm: expected N:M with whole numbers (e.g. 2:4), got '${s}'`);
  const n = Number(m[1]),
    mm = Number(m[2]);
  if (n < 1 || n >= mm) throw new UsageError(`--nm: need 1 ≤ N < M, got ${n}:${mm}`);
  return [n, mm];
}

/** The library names its options (minDensity); on the command line they are flags (--min-density). */
function withFlagNames(e: unknown): never {
  if (e instanceof RangeError) throw new RunError(e.message.replace(/\bminDensity\b/g, '--min-density'), { cause: e });
  throw e;
}

function loadOrRunError(load: (p: string) => MLP, path: string): MLP {
  try {
    return load(path);
  } catch (e) {
    throw new RunError((e as Error).message, { cause: e });
  }
}

/** The initial weights `prunekit train` drew: createMLP with the recorded sizes, activation and seed. */
async function recreateInit(model: MLP, trainProv: Record<string, unknown>): Promise<MLP> {
  const { createMLP, layerSizes } = await import('../../nn/model.js');
  const prov = model.provenance as { sizes?: number[]; activation?: string };
  const sizes = layerSizes(model);
  if (typeof trainProv.seed !== 'number' || !prov.activation || !prov.sizes || prov.sizes.join() !== sizes.join()) {
    throw new UsageError('this criterion/schedule needs the initial weights: the model file does not record its training seed and sizes; pass --rewind FILE');
  }
  return createMLP({ sizes, activation: prov.activation as MLP['layers'][number]['activation'], seed: trainProv.seed });
}

export default command;
