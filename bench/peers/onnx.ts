/**
 * The ONNX graph the peer benchmark gives onnxruntime: prunekit's own exporter (src/onnx/export.ts,
 * protobufjs + the official onnx.proto schema), with the logits as the only output and no
 * standardisation, so the ONNX engines compute exactly what the prunekit engines time: the layers.
 */
import type { MLP } from '../../src/nn/model.js';
import { exportOnnx, INPUT_NAME, LOGITS_NAME, transpose } from '../../src/onnx/export.js';

export { transpose };
/** Input and output names of the graph. */
export const PEER_INPUT = INPUT_NAME,
  PEER_OUTPUT = LOGITS_NAME;

/**
 * An ONNX model (opset 13) of the MLP's layers: input `input` [N × in] (row-major samples), output
 * `logits` [N × out]; per layer y = act(x · Wᵀ + b), as Gemm(transB = 1) or MatMul + Add.
 */
export function encodeMlpOnnx(m: MLP, opts: { op?: 'gemm' | 'matmul' } = {}): Uint8Array {
  const layersOnly: MLP = { ...m, preprocessing: { mean: null, scale: null, featureNames: [], labelNames: [] } };
  return exportOnnx(layersOnly, { op: opts.op, probabilities: false }).bytes;
}
