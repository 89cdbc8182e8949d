// Constant folding: evaluates nodes whose inputs are all constants and replaces them by initializers.

import type { Tensor } from '../common/tensor.js';
import { tensor } from '../common/tensor.js';
import { NpuError } from '../common/diagnostics.js';
import type { Graph, Model, Node } from './graph.js';
import type { Kernel } from '../reference/kernel.js';
import { kernelKey } from '../reference/kernel.js';
import { inferShapes } from './shape-inference.js';
import { nodeInputs, topoSort } from './topo.js';
import { attrOf, constantValue, own } from './shape-dims.js';

/**
 * Never folded, even with constant inputs: the quantization structure (Q/DQ pairs, quantized ops) must stay
 * visible to the quantizer and compiler, and random ops are not deterministic.
 */
const NEVER_FOLD = new Set([
  'QuantizeLinear',
  'DequantizeLinear',
  'DynamicQuantizeLinear',
  'QLinearConv',
  'QLinearMatMul',
  'ConvInteger',
  'MatMulInteger',
  'RandomNormal',
  'RandomUniform',
  'RandomNormalLike',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'If',
  'Loop',
  'Scan',
]);

/** Evaluated here without a kernel: they only move values around. */
function builtin(node: Node, inputs: readonly (Tensor | undefined)[]): Tensor[] | undefined {
  switch (node.opType) {
    case 'Constant': {
      const c = constantValue(node);
      return c === undefined ? undefined : [c];
    }
    case 'Identity':
      return inputs[0] === undefined ? undefined : [inputs[0]];
    default:
      return undefined;
  }
}

/** A Shape node whose input shape is fully known statically (torch exports' Shape -> Gather -> ... -> Reshape). */
function staticShape(
  node: Node,
  shape: readonly (number | string)[] | undefined,
): Tensor[] | undefined {
  if (node.opType !== 'Shape' || node.domain !== '' || shape === undefined) return undefined;
  if (!shape.every((d) => typeof d === 'number')) return undefined;
  const r = shape.length;
  const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const sa = attrOf(node, 'start');
  const ea = attrOf(node, 'end');
  const s = clamp(sa?.type === 'int' ? sa.value : 0);
  const e = clamp(ea?.type === 'int' ? ea.value : r);
  const dims = (shape as number[]).slice(s, Math.max(s, e));
  return [tensor('int64', [dims.length], dims.map(BigInt))];
}

/** One pass: folds what it can; returns the number of folded nodes. */
function foldPass(model: Model, g: Graph, kernels: Record<string, Kernel>): number {
  let shapes: Map<string, { shape?: (number | string)[] }> = new Map();
  try {
    shapes = inferShapes({ ...model, graph: g });
  } catch (e) {
    // folding still helps when some shape is inconsistent; the error resurfaces where it matters
    if (!(e instanceof NpuError)) throw e;
  }
  const opsetOf = (domain: string): number =>
    model.opsetImports.find((o) => o.domain === domain || (domain === '' && o.domain === 'ai.onnx'))
      ?.version ?? 1;
  const folded = new Set<Node>();
  for (const node of topoSort(g)) {
    if (NEVER_FOLD.has(node.opType) || Object.values(node.attrs).some((a) => a.type === 'graph'))
      continue;
    if (node.outputs.length === 0) continue;
    const allConst = node.inputs.every((n) => n === '' || g.initializers.has(n));
    let outs: Tensor[] | undefined;
    if (allConst) {
      const inputs = node.inputs.map((n) => (n === '' ? undefined : g.initializers.get(n)));
      outs = builtin(node, inputs);
      const kernel = own(kernels, kernelKey(node.domain, node.opType));
      if (outs === undefined && kernel !== undefined) {
        try {
          outs = kernel(inputs, { node, mode: 'float', opset: opsetOf(node.domain) });
        } catch (e) {
          // a kernel refusing these inputs is reported when the model runs, with its real context
          if (!(e instanceof NpuError)) throw e;
          outs = undefined;
        }
      }
    }
    if (outs === undefined) outs = staticShape(node, shapes.get(node.inputs[0] ?? '')?.shape);
    if (outs === undefined || outs.length < node.outputs.filter((o) => o !== '').length) continue;
    node.outputs.forEach((o, i) => o !== '' && g.initializers.set(o, outs[i]));
    folded.add(node);
  }
  g.nodes = g.nodes.filter((n) => !folded.has(n));
  return folded.size;
}

/** Drops nodes and initializers nothing uses (graph outputs are always kept). */
function removeUnused(g: Graph): void {
  const outputs = new Set(g.outputs.map((o) => o.name));
  for (;;) {
    const used = new Set<string>(outputs);
    for (const n of g.nodes) for (const i of nodeInputs(n)) used.add(i);
    const keep = g.nodes.filter((n) => n.outputs.some((o) => o !== '' && used.has(o)));
    if (keep.length === g.nodes.length) {
      for (const name of [...g.initializers.keys()])
        if (!used.has(name)) g.initializers.delete(name);
      for (const name of [...g.valueInfo.keys()])
        if (g.initializers.has(name)) g.valueInfo.delete(name);
      return;
    }
    g.nodes = keep;
  }
}

/**
 * Returns a new model with constant subgraphs evaluated (by `kernels`, float mode) into initializers.
 * The input model is not modified; tensors are shared, not copied.
 */
export function foldConstants(model: Model, kernels: Record<string, Kernel>): Model {
  const src = model.graph;
  const g: Graph = {
    ...src,
    nodes: [...src.nodes],
    inputs: [...src.inputs],
    outputs: [...src.outputs],
    initializers: new Map(src.initializers),
    valueInfo: new Map(src.valueInfo),
  };
  // folding a Shape can make the next Reshape's output shape known, which can fold another Shape
  for (let pass = 0; pass < 8 && foldPass(model, g, kernels) > 0; pass++);
  removeUnused(g);
  return { ...model, opsetImports: model.opsetImports.map((o) => ({ ...o })), graph: g };
}
