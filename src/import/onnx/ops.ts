/** The ONNX ops `prunekit import` reads, by role, and the sentence that lists them in messages. */

export const BODY_OPS = new Set([
  'Gemm',
  'MatMul',
  'Add',
  'Sub',
  'Mul',
  'Div',
  'BatchNormalization',
  'Relu',
  'Tanh',
  'Sigmoid',
  'Identity',
  'Cast',
  'Flatten',
  'Reshape',
  'Dropout',
]);
export const HEAD_OPS = new Set(['Softmax', 'LogSoftmax', 'ArgMax', 'Concat', 'Identity', 'Cast', 'Reshape', 'Flatten']);
export const ML_OPS = new Set(['Scaler', 'ArrayFeatureExtractor', 'ZipMap']);
export const CONST_OPS = new Set(['Constant', 'Transpose']);
/** Integer bookkeeping on shapes, evaluated for a Reshape's target shape (./shape.ts). */
export const SHAPE_OPS = new Set(['Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Slice']);
export const SUPPORTED =
  'Gemm, MatMul + Add, BatchNormalization after a linear layer, Relu/Tanh/Sigmoid, ' +
  'Identity/Cast/Flatten/Reshape/Dropout (no-ops), Sub/Add/Mul/Div by constants or ai.onnx.ml Scaler before the first layer, ' +
  'and after the last layer Softmax/LogSoftmax, ArgMax, ai.onnx.ml ArrayFeatureExtractor and ZipMap';

export const isMlDomain = (d: string | undefined) => d === 'ai.onnx.ml';
export const isDefaultDomain = (d: string | undefined) => !d || d === 'ai.onnx';
