// Small helpers shared by the graph-preparation passes: copying a model, consumers, fresh names.

import type { Tensor } from '../../common/tensor.js';
import type { Graph, Model, Node } from '../../onnx/graph.js';

/** A copy of the model whose graph lists (nodes, inputs, outputs, maps) may be edited; tensors are shared. */
export function editableCopy(model: Model): Model {
  const g = model.graph;
  const graph: Graph = {
    ...g,
    nodes: g.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attrs: { ...n.attrs },
    })),
    inputs: g.inputs.map((v) => ({ ...v })),
    outputs: g.outputs.map((v) => ({ ...v })),
    initializers: new Map(g.initializers),
    valueInfo: new Map(g.valueInfo),
  };
  return { ...model, opsetImports: model.opsetImports.map((o) => ({ ...o })), graph };
}

/** Nodes reading each value (a node reading a value twice is listed twice). */
export function consumersOf(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const i of n.inputs) {
      if (i === '') continue;
      const list = m.get(i);
      if (list === undefined) m.set(i, [n]);
      else list.push(n);
    }
  }
  return m;
}

/** The node writing each value. */
export function producersOf(g: Graph): Map<string, Node> {
  const m = new Map<string, Node>();
  for (const n of g.nodes) for (const o of n.outputs) if (o !== '') m.set(o, n);
  return m;
}

/** A name not used by any value, node output or initializer of the graph. */
export function freshName(g: Graph, base: string): string {
  const used = (s: string): boolean =>
    g.initializers.has(s) ||
    g.inputs.some((i) => i.name === s) ||
    g.nodes.some((n) => n.outputs.includes(s));
  if (!used(base)) return base;
  for (let k = 1; ; k++) if (!used(`${base}_${k}`)) return `${base}_${k}`;
}

/** A float32 constant's values, or undefined if the value is not a float initializer. */
export function floatConst(g: Graph, name: string | undefined): Tensor<'float32'> | undefined {
  if (name === undefined || name === '') return undefined;
  const t = g.initializers.get(name);
  return t?.dtype === 'float32' ? (t as Tensor<'float32'>) : undefined;
}

export const isGraphOutput = (g: Graph, name: string): boolean =>
  g.outputs.some((o) => o.name === name);
