/**
 * Runs in a child process under a 256 MiB memory cap (started by test/fuzz-load.test.ts with
 * `node --max-old-space-size=256 --import tsx`), and prints one JSON report on stdout.
 *
 * The cap has three parts, because Node has no single one:
 *   - the JS heap: --max-old-space-size=256 (exceeding it kills the process);
 *   - wasm memory: every WebAssembly.Memory gets `maximum` = 256 MiB, so growing past it throws;
 *   - everything else (ArrayBuffers live outside both): the peak resident set size
 *     (getrusage maxRSS), reported for the parent to check against 256 MiB.
 * Modes `huge-wasm`, `huge-heap` and `huge-buffer` allocate deliberately too much, to prove each
 * part of the cap is real; `fuzz` loads and predicts with every crafted compact model file (through
 * the runtime) and every crafted training-model file (through decodeMLP, predictLabels, evaluate).
 */
import { loadKernelsSync } from '../../src/kernels/load.js';
import { loadModelSync } from '../../src/runtime/index.js';
import { FormatError } from '../../src/util/safetensors.js';
import { NonFiniteOutputError } from '../../src/util/finite.js';
import { decodeMLP } from '../../src/nn/io.js';
import { evaluate, predictLabels } from '../../src/nn/train.js';
import { attackFiles, craftedFiles, craftedTrainingFiles, trainingAttackFiles } from './crafted-models.js';

const CAP_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;

const NativeMemory = WebAssembly.Memory;
class CappedMemory extends NativeMemory {
  constructor(d: WebAssembly.MemoryDescriptor) {
    super({ ...d, maximum: Math.min(d.maximum ?? Infinity, CAP_BYTES / PAGE) });
  }
}
(WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = CappedMemory;

const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;
const report = (r: object) => process.stdout.write(JSON.stringify({ ...r, maxRssBytes: maxRssBytes() }) + '\n');

type Outcome = 'ok' | 'refused' | 'non-finite';

/**
 * Loads a file with the runtime and predicts three samples. Allowed outcomes: the file is refused
 * with a FormatError; or it loads and gives finite probabilities summing to 1 with labels = their
 * argmax; or predicting throws NonFiniteOutputError. Anything else is thrown as a defect.
 */
function loadAndPredict(bytes: Uint8Array): Outcome {
  let model;
  try {
    model = loadModelSync(bytes);
  } catch (e) {
    if (e instanceof FormatError && e.message.length > 20) return 'refused';
    throw e;
  }
  const F = model.inFeatures,
    O = model.outFeatures,
    n = 3;
  const x = Float32Array.from({ length: n * F }, (_, i) => (i < F ? 0 : i < 2 * F ? 1 : (i % 3) - 1.5));
  let p: Float32Array, labels: Int32Array;
  try {
    p = model.predictProba(x, n);
    labels = model.predict(x, n);
  } catch (e) {
    if (e instanceof NonFiniteOutputError && e.name === 'NonFiniteOutputError') return 'non-finite';
    throw e;
  }
  if (p.length !== n * O || labels.length !== n)
    throw new Error(`predict returned ${p.length} probabilities and ${labels.length} labels for ${n} samples × ${O} classes`);
  for (let s = 0; s < n && O > 0; s++) {
    const row = Array.from(p.subarray(s * O, (s + 1) * O));
    if (!row.every(Number.isFinite)) throw new Error(`sample ${s}: probabilities ${row} are not finite`);
    const sum = row.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-5) throw new Error(`sample ${s}: probabilities sum to ${sum}`);
    if (row[labels[s]] !== Math.max(...row)) throw new Error(`sample ${s}: label ${labels[s]} is not the argmax of ${row}`);
  }
  return 'ok';
}

/**
 * The same for a training-model file: decodeMLP, then predictLabels and evaluate on three samples.
 * Allowed: a FormatError; labels in range with a finite loss; or NonFiniteOutputError.
 */
function decodeAndEvaluate(bytes: Uint8Array): Outcome {
  let model;
  try {
    model = decodeMLP(bytes, 'crafted.safetensors');
  } catch (e) {
    if (e instanceof FormatError && e.message.length > 20) return 'refused';
    throw e;
  }
  const F = model.layers[0].inFeatures,
    O = model.layers.at(-1)!.outFeatures,
    n = 3;
  const ds = {
    features: Float32Array.from({ length: n * F }, (_, i) => (i % 5) - 2),
    nFeatures: F,
    nSamples: n,
    labels: Int32Array.from({ length: n }, (_, s) => s % O),
    labelNames: [],
    featureNames: [],
  };
  try {
    const labels = predictLabels(model, ds);
    const { accuracy, loss } = evaluate(model, ds as never);
    if (!labels.every((l) => l >= 0 && l < O)) throw new Error(`labels ${labels} outside 0…${O - 1}`);
    if (!Number.isFinite(loss) || !(accuracy >= 0 && accuracy <= 1)) throw new Error(`evaluate gave accuracy ${accuracy}, loss ${loss}`);
  } catch (e) {
    if (e instanceof NonFiniteOutputError && e.name === 'NonFiniteOutputError') return 'non-finite';
    throw e;
  }
  return 'ok';
}

/** Runs `check` on every file; counts the outcomes and collects every defect (anything else thrown). */
function fuzzFiles(files: { name: string; bytes: Uint8Array }[], check: (b: Uint8Array) => Outcome) {
  const counts: Record<Outcome, number> = { ok: 0, refused: 0, 'non-finite': 0 };
  const defects: string[] = [];
  const outcomes: Record<string, string> = {};
  for (const { name, bytes } of files) {
    try {
      const o = check(bytes);
      counts[o]++;
      outcomes[name] = o;
    } catch (e) {
      defects.push(`${name}: ${(e as Error)?.name}: ${(e as Error)?.message}`);
      outcomes[name] = `${(e as Error)?.name}: ${(e as Error)?.message}`;
    }
  }
  return { counts, defects, outcomes };
}

function fuzz(): void {
  const compact = fuzzFiles(craftedFiles(), loadAndPredict);
  const training = fuzzFiles(craftedTrainingFiles(), decodeAndEvaluate);
  const pick = (o: Record<string, string>, names: string[]) => Object.fromEntries(names.map((n) => [n, o[n]]));
  report({
    compact: {
      counts: compact.counts,
      defects: compact.defects,
      attacks: pick(
        compact.outcomes,
        attackFiles().map((a) => a.name),
      ),
    },
    training: {
      counts: training.counts,
      defects: training.defects,
      attacks: pick(
        training.outcomes,
        trainingAttackFiles().map((a) => a.name),
      ),
    },
  });
}

const mode = process.argv[2];
if (mode === 'fuzz') fuzz();
else if (mode === 'huge-wasm') {
  // 300 MiB of kernel memory: growing past the 256 MiB maximum must throw
  const k = loadKernelsSync();
  try {
    k.alloc(300 * 1024 * 1024);
    report({ threw: false });
  } catch (e) {
    report({ threw: true, message: (e as Error).message });
  }
} else if (mode === 'huge-heap') {
  // 400 MB of JS arrays: the heap limit must kill the process before this prints
  const keep: number[][] = [];
  for (let i = 0; i < 50; i++) keep.push(new Array(1_000_000).fill(i + 0.5));
  report({ survived: keep.length });
} else if (mode === 'huge-buffer') {
  // 300 MiB ArrayBuffer, every page touched: outside both limits, so only maxRSS can see it
  const b = new Uint8Array(300 * 1024 * 1024);
  for (let i = 0; i < b.length; i += 4096) b[i] = 1;
  report({ touched: b.length });
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exitCode = 2;
}
