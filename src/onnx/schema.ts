/**
 * The ONNX protobuf schema, loaded with protobufjs from the official onnx-ml.proto (converted to
 * JSON by scripts/gen-onnx-schema.mjs; field names keep the .proto's snake_case). Import and export
 * both go through these message types, so no byte of ONNX is encoded or decoded by hand.
 */
import protobuf from 'protobufjs/light.js';
import schema from './onnx-schema.json' with { type: 'json' };

const root = protobuf.Root.fromJSON(schema as protobuf.INamespace);

export const ModelProto = root.lookupType('onnx.ModelProto');
export const TensorProtoDataType = root.lookupEnum('onnx.TensorProto.DataType').values;
