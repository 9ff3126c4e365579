// Turns the official ONNX schema (src/onnx/onnx-ml.proto, copied unchanged from the onnx
// Python package 1.12, IR version 8, Apache-2.0) into the JSON descriptor protobufjs loads at
// run time (src/onnx/onnx-schema.json, committed). Rerun after replacing the .proto:
//   node scripts/gen-onnx-schema.mjs
import protobuf from 'protobufjs';
import { readFileSync, writeFileSync } from 'node:fs';

const proto = readFileSync('src/onnx/onnx-ml.proto', 'utf8');
const { root } = protobuf.parse(proto, { keepCase: true });
writeFileSync('src/onnx/onnx-schema.json', JSON.stringify(root.toJSON(), null, 1) + '\n');
console.log('gen-onnx-schema: wrote src/onnx/onnx-schema.json');
