/** `prunekit export --model FILE --out MODEL.onnx [--sparse] [--op gemm|matmul] [--json]`: a prunekit model to ONNX (src/onnx/export.ts). */
import { readFileSync } from 'node:fs';
import { inputFile, oneOf, outputFile, parse, required, RunError } from '../args.js';
import { printJson } from '../common.js';
import { decodeAnyModel, exportOnnx, FEATURES_KEY, LABELS_KEY } from '../../onnx/export.js';
import { writeFileAtomic } from '../../util/fs.js';

const usage = `usage: prunekit export --model FILE --out MODEL.onnx [--sparse] [--op gemm|matmul] [--json]

Writes a model file (a training model from train, prune or import, or a compact file from compact)
as ONNX (opset 13, IR version 7) that onnxruntime and other ONNX engines run:
  input [N, in] float → Sub(mean), Mul(1/scale) (when the model stores a standardisation)
  → per layer Gemm (or MatMul + Add with --op matmul) and Relu/Tanh/Sigmoid
  → outputs 'logits' [N, classes] and 'probabilities' = Softmax(logits).
Class and feature names go into metadata_props '${LABELS_KEY}' and '${FEATURES_KEY}' (JSON arrays).

  --model FILE     training-model or compact model file
  --out FILE       the ONNX file to write
  --sparse         store weight matrices with zeros as COO sparse_initializers when smaller
                   (values + int64 linear indices), so a pruned model's ONNX file is small too
  --op gemm|matmul linear layers as Gemm (default, transB=1) or MatMul + Add
  --json           print {"out", "bytes", "opset", "irVersion", "input", "outputs", "layers": [...]}`;

async function run(argv: string[]): Promise<number> {
  const { values: v } = parse(argv, {
    model: { type: 'string' },
    out: { type: 'string' },
    sparse: { type: 'boolean' },
    op: { type: 'string' },
    json: { type: 'boolean' },
  });
  const modelPath = required(inputFile(v.model, 'model'), 'model');
  const out = required(outputFile(v.out, 'out', { '--model': modelPath }), 'out');
  const op = oneOf(v.op, 'op', ['gemm', 'matmul'] as const) ?? 'gemm';
  let model;
  try {
    model = decodeAnyModel(readFileSync(modelPath), modelPath);
  } catch (e) {
    const msg = (e as Error).message;
    throw new RunError(msg.startsWith(modelPath) ? msg : `${modelPath}: ${msg}`, { cause: e });
  }
  let result;
  try {
    result = exportOnnx(model, { sparse: !!v.sparse, op });
  } catch (e) {
    throw new RunError(`${modelPath}: ${(e as Error).message}`, { cause: e });
  }
  writeFileAtomic(out, result.bytes);
  const { report } = result;
  if (v.json) {
    printJson({ out, ...report });
    return 0;
  }
  const sparse = report.layers.filter((l) => l.storage === 'sparse').length;
  const lines = [
    `wrote ${out}: ${report.bytes} bytes, ONNX opset ${report.opset}, input '${report.input}' → ${report.outputs.map((o) => `'${o}'`).join(', ')}` +
      `${report.preprocessing ? ', standardisation as Sub/Mul' : ''}${v.sparse ? `, ${sparse} of ${report.layers.length} weight matrices sparse` : ''}`,
  ];
  report.layers.forEach((l, i) => lines.push(`  layer ${i}: ${l.out}×${l.in} ${l.activation}, ${l.storage}, ${l.nonzeros} nonzeros`));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

export default { usage, run };
