// QDQ lowering: rewrites DequantizeLinear → op → QuantizeLinear groups into the integer ops onnxruntime fuses them to.

import { NpuError } from '../../common/diagnostics.js';
import type { Graph, Model, Node } from '../../onnx/graph.js';
import { defaultOpset } from '../../onnx/graph.js';
import { kernelKey } from '../kernel.js';
import { finishDeadCode } from './dead-code.js';
import { lowerBinary } from './binary.js';
import { lowerConv, lowerGemm, lowerMatMul } from './conv-like.js';
import { DATA_MOVEMENT_OPS, lowerDataMovement } from './data-movement.js';
import { foldWeightQuant } from './fold-weight-quant.js';
import { INTEGER_KERNEL_LOWERINGS } from './integer-kernels.js';
import { GraphIndex } from './match.js';
import { lowerAveragePool, lowerConcat } from './pools.js';
import { LowerCtx, type Rewrite } from './rewrite.js';
import { UNARY_LUT_OPS, lowerUnaryLut } from './unary-lut.js';

type Lowering = (cx: LowerCtx, n: Node) => Rewrite | undefined;

/** The pattern tried for each default-domain op type (the op is the group's centre, between its DQs and its Q). */
const LOWERINGS: Record<string, Lowering> = {
  Conv: lowerConv,
  MatMul: lowerMatMul,
  Gemm: lowerGemm,
  Add: lowerBinary,
  Mul: lowerBinary,
  GlobalAveragePool: lowerAveragePool,
  AveragePool: lowerAveragePool,
  Concat: lowerConcat,
  ...Object.fromEntries(UNARY_LUT_OPS.map((op) => [op, lowerUnaryLut])),
  ...Object.fromEntries(DATA_MOVEMENT_OPS.map((op) => [op, lowerDataMovement])),
};

/** A group whose attributes or parameters a kernel rejects stays as it is: running it reports the error in context. */
function tryLower(lower: Lowering, cx: LowerCtx, n: Node): Rewrite | undefined {
  try {
    return lower(cx, n);
  } catch (e) {
    if (e instanceof NpuError) return undefined;
    throw e;
  }
}

export interface LowerQdqOptions {
  /**
   * Also lower DQ → Softmax / LayerNormalization / Gelu → Q to the I-BERT integer kernels npu.ref:ISoftmax /
   * ILayerNorm / IGelu (what the NPU computes) instead of keeping the float-exact op between DQ and Q (what
   * onnxruntime computes). Off by default.
   */
  integerKernels?: boolean;
}

/**
 * Returns a new model in which constant float weights behind QuantizeLinear are folded to integers and every QDQ
 * group with a known integer equivalent is replaced by it (docs/semantics.md, "## QDQ graphs"). Groups that do not
 * match exactly (a float input not from DQ, a float output with a second consumer, a bias with the wrong scale,
 * Softmax, LayerNormalization, Gelu unless `integerKernels`, ...) stay DQ → float op → Q. QOperator nodes pass
 * through. The input is not modified.
 */
export function lowerQdq(model: Model, opts: LowerQdqOptions = {}): Model {
  const opset = defaultOpset(model);
  const src = model.graph;
  const folded = foldWeightQuant(src.nodes, src.initializers, opset);
  const graph: Graph = {
    ...src,
    nodes: folded.nodes,
    inputs: src.inputs.map((v) => ({ ...v })),
    outputs: src.outputs.map((v) => ({ ...v })),
    initializers: folded.initializers,
    valueInfo: new Map(src.valueInfo),
  };
  const cx = new LowerCtx(new GraphIndex(graph), opset);

  const claimed = new Set<Node>();
  const byAnchor = new Map<Node, Rewrite>();
  for (const n of graph.nodes) {
    const lower = claimed.has(n)
      ? undefined
      : ((opts.integerKernels === true
          ? INTEGER_KERNEL_LOWERINGS[kernelKey(n.domain, n.opType)]
          : undefined) ?? (n.domain === '' ? LOWERINGS[n.opType] : undefined));
    cx.origin = n.name;
    const r = lower === undefined ? undefined : tryLower(lower, cx, n);
    if (r === undefined || r.remove.some((m) => claimed.has(m))) continue;
    for (const m of r.remove) claimed.add(m);
    byAnchor.set(r.anchor, r);
  }
  if (byAnchor.size === 0 && folded.nodes.length === src.nodes.length) return { ...model, graph };

  const nodes: Node[] = [];
  for (const n of graph.nodes) {
    const r = byAnchor.get(n);
    if (r !== undefined) nodes.push(...r.add);
    else if (!claimed.has(n)) nodes.push(n);
  }
  for (const [name, t] of cx.newInits) graph.initializers.set(name, t);
  graph.nodes = nodes;
  finishDeadCode(graph, src);

  const opsetImports = model.opsetImports.map((o) => ({ ...o }));
  for (const domain of cx.domainsUsed) {
    if (!opsetImports.some((o) => o.domain === domain)) opsetImports.push({ domain, version: 1 });
  }
  return { ...model, opsetImports, graph };
}
