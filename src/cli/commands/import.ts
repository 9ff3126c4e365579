/** `prunekit import`: an MLP trained elsewhere (ONNX, safetensors state dict) → a prunekit training model. */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from '../main.js';
import { inputFile, oneOf, outputFile, parse, required, RunError, UsageError } from '../args.js';
import { printJson } from '../common.js';
import type { ActName } from '../../nn/model.js';

const usage = `usage: prunekit import --from FILE --out MODEL.safetensors [--labels a,b,c]
                       [--activation relu|tanh|logistic|identity[,…]] [--layout out-in|in-out]
                       [--format onnx|safetensors] [--json]

Writes a prunekit training model (the file train writes) from a classifier trained elsewhere, so
eval, prune, compact, predict and export work on it unchanged.

  --from FILE      an ONNX model (torch.onnx.export, skl2onnx, tf2onnx: Gemm or MatMul + Add
                   layers, Relu/Tanh/Sigmoid, BatchNormalization after a layer, a Scaler or
                   Sub/Div input transform, a Softmax/ArgMax/ZipMap head), or a safetensors state
                   dict of {prefix}.weight + {prefix}.bias pairs (layers in the order of the
                   numbers in their names, chained by shape)
  --out FILE       the model file to write (nothing is written if the import fails)
  --labels a,b,c   class names, when the file names none (an ONNX classifier head usually does)
  --activation A   state dicts: the hidden layers' activation, or one per hidden layer
                   (a state dict records none)
  --layout L       state dicts: weights [out, in] (PyTorch nn.Linear, default) or [in, out]
                   (Keras kernels, scikit-learn coefs_)
  --format F       the source format (default: by the file name, else by its first bytes)
  --json           print what was imported as JSON`;

const ACTS: Record<string, ActName> = { relu: 'relu', tanh: 'tanh', logistic: 'logistic', sigmoid: 'logistic', identity: 'identity' };

function parseActivations(v: string | undefined): ActName[] | undefined {
  if (v === undefined) return undefined;
  return v.split(',').map((s) => {
    const a = ACTS[s.trim()];
    if (!a) throw new UsageError(`--activation: expected relu, tanh, logistic (sigmoid) or identity, got '${s}'`);
    return a;
  });
}

function parseLabels(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const labels = v.split(',').map((s) => s.trim());
  if (labels.some((s) => s === '')) throw new UsageError(`--labels: expected comma-separated names, got '${v}'`);
  if (new Set(labels).size !== labels.length) throw new UsageError(`--labels: names must be distinct, got '${v}'`);
  return labels;
}

const command: Command = {
  usage,
  async run(argv) {
    const { values: v } = parse(argv, {
      from: { type: 'string' },
      out: { type: 'string' },
      labels: { type: 'string' },
      activation: { type: 'string' },
      layout: { type: 'string' },
      format: { type: 'string' },
      json: { type: 'boolean' },
    });
    const from = required(inputFile(v.from, 'from'), 'from');
    const out = required(outputFile(v.out, 'out', { '--from': from }), 'out');
    const opts = {
      file: from,
      labels: parseLabels(v.labels),
      activations: parseActivations(v.activation),
      layout: oneOf(v.layout, 'layout', ['out-in', 'in-out'] as const),
      format: oneOf(v.format, 'format', ['onnx', 'safetensors'] as const),
    };
    const { importModel, ImportError } = await import('../../import/index.js');
    const { saveModel } = await import('../../nn/io.js');
    let result;
    try {
      result = importModel(readFileSync(from), opts);
    } catch (e) {
      if (e instanceof ImportError) throw new RunError(e.message, { cause: e });
      throw e;
    }
    saveModel(out, result.model);
    const bytes = statSync(out).size;
    const s = result.summary;
    if (v.json) {
      printJson({ out, bytes, ...s });
      return 0;
    }
    const chain = [String(s.sizes[0]), ...s.layers.map((l, i) => `${l.out}${i + 1 < s.layers.length ? ` ${l.activation}` : ''}`)].join(' → ');
    const lines = [
      `imported ${s.source.file} (${s.source.format}${s.source.producer ? `, ${s.source.producer}` : ''}${s.source.opset ? `, opset ${s.source.opset}` : ''}): ${chain}`,
      `  labels: ${s.labels.join(', ')}`,
      `  input transform: ${s.preprocessing ? '(x − mean)/scale, stored with the model' : 'none'}`,
      ...s.notes.map((n) => `  ${n}`),
      `wrote ${out}: ${bytes} bytes`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
export default command;
