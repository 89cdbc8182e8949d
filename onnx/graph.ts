// The graph IR: an ONNX model as plain data (nodes, value infos, initializers), independent of protobuf.

import type { DType, Tensor } from '../common/tensor.js';
import { fail } from '../common/diagnostics.js';

export type AttrType =
  'int' | 'float' | 'string' | 'tensor' | 'graph' | 'ints' | 'floats' | 'strings';

/** An attribute keeps its ONNX type so that a saved model round-trips exactly. */
export type Attr =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'graph'; value: Graph }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] };

export interface Node {
  name: string;
  opType: string;
  /** '' for the default ONNX domain ('ai.onnx' is normalised to ''), e.g. 'com.microsoft'. */
  domain: string;
  /** '' marks an omitted optional input, as in ONNX. */
  inputs: string[];
  outputs: string[];
  attrs: Record<string, Attr>;
}

/** A dimension is a number, or a string for a symbolic (dynamic) dimension such as 'batch'. */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dtype?: DType;
  shape?: Dim[];
}

export interface Graph {
  name: string;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, Tensor>;
  /** Intermediate value infos (from the file or from shape inference). */
  valueInfo: Map<string, ValueInfo>;
}

export interface OpsetImport {
  domain: string;
  version: number;
}

export interface Model {
  irVersion: number;
  opsetImports: OpsetImport[];
  producerName: string;
  producerVersion: string;
  graph: Graph;
  /** Path it was loaded from, for error messages. */
  file?: string;
}

/** Opset version of the default domain (used by ops whose semantics changed across opsets). */
export function defaultOpset(model: Model): number {
  const imp = model.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  return imp?.version ?? 1;
}

// ---- attribute accessors: one clear error for a wrong or missing attribute ----

function attrError(node: Node, name: string, problem: string): never {
  fail('badAttribute', [name, problem], { node: node.name, opType: node.opType });
}

export function attrInt(node: Node, name: string, dflt?: number): number {
  const a = node.attrs[name];
  if (a === undefined) return dflt ?? attrError(node, name, 'required attribute is missing');
  if (a.type !== 'int') attrError(node, name, `expected int, got ${a.type}`);
  return a.value;
}

export function attrFloat(node: Node, name: string, dflt?: number): number {
  const a = node.attrs[name];
  if (a === undefined) return dflt ?? attrError(node, name, 'required attribute is missing');
  if (a.type === 'float' || a.type === 'int') return a.value;
  return attrError(node, name, `expected float, got ${a.type}`);
}

export function attrString(node: Node, name: string, dflt?: string): string {
  const a = node.attrs[name];
  if (a === undefined) return dflt ?? attrError(node, name, 'required attribute is missing');
  if (a.type !== 'string') attrError(node, name, `expected string, got ${a.type}`);
  return a.value;
}

export function attrInts(node: Node, name: string, dflt?: number[]): number[] {
  const a = node.attrs[name];
  if (a === undefined) return dflt ?? attrError(node, name, 'required attribute is missing');
  if (a.type !== 'ints') attrError(node, name, `expected ints, got ${a.type}`);
  return a.value;
}

export function attrFloats(node: Node, name: string, dflt?: number[]): number[] {
  const a = node.attrs[name];
  if (a === undefined) return dflt ?? attrError(node, name, 'required attribute is missing');
  if (a.type !== 'floats') attrError(node, name, `expected floats, got ${a.type}`);
  return a.value;
}

export function attrTensor(node: Node, name: string): Tensor | undefined {
  const a = node.attrs[name];
  if (a === undefined) return undefined;
  if (a.type !== 'tensor') attrError(node, name, `expected tensor, got ${a.type}`);
  return a.value;
}

export function emptyGraph(name = 'graph'): Graph {
  return {
    name,
    nodes: [],
    inputs: [],
    outputs: [],
    initializers: new Map(),
    valueInfo: new Map(),
  };
}
