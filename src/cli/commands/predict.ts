/** `prunekit predict --model FILE --input FILE.csv [--json]`: labels for CSV feature rows, via the runtime. */
import { inputFile, parse, required, RunError } from '../args.js';
import { readCsvFeatures } from '../../data/csv.js';
import { loadModelSync, NonFiniteOutputError } from '../../runtime/index.js';
import { readModelFile } from '../../sparse/node.js';

const usage = `usage: prunekit predict --model FILE --input FILE.csv [--json]

Predicts a label for each row of a CSV of features with a compact model file (from
\`prunekit compact\`). With a header naming the model's features, columns are picked by name (others,
e.g. the label column, are ignored); otherwise each row must hold exactly the model's features in
order. The stored standardisation is applied. Prints one label per line; --json prints
{"labels": [...], "predictions": [{"label", "index", "probabilities"}]}.`;

async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { model: { type: 'string' }, input: { type: 'string' }, json: { type: 'boolean' } });
  const a = v as Record<string, string | boolean | undefined>;
  const modelPath = required(inputFile(a.model as string | undefined, 'model'), 'model');
  const input = required(inputFile(a.input as string | undefined, 'input'), 'input');
  let model;
  try {
    model = loadModelSync(readModelFile(modelPath));
  } catch (e) {
    throw new RunError(`${modelPath}: ${(e as Error).message}`);
  }
  const csv = await readCsvFeatures(input, { expectFeatures: model.inFeatures, featureNames: model.featureNames.length ? [...model.featureNames] : undefined });
  if (csv.nFeatures !== model.inFeatures) throw new RunError(`${input}: ${csv.nFeatures} feature columns, the model expects ${model.inFeatures}`);
  let probs: Float32Array, idx: Int32Array;
  try {
    probs = model.predictProba(csv.features, csv.nSamples);
    idx = model.predict(csv.features, csv.nSamples);
  } catch (e) {
    if (!(e instanceof NonFiniteOutputError)) throw e;
    throw new RunError(`${input}: data row ${e.sample + 1} (counting from the first row after any header): ` +
      `the model's output ${e.output} is ${e.value}, so it has no label or probability (its weights or standardised inputs overflow f32); nothing was printed`);
  }
  const labels = Array.from(idx, (k) => model.labels[k]);
  if (a.json) {
    const O = model.outFeatures;
    const predictions = labels.map((label, s) => ({ label, index: idx[s], probabilities: Array.from(probs.subarray(s * O, (s + 1) * O)) }));
    process.stdout.write(JSON.stringify({ labels, predictions }) + '\n');
  } else {
    process.stdout.write(labels.join('\n') + (labels.length ? '\n' : ''));
  }
  return 0;
}

export default { usage, run };
