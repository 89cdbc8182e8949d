// Pass: DQ(x) → any element-wise float subgraph of x alone → Q becomes one 256-entry table (npu.ref:QLinearLut).

import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE, tensor } from '../../common/tensor.js';
import type { Graph, Model, Node } from '../../onnx/graph.js';
import { runModel } from '../../reference/interpreter.js';
import type { Pass } from '../state.js';

// Element-wise float ops: output[i] depends on input[i] only (with scalar constant operands), so the subgraph maps
// each 8-bit code to one output code and is a table. Torch exports HardSwish at opset 13 as HardSigmoid + Mul(x, ·),
// which lowerQdq (one op per group) leaves in float.
const ELEMENTWISE = new Set([
  'Abs',
  'Add',
  'Clip',
  'Div',
  'Elu',
  'Erf',
  'Exp',
  'HardSigmoid',
  'HardSwish',
  'Identity',
  'LeakyRelu',
  'Max',
  'Min',
  'Mul',
  'Neg',
  'Pow',
  'Relu',
  'Selu',
  'Sigmoid',
  'Softplus',
  'Sqrt',
  'Sub',
  'Tanh',
]);

const perTensorConst = (g: Graph, name: string | undefined): Tensor | undefined => {
  if (name === undefined || name === '') return undefined;
  const t = g.initializers.get(name);
  return t !== undefined && t.data.length === 1 ? t : undefined;
};

const is8bit = (t: Tensor | undefined): boolean => t?.dtype === 'int8' || t?.dtype === 'uint8';

interface Region {
  dq: Node;
  q: Node;
  nodes: Node[];
}

/** The region feeding `q`, or undefined if it is not element-wise in one DQ'd 8-bit tensor. */
function regionOf(
  g: Graph,
  q: Node,
  producer: Map<string, Node>,
  consumers: Map<string, Node[]>,
): Region | undefined {
  const zpQ = perTensorConst(g, q.inputs[2]);
  if (perTensorConst(g, q.inputs[1]) === undefined || !is8bit(zpQ)) return undefined;
  const outputs = new Set(g.outputs.map((o) => o.name));
  const nodes = new Set<Node>();
  let dq: Node | undefined;
  const stack = [q.inputs[0]];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (perTensorConst(g, v) !== undefined) continue;
    const p = producer.get(v);
    if (p === undefined) return undefined;
    if (p.domain === '' && p.opType === 'DequantizeLinear') {
      if (dq !== undefined && dq !== p) return undefined;
      if (g.initializers.has(p.inputs[0])) return undefined; // a constant region is constant folding's job
      if (perTensorConst(g, p.inputs[1]) === undefined || !is8bit(perTensorConst(g, p.inputs[2])))
        return undefined;
      dq = p;
      continue;
    }
    if (p.domain !== '' || !ELEMENTWISE.has(p.opType) || p.outputs.length !== 1) return undefined;
    if (!nodes.has(p)) {
      nodes.add(p);
      stack.push(...p.inputs.filter((i) => i !== ''));
    }
  }
  if (dq === undefined || nodes.size === 0) return undefined;
  // every intermediate is read only inside the region (or by q): the table replaces all of them
  for (const n of nodes) {
    const out = n.outputs[0];
    if (outputs.has(out)) return undefined;
    for (const c of consumers.get(out) ?? []) if (c !== q && !nodes.has(c)) return undefined;
  }
  const order = g.nodes.filter((n) => nodes.has(n));
  return { dq, q, nodes: order };
}

/** table[i] = the region's literal float result for code qmin + i, computed by the reference interpreter. */
function tableOf(model: Model, r: Region, xType: 'int8' | 'uint8'): Tensor {
  const g = model.graph;
  const inits = new Map<string, Tensor>();
  for (const n of [r.dq, ...r.nodes, r.q])
    for (const i of n.inputs) if (g.initializers.has(i)) inits.set(i, g.initializers.get(i)!);
  const x = r.dq.inputs[0];
  const mini: Model = {
    ...model,
    graph: {
      name: 'lut-region',
      nodes: [r.dq, ...r.nodes, r.q],
      inputs: [{ name: x, dtype: xType, shape: [256] }],
      outputs: [{ name: r.q.outputs[0] }],
      initializers: inits,
      valueInfo: new Map(),
    },
  };
  const lo = INT_RANGE[xType][0];
  const codes = tensor(
    xType,
    [256],
    Array.from({ length: 256 }, (_, i) => lo + i),
  );
  const out = runModel(mini, { [x]: codes }, { literalQdq: true })[r.q.outputs[0]];
  return out;
}

export function fuseUnaryRegions(model: Model): Model {
  const g = model.graph;
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  }
  const removed = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const q of g.nodes) {
    if (q.domain !== '' || q.opType !== 'QuantizeLinear') continue;
    const r = regionOf(g, q, producer, consumers);
    const xType =
      r === undefined ? undefined : (perTensorConst(g, r.dq.inputs[2])?.dtype as 'int8' | 'uint8');
    if (r === undefined || xType === undefined || r.nodes.some((n) => removed.has(n))) continue;
    const table = tableOf(model, r, xType);
    for (const n of r.nodes) removed.add(n);
    replaced.set(q, {
      name: `${q.name}__lut`,
      opType: 'QLinearLut',
      domain: 'npu.ref',
      inputs: [r.dq.inputs[0]],
      outputs: [q.outputs[0]],
      attrs: { table: { type: 'tensor', value: table } },
    });
  }
  if (replaced.size === 0) return model;
  let nodes = g.nodes.filter((n) => !removed.has(n)).map((n) => replaced.get(n) ?? n);
  // a DQ nothing reads any more goes too
  const read = new Set([...nodes.flatMap((n) => n.inputs), ...g.outputs.map((o) => o.name)]);
  nodes = nodes.filter(
    (n) => !(n.opType === 'DequantizeLinear' && n.domain === '' && !read.has(n.outputs[0])),
  );
  const opsetImports = model.opsetImports.some((o) => o.domain === 'npu.ref')
    ? model.opsetImports
    : [...model.opsetImports, { domain: 'npu.ref', version: 1 }];
  return { ...model, opsetImports, graph: { ...g, nodes } };
}

export const fuseUnaryRegionsPass: Pass = {
  name: 'fuse-unary-regions',
  run(s) {
    // a table is exact (256 codes in, literal float path evaluated once per code) and runs as one vec.lut
    s.model = fuseUnaryRegions(s.model);
  },
};
