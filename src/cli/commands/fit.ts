/** `prunekit fit`: prune a model to a measured latency or size budget (src/report/fit.ts). */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from '../main.js';
import { inputFile, num, numList, oneOf, outputFile, parse, required, RunError, UsageError, writableFolder } from '../args.js';
import { DATA_HELP, dataFlags, headerArg, labelArg, loadSplitForModel, pct, printJson, testDataArg } from '../common.js';
import { CRITERION_CHOICES } from '../choices.js';
import { CRITERIA } from '../../prune/criteria.js';
import type { MLP } from '../../nn/model.js';

const usage = `usage: prunekit fit --model M --data D (--max-latency-us T --batch B | --max-bytes N) --out FILE [options]

Finds the per-layer sparsities (and dense or CSR per layer) that meet a budget with the least
predicted loss, prunes, measures, rescales the budget and tries again; then fine-tunes the best
plan that met it, compacts, and re-measures the delivered file. Latency: every layer alone, dense and CSR at a grid of densities,
timed through the runtime's kernels at batch B on this machine (or --latency-table FILE measured
elsewhere). Sensitivity: the training loss with each layer alone pruned to each density.
Allocation: a knapsack over the tables (one density per layer, least summed loss increase).

  --model FILE          model file from train
${DATA_HELP}
  --max-latency-us T    the forward pass at --batch must take ≤ T µs (median, this machine)
  --batch B             batch size the latency is for (default 1)
  --max-bytes N         the compact file must be ≤ N bytes
  --values f32|f16|kmeans:B   stored values (default f32; kmeans:B = 2^B-entry codebook)
  --criterion NAME      how each layer is pruned (default magnitude; obs corrects the kept weights)
  --finetune-epochs N   fine-tuning after pruning (default 2)
  --latency-table FILE  per-layer latencies measured elsewhere (JSON, as --save-latency-table writes,
                        or as the page of \`prunekit latency-page\` measures in a browser)
  --save-latency-table FILE   write the table this run measured
  --attempts N          allocate-prune-measure rounds at most (default 6)
  --runs N              interleaved timing rounds per measurement, over 5 repeats (default 60)
  --report DIR          also prune uniform and global magnitude to each --baseline-sparsities
                        value (fine-tuned as long), time them with fit's file in the same rounds,
                        and write DIR/report.json and DIR/report.html (the Pareto front)
  --baseline-sparsities LIST   default 0.5,0.7,0.8,0.85,0.9,0.92,0.94,0.95,0.96,0.97,0.975,0.98,0.985,0.99
  --out FILE            the compact model file
  --json                print {accuracy, bytes, latency_us, latencyBandUs, met, layers: [{sparsity, layout}], …}

A latency budget is met when the median over the rounds is ≤ T plus the run's noise band (half
the range of the 5 repeats' medians); a size budget exactly. A budget below the predicted cost of
the sparsest plan is refused (exit 1, nothing written) only once the cheapest plan that can be pruned,
compacted, measures over it: compaction removes the neurons a sparse plan leaves dead, which the
prediction counts.`;

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, {
      ...dataFlags,
      model: { type: 'string' },
      'max-latency-us': { type: 'string' },
      batch: { type: 'string' },
      'max-bytes': { type: 'string' },
      values: { type: 'string' },
      criterion: { type: 'string' },
      'finetune-epochs': { type: 'string' },
      'latency-table': { type: 'string' },
      'save-latency-table': { type: 'string' },
      attempts: { type: 'string' },
      runs: { type: 'string' },
      report: { type: 'string' },
      'baseline-sparsities': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
    });
    const modelPath = required(inputFile(v.model, 'model'), 'model');
    const spec = required(v.data, 'data');
    const tablePath = inputFile(v['latency-table'], 'latency-table');
    const out = required(outputFile(v.out, 'out', { '--model': modelPath, '--data': spec, '--latency-table': tablePath }), 'out');
    const saveTable =
      v['save-latency-table'] === undefined ? undefined : outputFile(v['save-latency-table'], 'save-latency-table', { '--model': modelPath, '--out': out });
    const maxLatency = num(v['max-latency-us'], 'max-latency-us', { min: 0, minExclusive: true });
    const maxBytes = num(v['max-bytes'], 'max-bytes', { int: true, min: 1 });
    const batch = num(v.batch, 'batch', { int: true, min: 1 }) ?? 1;
    if ((maxLatency === undefined) === (maxBytes === undefined)) throw new UsageError('give one budget: --max-latency-us T (with --batch B) or --max-bytes N');
    for (const flag of ['latency-table', 'save-latency-table'] as const)
      if (maxBytes !== undefined && v[flag] !== undefined)
        throw new UsageError(`--${flag} goes with --max-latency-us: a --max-bytes budget is counted from the file, not timed`);
    const [values, bits] = parseValues(v.values);
    const criterion = oneOf(v.criterion, 'criterion', CRITERION_CHOICES) ?? 'magnitude';
    if (CRITERIA[criterion].needs.some((n) => n === 'tracker' || n === 'initial' || n === 'movement'))
      throw new UsageError(
        `--criterion ${criterion} reads the training history; fit supports ${CRITERION_CHOICES.filter((c) => CRITERIA[c].needs.every((n) => n === 'gradients' || n === 'calibration')).join(', ')}`,
      );
    const epochs = num(v['finetune-epochs'], 'finetune-epochs', { int: true, min: 0 }) ?? 2;
    const attempts = num(v.attempts, 'attempts', { int: true, min: 1 }) ?? 6;
    const runs = num(v.runs, 'runs', { int: true, min: 1 });
    const reportDir = v.report === undefined ? undefined : reportFolder(v.report);
    const sparsities = numList(v['baseline-sparsities'], 'baseline-sparsities', { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    if (sparsities && !reportDir) throw new UsageError('--baseline-sparsities needs --report DIR');

    const { loadModel } = await import('../../nn/io.js');
    let model: MLP;
    try {
      model = loadModel(modelPath);
    } catch (e) {
      throw new RunError((e as Error).message, { cause: e });
    }
    const fit = await import('../../report/fit.js');
    let latencyTable;
    if (tablePath) {
      const { parseLatencyTable } = await import('../../report/latency-table.js');
      try {
        latencyTable = parseLatencyTable(readFileSync(tablePath, 'utf8'), model.layers, tablePath);
      } catch (e) {
        throw new RunError((e as Error).message, { cause: e });
      }
      if (maxLatency !== undefined && latencyTable.batch !== batch)
        throw new UsageError(`${tablePath} was measured at batch ${latencyTable.batch}, --batch is ${batch}`);
    }
    const seedArg = num(v.seed, 'seed', { int: true, min: 0 });
    const testFraction = num(v['test-fraction'], 'test-fraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    const data = await loadSplitForModel(spec, model, {
      label: labelArg(v.label),
      header: headerArg(v.header),
      seed: seedArg,
      testFraction,
      testData: testDataArg(v),
      finetunes: epochs > 0,
    });
    const trainProv = ((model.provenance as { train?: Record<string, unknown> }).train ?? {}) as Record<string, unknown>;
    const fromProv = (k: string) => (typeof trainProv[k] === 'number' ? (trainProv[k] as number) : undefined);
    const cfg = Object.fromEntries(
      Object.entries({
        lr: fromProv('lr'),
        batchSize: fromProv('batchSize'),
        momentum: fromProv('momentum'),
        alpha: fromProv('alpha'),
        seed: seedArg ?? fromProv('seed'),
      }).filter(([, x]) => x !== undefined),
    );
    const { trainerContext } = await import('../../prune/trainer.js');
    const ctx = trainerContext(data, { train: cfg, trainMetrics: false });
    const { writeFileAtomic } = await import('../../util/fs.js');
    const { encodeModel } = await import('../../sparse/format.js');

    const budget = maxLatency !== undefined ? { maxLatencyUs: maxLatency, batch } : { maxBytes: maxBytes!, batch };
    const onProgress = (what: string) => process.stderr.write(`fit: ${what}\n`);
    const pareto = reportDir ? await import('../../report/fit-pareto.js') : undefined;
    let result, baselines, report;
    try {
      // With --report the baselines come first (their own fine-tuning context, so fit's model is the
      // same with or without --report) and fit times its candidates beside them; a latency budget
      // then needs the table first, for the baselines' layouts too.
      if (pareto && maxLatency !== undefined && !latencyTable) latencyTable = await fit.measureLatencyTable(model, batch, { runs, onProgress });
      const baseOpts = {
        values,
        bits,
        batch,
        latencyTable: maxLatency !== undefined ? latencyTable : undefined,
        finetuneEpochs: epochs,
        sparsities,
        onProgress,
      };
      baselines = pareto && (await pareto.buildBaselines(model, data, trainerContext(data, { train: cfg, trainMetrics: false }), baseOpts));
      result = await fit.fitToBudget(model, data, ctx, {
        budget,
        values,
        bits,
        criterion,
        finetuneEpochs: epochs,
        latencyTable,
        attempts,
        runs,
        onProgress,
        companions: baselines ? baselines.map((b) => b.file) : undefined,
      });
      if (pareto && baselines) report = await pareto.buildFitReport(model, data, result, baselines, { ...baseOpts, budget, criterion, runs });
    } catch (e) {
      if (e instanceof RangeError) throw new RunError(e.message, { cause: e });
      throw e;
    }
    writeFileAtomic(out, encodeModel(result.model));
    if (saveTable && result.latencyTable) writeFileAtomic(saveTable, JSON.stringify(result.latencyTable, null, 2) + '\n');
    if (pareto && report && reportDir) {
      mkdirSync(reportDir, { recursive: true });
      writeFileAtomic(join(reportDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
      writeFileAtomic(join(reportDir, 'report.html'), pareto.renderFitReport(report));
    }
    const summary = {
      accuracy: result.accuracy,
      bytes: result.bytes,
      latency_us: result.latency_us,
      latencyMinUs: result.latencyMinUs,
      latencyBandUs: result.latencyBandUs,
      batch: result.batch,
      met: result.met,
      attempts: result.attempts,
      budget: maxLatency !== undefined ? { max_latency_us: maxLatency, batch } : { max_bytes: maxBytes },
      layers: result.layers.map((l) => ({ sparsity: l.sparsity, layout: l.layout })),
      predicted: result.predicted,
      criterion,
      out,
      ...(report && reportDir
        ? { report: join(reportDir, 'report.html'), summary: report.summary, fitBeats: report.fitBeats, loadAverage: report.timing.loadAverageBefore }
        : {}),
    };
    if (v.json) printJson(summary);
    else {
      process.stdout.write(
        `fit ${modelPath} to ${maxLatency !== undefined ? `${maxLatency} µs at batch ${batch}` : `${maxBytes} bytes`}: ${result.met ? 'met' : 'MISSED'} after ${result.attempts} attempt(s)\n` +
          `test accuracy ${pct(result.accuracy)}, ${result.bytes} bytes, ${result.latency_us.toFixed(2)} ± ${result.latencyBandUs.toFixed(2)} µs at batch ${result.batch}\n` +
          `layers: ${result.layers.map((l) => `${pct(l.sparsity, 1)} ${l.layout}`).join(', ')}\nwrote ${out}\n` +
          (report && reportDir ? `${report.summary.join('\n')}\nreport: ${join(reportDir, 'report.html')} (and report.json)\n` : ''),
      );
    }
    return result.met ? 0 : 1;
  },
};

/** The report folder: created at the end; a file of that name, or a missing parent folder, is a usage error now. */
function reportFolder(dir: string): string {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--report: ${dir} is a file, expected a folder`);
  if (!existsSync(dir)) writableFolder(dirname(resolve(dir)), 'report');
  else writableFolder(dir, 'report');
  return dir;
}

function parseValues(s: string | undefined): ['f32' | 'f16' | 'kmeans', number | undefined] {
  if (s === undefined || s === 'f32' || s === 'f16') return [s ?? 'f32', undefined];
  const m = /^kmeans:(\d+)$/.exec(s);
  if (!m || Number(m[1]) < 1 || Number(m[1]) > 8) throw new UsageError(`--values: expected f32, f16 or kmeans:B with 1 ≤ B ≤ 8, got '${s}'`);
  return ['kmeans', Number(m[1])];
}

export default command;
