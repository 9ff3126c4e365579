/**
 * The ONNX messages as protobufjs' `toObject` gives them (./schema.ts, longs as numbers): the fields
 * the importer reads, and small helpers for node attributes and messages.
 */
import type { TensorObject } from './tensor.js';

export interface AttrObject {
  name?: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorObject;
  sparse_tensor?: SparseObject;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
export interface NodeObject {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttrObject[];
}
export interface SparseObject {
  values?: TensorObject;
  indices?: TensorObject;
  dims?: number[];
}
export interface DimObject {
  dim_value?: number;
  dim_param?: string;
}
export interface ValueInfoObject {
  name?: string;
  type?: { tensor_type?: { elem_type?: number; shape?: { dim?: DimObject[] } } };
}
export interface GraphObject {
  node?: NodeObject[];
  name?: string;
  initializer?: TensorObject[];
  sparse_initializer?: SparseObject[];
  input?: ValueInfoObject[];
  output?: ValueInfoObject[];
}
export interface ModelObject {
  ir_version?: number;
  producer_name?: string;
  producer_version?: string;
  opset_import?: { domain?: string; version?: number }[];
  graph?: GraphObject;
  metadata_props?: { key?: string; value?: string }[];
}

export function describe(n: NodeObject): string {
  return `${n.op_type ?? '(no op_type)'} '${n.name || n.output?.[0] || '(unnamed)'}'`;
}

export function attr(n: NodeObject, name: string): AttrObject | undefined {
  return n.attribute?.find((a) => a.name === name);
}
export const attrInt = (n: NodeObject, name: string, def: number): number => {
  const a = attr(n, name);
  return a ? (a.i ?? 0) : def;
};
export const attrFloat = (n: NodeObject, name: string, def: number): number => {
  const a = attr(n, name);
  return a ? (a.f ?? 0) : def;
};
export const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);
