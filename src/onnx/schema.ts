/**
 * The ONNX protobuf schema, loaded with protobufjs from the official onnx-ml.proto (converted to
 * JSON by scripts/gen-onnx-schema.mjs; field names keep the .proto's snake_case). Import and export
 * both go through these message types, so no byte of ONNX is encoded or decoded by hand.
 *
 * protobufjs is an optional peer dependency (the runtime and most users never touch ONNX, and it
 * would triple the install size), so it is loaded on first use, synchronously, with a message that
 * says how to add it when it is missing.
 */
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import schema from './onnx-schema.json' with { type: 'json' };

export interface OnnxProto {
  ModelProto: Protobuf.Type;
  /** onnx.TensorProto.DataType: name → number (FLOAT = 1, INT64 = 7, …). */
  DataType: Record<string, number>;
}

/** protobufjs is not installed: the ONNX commands cannot run. */
export class OnnxUnavailableError extends Error {
  override name = 'OnnxUnavailableError';
}

let loaded: OnnxProto | undefined;

/** The ONNX message types (loads protobufjs the first time). */
export function onnxProto(): OnnxProto {
  if (loaded) return loaded;
  let protobuf: typeof Protobuf;
  try {
    protobuf = createRequire(import.meta.url)('protobufjs/light.js');
  } catch {
    throw new OnnxUnavailableError('reading or writing ONNX needs the protobufjs package, an optional dependency of prunekit: npm install protobufjs@7');
  }
  const root = protobuf.Root.fromJSON(schema as Protobuf.INamespace);
  loaded = { ModelProto: root.lookupType('onnx.ModelProto'), DataType: root.lookupEnum('onnx.TensorProto.DataType').values };
  return loaded;
}
