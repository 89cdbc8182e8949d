// ONNX model files <-> the Model IR: decode/encode, load/save (atomic), attribute and value-info conversion.

import { readFileSync, statSync } from 'node:fs';
import type { Attr, Dim, Graph, Model, Node, ValueInfo } from './graph.js';
import type { Tensor } from '../common/tensor.js';
import { NpuError, fail } from '../common/diagnostics.js';
import { writeFileAtomic } from '../common/atomic-write.js';
import { onnx, longToNumber } from './proto.js';
import { ONNX_DTYPE, dtypeFromOnnx, tensorFromProto, tensorToProto } from './tensor-proto.js';

/** Larger models are refused (protobuf messages over 2 GB are invalid anyway; we hold everything in memory). */
export const MAX_MODEL_BYTES = 200 * 1024 * 1024;

const AT = onnx.AttributeProto.AttributeType;
const utf8 = new TextDecoder('utf-8');
const utf8enc = new TextEncoder();

const normDomain = (d: string | null | undefined): string =>
  d === 'ai.onnx' || d == null ? '' : d;

// ---- decode ----

function attrType(a: onnx.IAttributeProto): onnx.AttributeType {
  if (a.type != null && a.type !== AT.UNDEFINED) return a.type;
  // IR < 3 files may leave the type unset: infer it from the populated field
  if (a.g != null) return AT.GRAPH;
  if (a.t != null) return AT.TENSOR;
  if ((a.ints?.length ?? 0) > 0) return AT.INTS;
  if ((a.floats?.length ?? 0) > 0) return AT.FLOATS;
  if ((a.strings?.length ?? 0) > 0) return AT.STRINGS;
  if (a.s != null && a.s.length > 0) return AT.STRING;
  if (a.i != null && longToNumber(a.i) !== 0) return AT.INT;
  return AT.FLOAT;
}

function decodeAttr(a: onnx.IAttributeProto, node: Node): Attr {
  const name = a.name ?? '';
  switch (attrType(a)) {
    case AT.INT:
      return { type: 'int', value: longToNumber(a.i) };
    case AT.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case AT.STRING:
      return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
    case AT.TENSOR:
      return {
        type: 'tensor',
        value: tensorFromProto(a.t ?? {}, a.t?.name || `${node.name}.${name}`),
      };
    case AT.GRAPH:
      return { type: 'graph', value: decodeGraph(a.g ?? {}) };
    case AT.INTS:
      return { type: 'ints', value: (a.ints ?? []).map(longToNumber) };
    case AT.FLOATS:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case AT.STRINGS:
      return { type: 'strings', value: (a.strings ?? []).map((s) => utf8.decode(s)) };
    case AT.UNDEFINED:
    case AT.TENSORS:
    case AT.GRAPHS:
    case AT.SPARSE_TENSOR:
    case AT.SPARSE_TENSORS:
    case AT.TYPE_PROTO:
    case AT.TYPE_PROTOS:
      return fail('badAttribute', [name, `attribute type ${String(a.type)} is not supported`], {
        node: node.name,
        opType: node.opType,
      });
  }
}

function decodeValueInfo(v: onnx.IValueInfoProto): ValueInfo {
  const info: ValueInfo = { name: v.name ?? '' };
  const tt = v.type?.tensorType;
  if (tt == null) return info;
  const dtype = tt.elemType != null ? dtypeFromOnnx(tt.elemType) : undefined;
  if (dtype !== undefined) info.dtype = dtype;
  if (tt.shape != null) {
    info.shape = (tt.shape.dim ?? []).map((d): Dim => {
      if (d.dimParam != null && d.dimParam !== '') return d.dimParam;
      if (d.dimValue != null) return longToNumber(d.dimValue);
      return '?';
    });
  }
  return info;
}

function decodeNode(n: onnx.INodeProto, index: number): Node {
  const opType = n.opType ?? '';
  const node: Node = {
    // unnamed nodes get a name so that diagnostics can point at them
    name: n.name != null && n.name !== '' ? n.name : `${opType}_${index}`,
    opType,
    domain: normDomain(n.domain),
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attrs: {},
  };
  for (const a of n.attribute ?? []) node.attrs[a.name ?? ''] = decodeAttr(a, node);
  return node;
}

function decodeGraph(g: onnx.IGraphProto): Graph {
  const initializers = new Map<string, Tensor>();
  for (const t of g.initializer ?? []) initializers.set(t.name ?? '', tensorFromProto(t));
  const valueInfo = new Map<string, ValueInfo>();
  for (const v of g.valueInfo ?? []) valueInfo.set(v.name ?? '', decodeValueInfo(v));
  return {
    name: g.name ?? '',
    nodes: (g.node ?? []).map(decodeNode),
    // IR < 4 lists initializers as graph inputs too; they are constants, not inputs a user must feed
    inputs: (g.input ?? []).map(decodeValueInfo).filter((v) => !initializers.has(v.name)),
    outputs: (g.output ?? []).map(decodeValueInfo),
    initializers,
    valueInfo,
  };
}

/** Decodes a serialized ModelProto. `file` is used in error messages. */
export function decodeModel(bytes: Uint8Array, file?: string): Model {
  let m: onnx.ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    return fail('notOnnx', [`protobuf decoding failed (${(e as Error).message})`], { file });
  }
  if (m.graph == null) fail('notOnnx', ['the model has no graph'], { file });
  try {
    const model: Model = {
      irVersion: longToNumber(m.irVersion),
      opsetImports: m.opsetImport.map((o) => ({
        domain: normDomain(o.domain),
        version: longToNumber(o.version),
      })),
      producerName: m.producerName,
      producerVersion: m.producerVersion,
      graph: decodeGraph(m.graph),
    };
    if (file !== undefined) model.file = file;
    return model;
  } catch (e) {
    if (e instanceof NpuError && file !== undefined) e.at({ file });
    throw e;
  }
}

// ---- encode ----

function encodeAttr(name: string, a: Attr): onnx.IAttributeProto {
  switch (a.type) {
    case 'int':
      return { name, type: AT.INT, i: a.value };
    case 'float':
      return { name, type: AT.FLOAT, f: a.value };
    case 'string':
      return { name, type: AT.STRING, s: utf8enc.encode(a.value) };
    case 'tensor':
      return { name, type: AT.TENSOR, t: tensorToProto('', a.value) };
    case 'graph':
      return { name, type: AT.GRAPH, g: encodeGraph(a.value) };
    case 'ints':
      return { name, type: AT.INTS, ints: [...a.value] };
    case 'floats':
      return { name, type: AT.FLOATS, floats: [...a.value] };
    case 'strings':
      return { name, type: AT.STRINGS, strings: a.value.map((s) => utf8enc.encode(s)) };
  }
}

function encodeValueInfo(v: ValueInfo): onnx.IValueInfoProto {
  const out: onnx.IValueInfoProto = { name: v.name };
  if (v.dtype === undefined && v.shape === undefined) return out;
  const tensorType: NonNullable<onnx.ITypeProto['tensorType']> = {};
  if (v.dtype !== undefined) tensorType.elemType = ONNX_DTYPE[v.dtype];
  if (v.shape !== undefined) {
    tensorType.shape = {
      dim: v.shape.map((d) =>
        typeof d === 'number' ? { dimValue: d } : d === '?' ? {} : { dimParam: d },
      ),
    };
  }
  out.type = { tensorType };
  return out;
}

function encodeNode(n: Node): onnx.INodeProto {
  const out: onnx.INodeProto = {
    name: n.name,
    opType: n.opType,
    input: [...n.inputs],
    output: [...n.outputs],
    attribute: Object.entries(n.attrs).map(([k, a]) => encodeAttr(k, a)),
  };
  if (n.domain !== '') out.domain = n.domain;
  return out;
}

function encodeGraph(g: Graph): onnx.IGraphProto {
  return {
    name: g.name,
    node: g.nodes.map(encodeNode),
    input: g.inputs.map(encodeValueInfo),
    output: g.outputs.map(encodeValueInfo),
    initializer: [...g.initializers].map(([name, t]) => tensorToProto(name, t)),
    valueInfo: [...g.valueInfo.values()].map(encodeValueInfo),
  };
}

export function encodeModel(model: Model): Uint8Array {
  const proto: onnx.IModelProto = {
    irVersion: model.irVersion,
    opsetImport: model.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    producerName: model.producerName,
    producerVersion: model.producerVersion,
    graph: encodeGraph(model.graph),
  };
  return onnx.ModelProto.encode(proto).finish();
}

// ---- files ----

export function loadModel(path: string): Model {
  let size: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) fail('fileUnreadable', ['it is a directory'], { file: path });
    size = st.size;
  } catch (e) {
    if (e instanceof NpuError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') fail('fileNotFound', [], { file: path });
    return fail('fileUnreadable', [(e as Error).message], { file: path });
  }
  if (size > MAX_MODEL_BYTES) fail('modelTooLarge', [size, MAX_MODEL_BYTES], { file: path });
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    return fail('fileUnreadable', [(e as Error).message], { file: path });
  }
  return decodeModel(bytes, path);
}

/** Writes the model atomically: a reader never sees a half-written file. */
export function saveModel(model: Model, path: string): void {
  writeFileAtomic(path, encodeModel(model));
}
