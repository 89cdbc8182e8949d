// Shared matching helpers of QDQ lowering: a producer/consumer index of the graph and the (scale, zp) of Q/DQ nodes.

import type { DType, Tensor } from '../../common/tensor.js';
import { INT_RANGE, zeros } from '../../common/tensor.js';
import type { Attr, Graph, Node } from '../../onnx/graph.js';

/** The 8-bit activation / weight types QDQ groups are lowered for. */
export type Q8 = 'int8' | 'uint8';
export const isQ8 = (d: DType | undefined): d is Q8 => d === 'int8' || d === 'uint8';

/** ONNX TensorProto data type codes of QuantizeLinear's `output_dtype` attribute. */
const TENSOR_PROTO_DTYPE: Record<number, DType> = { 2: 'uint8', 3: 'int8', 6: 'int32' };

/** Who produces and who consumes each value; built once from the input graph (rewrites never change it). */
export class GraphIndex {
  readonly producer = new Map<string, Node>();
  readonly consumers = new Map<string, Node[]>();
  readonly graphOutputs: Set<string>;
  readonly graphInputs = new Map<string, DType | undefined>();
  readonly graph: Graph;

  constructor(graph: Graph) {
    this.graph = graph;
    for (const n of graph.nodes) {
      for (const o of n.outputs) if (o !== '') this.producer.set(o, n);
      for (const i of n.inputs) {
        if (i === '') continue;
        const list = this.consumers.get(i);
        if (list === undefined) this.consumers.set(i, [n]);
        else if (!list.includes(n)) list.push(n);
      }
    }
    this.graphOutputs = new Set(graph.outputs.map((o) => o.name));
    for (const i of graph.inputs) this.graphInputs.set(i.name, i.dtype);
  }

  const(name: string | undefined): Tensor | undefined {
    return name === undefined || name === '' ? undefined : this.graph.initializers.get(name);
  }

  /** The single consumer of a value, if it has exactly one and is not a graph output. */
  soleConsumer(name: string): Node | undefined {
    if (this.graphOutputs.has(name)) return undefined;
    const list = this.consumers.get(name) ?? [];
    if (list.length !== 1) return undefined;
    // a node reading the same value twice still counts as one consumer
    return list[0];
  }

  /** The dtype of a value when it can be known without shape inference. */
  dtypeOf(name: string): DType | undefined {
    const init = this.graph.initializers.get(name);
    if (init !== undefined) return init.dtype;
    if (this.graphInputs.has(name)) return this.graphInputs.get(name);
    const vi = this.graph.valueInfo.get(name)?.dtype;
    if (vi !== undefined) return vi;
    const p = this.producer.get(name);
    if (p === undefined) return undefined;
    if (p.domain === '' && p.opType === 'QuantizeLinear') return qOutputDType(this, p);
    if (p.domain === '' && p.opType === 'DynamicQuantizeLinear' && p.outputs[0] === name)
      return 'uint8';
    return undefined;
  }
}

function intAttr(node: Node, name: string, dflt: number): number | undefined {
  if (!(name in node.attrs)) return dflt;
  const a: Attr = node.attrs[name];
  return a.type === 'int' ? a.value : undefined;
}

function qOutputDType(ix: GraphIndex, q: Node): DType | undefined {
  const zp = ix.const(q.inputs[2]);
  if (zp !== undefined) return zp.dtype;
  const od = intAttr(q, 'output_dtype', 0);
  if (od === undefined) return undefined;
  return od === 0 ? 'uint8' : TENSOR_PROTO_DTYPE[od];
}

/** Constant quantization parameters of one Q or DQ node. */
export interface QParams {
  /** The quantized tensor's dtype. */
  dtype: DType;
  scale: Tensor<'float32'>;
  /** Zero point (a zero tensor of `dtype` if the node omits it). */
  zp: Tensor;
  /** Name of the scale initializer. */
  scaleName: string;
  /** Name of the zero-point initializer, or undefined if the node omits it. */
  zpName: string | undefined;
  /** Normalised axis for per-axis parameters (only meaningful when scale has more than one element). */
  axis: number;
  /** True when scale (and zp) hold one value. */
  perTensor: boolean;
}

const scalarLike = (t: Tensor): boolean => t.data.length === 1 && t.shape.length <= 1;

/** Checks that zp matches scale in shape and dtype, and that block quantization is not used. */
function paramsOf(
  ix: GraphIndex,
  node: Node,
  dtype: DType | undefined,
  rank: number | undefined,
): QParams | undefined {
  const scale = ix.const(node.inputs[1]);
  if (dtype === undefined || scale === undefined || scale.dtype !== 'float32') return undefined;
  if ((intAttr(node, 'block_size', 0) ?? 1) !== 0) return undefined;
  const zpIn = node.inputs.at(2);
  const zpName = zpIn !== undefined && zpIn !== '' ? zpIn : undefined;
  const zp = zpName !== undefined ? ix.const(zpName) : zeros(dtype, scale.shape);
  if (zp === undefined || zp.dtype !== dtype || zp.data.length !== scale.data.length)
    return undefined;
  for (const s of scale.data) if (!(s > 0) || !Number.isFinite(s)) return undefined;
  const perTensor = scalarLike(scale);
  if (!perTensor && scale.shape.length !== 1) return undefined;
  let axis = intAttr(node, 'axis', 1);
  if (axis === undefined) return undefined;
  if (!perTensor) {
    if (axis < 0) {
      if (rank === undefined) return undefined;
      axis += rank;
    }
  }
  return {
    dtype,
    scale: scale as Tensor<'float32'>,
    zp,
    scaleName: node.inputs[1],
    zpName,
    axis,
    perTensor,
  };
}

const isOp = (n: Node | undefined, opType: string): n is Node =>
  n !== undefined && n.domain === '' && n.opType === opType;

/** A DequantizeLinear feeding a value: its integer input and constant parameters. */
export interface DqMatch {
  node: Node;
  /** The integer tensor it dequantizes. */
  x: string;
  params: QParams;
}

/** The DQ producing `value`, if `value` is the output of a DequantizeLinear with constant parameters. */
export function dqOf(ix: GraphIndex, value: string): DqMatch | undefined {
  const node = ix.producer.get(value);
  if (!isOp(node, 'DequantizeLinear')) return undefined;
  const x = node.inputs[0];
  const zp = ix.const(node.inputs[2]);
  const dtype = zp?.dtype ?? ix.dtypeOf(x);
  const rank = ix.const(x)?.shape.length;
  const params = paramsOf(ix, node, dtype, rank);
  return params === undefined ? undefined : { node, x, params };
}

/** An 8-bit per-tensor DQ (the form every activation input of a lowered group must have). */
export function activationDq(ix: GraphIndex, value: string): DqMatch | undefined {
  const dq = dqOf(ix, value);
  return dq !== undefined && dq.params.perTensor && isQ8(dq.params.dtype) ? dq : undefined;
}

/** A QuantizeLinear consuming `value`. */
export interface QMatch {
  node: Node;
  /** The integer output value (its name is kept by every rewrite). */
  y: string;
  params: QParams;
}

/** The single per-tensor 8-bit QuantizeLinear that consumes `value` (and nothing else consumes `value`). */
export function soleQ(ix: GraphIndex, value: string): QMatch | undefined {
  const node = ix.soleConsumer(value);
  if (!isOp(node, 'QuantizeLinear') || node.inputs[0] !== value) return undefined;
  const dtype = qOutputDType(ix, node);
  const params = paramsOf(ix, node, dtype, undefined);
  if (params === undefined || !params.perTensor || !isQ8(params.dtype)) return undefined;
  const y = node.outputs.at(0);
  if (y === undefined || y === '') return undefined;
  return { node, y, params };
}

/** The one consumer of `value` if it is a default-domain node of one of the given types. */
export function soleConsumerOf(
  ix: GraphIndex,
  value: string,
  opTypes: readonly string[],
): Node | undefined {
  const n = ix.soleConsumer(value);
  return n !== undefined && n.domain === '' && opTypes.includes(n.opType) ? n : undefined;
}

export const scalarOf = (t: Tensor): number => Number(t.data[0]);

export const qRange = (d: Q8): readonly [number, number] => INT_RANGE[d];

/** Float32 equality within a few ulps (scales written by different tools round products differently). */
export function closeF32(a: number, b: number): boolean {
  return Math.abs(a - b) <= 4 * 2 ** -23 * Math.max(Math.abs(a), Math.abs(b));
}

/** Same per-tensor parameters (scale bit-equal, same zp and dtype): a Q/DQ pair that is the identity. */
export const sameParams = (a: QParams, b: QParams): boolean =>
  a.perTensor &&
  b.perTensor &&
  a.dtype === b.dtype &&
  scalarOf(a.scale) === scalarOf(b.scale) &&
  scalarOf(a.zp) === scalarOf(b.zp);
