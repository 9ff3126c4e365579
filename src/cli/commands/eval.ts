import type { Command } from '../main.js';
import type { MLP } from '../../nn/model.js';
import { inputFile, num, parse, required, RunError } from '../args.js';
import { DATA_HELP, dataFlags, fitReport, headerArg, labelArg, loadSplitForModel, pct, printJson, testDataArg } from '../common.js';

const usage = `usage: prunekit eval --model FILE --data SPEC [--test-data FILE.csv] [--json]

Evaluates a model file (written by train or prune, or a compact file written by compact) on the
test split of a dataset, applying the model's own stored preprocessing. A compact file's weights
are decoded to f32 as the runtime decodes them (f16, k-means codes, either format_version). Reports accuracy, loss, train accuracy and per-layer sparsity.
By default the test rows are the ones the model was trained without: its own split of --data,
or, for a model trained with --test-data, that same test file (--test-data names another).

  --model FILE         model file from train, prune or compact
${DATA_HELP}
  --json               print the result as JSON`;

/** A training-model file, or a compact file as an MLP of its decoded weights (with its size). */
async function readAnyModel(path: string): Promise<{ model: MLP; compactBytes: number | null }> {
  const { readModelFile } = await import('../../sparse/node.js');
  const bytes = readModelFile(path);
  try {
    const { decodeSafetensors } = await import('../../util/safetensors.js');
    if (decodeSafetensors(bytes).metadata.kind === 'compact') {
      const { decodeModel } = await import('../../sparse/format.js');
      const { compactToMLP } = await import('../../compact/expand.js');
      return { model: compactToMLP(decodeModel(bytes)), compactBytes: bytes.length };
    }
    const { decodeMLP } = await import('../../nn/io.js');
    return { model: decodeMLP(bytes, path), compactBytes: null };
  } catch (e) {
    throw new RunError(`${path}: ${(e as Error).message}`, { cause: e });
  }
}

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, { ...dataFlags, model: { type: 'string' }, json: { type: 'boolean' } });
    const modelPath = required(inputFile(v.model, 'model'), 'model');
    const spec = required(v.data, 'data');
    const seed = num(v.seed, 'seed', { int: true, min: 0 }); // default: the model's own split
    const testFraction = num(v['test-fraction'], 'test-fraction', { min: 0, max: 1, minExclusive: true, maxExclusive: true });
    const { model, compactBytes } = await readAnyModel(modelPath);
    const data = await loadSplitForModel(spec, model, { label: labelArg(v.label), header: headerArg(v.header), seed, testFraction, testData: testDataArg(v) });
    const { evaluate } = await import('../../nn/train.js');
    const { sparsityOf, layerSizes } = await import('../../nn/model.js');
    const test = evaluate(model, data.test),
      tr = evaluate(model, data.train);
    const sp = sparsityOf(model);
    const report = {
      ...fitReport(test, tr),
      ...(compactBytes !== null ? { kind: 'compact', bytes: compactBytes } : { kind: 'masked' }),
      nTest: data.test.nSamples,
      nTrain: data.train.nSamples,
      sizes: layerSizes(model),
      sparsity: sp.total,
      layers: sp.layers.map((s, i) => ({ sparsity: s, in: model.layers[i].inFeatures, out: model.layers[i].outFeatures })),
    };
    if (v.json) printJson(report);
    else
      process.stdout.write(
        `${modelPath} on ${spec}${data.testData !== undefined ? ` (test file ${data.testData})` : ''}: test accuracy ${pct(test.accuracy)} (loss ${test.loss.toFixed(4)}), train accuracy ${pct(tr.accuracy)}, sparsity ${pct(sp.total)}\n`,
      );
    return 0;
  },
};
export default command;
