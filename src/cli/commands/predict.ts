/** `prunekit predict --model FILE --input FILE.csv [--json]`: labels for CSV feature rows, via the runtime. */
import { once } from 'node:events';
import { inputFile, oneOf, parse, required, RunError } from '../args.js';
import { printable } from '../text.js';
import { readCsvFeatures } from '../../data/csv.js';
import { loadModelSync, NonFiniteOutputError } from '../../runtime/index.js';
import { readModelFile } from '../../sparse/node.js';

const usage = `usage: prunekit predict --model FILE --input FILE.csv [--header yes|no] [--json]

Predicts a label for each row of a CSV of features with a compact model file (from
\`prunekit compact\`). With a header naming the model's features, columns are picked by name (others,
e.g. the label column, are ignored); otherwise each row must hold exactly the model's features in
order. Whether the first row is a header is guessed from the first rows (a header has no numbers
where the data rows have numbers) unless --header says. The stored standardisation is applied.
Prints one label per line, one per data row; --json prints
{"labels": [...], "predictions": [{"label", "index", "probabilities"}]}.`;

async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, { model: { type: 'string' }, input: { type: 'string' }, header: { type: 'string' }, json: { type: 'boolean' } });
  const a = v as Record<string, string | boolean | undefined>;
  const modelPath = required(inputFile(a.model as string | undefined, 'model'), 'model');
  const input = required(inputFile(a.input as string | undefined, 'input'), 'input');
  let model;
  try {
    model = loadModelSync(readModelFile(modelPath));
  } catch (e) {
    throw new RunError(`${modelPath}: ${(e as Error).message}`, { cause: e });
  }
  const header = oneOf(a.header as string | undefined, 'header', ['yes', 'no', 'auto'] as const);
  const csv = await readCsvFeatures(input, {
    expectFeatures: model.inFeatures,
    featureNames: model.featureNames.length ? [...model.featureNames] : undefined,
    header,
  });
  if (csv.nFeatures !== model.inFeatures) throw new RunError(`${input}: ${csv.nFeatures} feature columns, the model expects ${model.inFeatures}`);
  let probs: Float32Array, idx: Int32Array;
  try {
    probs = model.predictProba(csv.features, csv.nSamples);
    idx = model.predict(csv.features, csv.nSamples);
  } catch (e) {
    if (!(e instanceof NonFiniteOutputError)) throw e;
    throw new RunError(
      `${input}: data row ${e.sample + 1} (counting from the first row after any header): ` +
        `the model's output ${e.output} is ${e.value}, so it has no label or probability (its weights or standardised inputs overflow f32); nothing was printed`,
    );
  }
  const labels = Array.from(idx, (k) => model.labels[k]);
  if (a.json) {
    // {"labels": [...], "predictions": [...]}, written in pieces: one string for millions of rows
    // would exceed V8's string limit.
    const O = model.outFeatures;
    const prediction = (s: number) => JSON.stringify({ label: labels[s], index: idx[s], probabilities: Array.from(probs.subarray(s * O, (s + 1) * O)) });
    await writeAll(
      process.stdout,
      (function* () {
        yield '{"labels":[';
        yield* joined(labels.length, (s) => JSON.stringify(labels[s]));
        yield '],"predictions":[';
        yield* joined(labels.length, prediction);
        yield ']}\n';
      })(),
    );
  } else {
    await writeAll(
      process.stdout,
      joined(labels.length, (s) => printable(labels[s]) + '\n', ''),
    );
  }
  return 0;
}

/** Items 0..n-1 rendered and joined by `sep`, yielded in strings of about CHUNK_ITEMS items each. */
const CHUNK_ITEMS = 1024;
function* joined(n: number, render: (i: number) => string, sep = ','): Generator<string> {
  for (let start = 0; start < n; start += CHUNK_ITEMS) {
    const parts: string[] = [];
    for (let i = start; i < Math.min(n, start + CHUNK_ITEMS); i++) parts.push(render(i));
    yield (start > 0 ? sep : '') + parts.join(sep);
  }
}

/** Writes the pieces in order, waiting for 'drain' when the stream's buffer is full. */
async function writeAll(stream: NodeJS.WriteStream, pieces: Iterable<string>): Promise<void> {
  for (const piece of pieces) if (!stream.write(piece)) await once(stream, 'drain');
}

export default { usage, run };
