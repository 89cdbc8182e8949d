// Finds Conv / Gemm / MatMul / Add followed by Relu or Clip, which quantize as one op: the activation's range is the
// producer output's (a residual Add + ReLU then needs no requantizing table: npuc folds the clamp into vec.add).

import { defaultOpset, type Graph, type Model, type Node } from '../../onnx/graph.js';
import { consumersOf, floatConst, isGraphOutput, producersOf } from './graph-edit.js';

export interface FusedActivation {
  /** The Conv / Gemm node. */
  producer: Node;
  /** The Relu / Clip node reading the producer's output (its only consumer). */
  activation: Node;
  /** Values the activation lets through: [0, inf) for Relu, [min, max] for Clip. */
  low: number;
  high: number;
}

const PRODUCERS = new Set(['Conv', 'Gemm', 'ConvTranspose', 'MatMul', 'Add']);

/** Clip bounds from attributes (opset < 11) or constant inputs; undefined when a bound is not constant. */
function clipBounds(g: Graph, n: Node, opset: number): [number, number] | undefined {
  if (opset < 11) {
    const lo = n.attrs.min;
    const hi = n.attrs.max;
    return [
      lo?.type === 'float' ? lo.value : -Infinity,
      hi?.type === 'float' ? hi.value : Infinity,
    ];
  }
  const bound = (i: number, dflt: number): number | undefined => {
    const name = n.inputs[i] ?? '';
    if (name === '') return dflt;
    const t = floatConst(g, name);
    return t === undefined || t.data.length !== 1 ? undefined : t.data[0];
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

export function findFusedActivations(model: Model): FusedActivation[] {
  const g = model.graph;
  const opset = defaultOpset(model);
  const consumers = consumersOf(g);
  const producers = producersOf(g);
  const out: FusedActivation[] = [];
  for (const act of g.nodes) {
    if (act.domain !== '' || (act.opType !== 'Relu' && act.opType !== 'Clip')) continue;
    const x = act.inputs[0] ?? '';
    const prod = producers.get(x);
    if (prod === undefined || !PRODUCERS.has(prod.opType) || prod.domain !== '') continue;
    if ((consumers.get(x) ?? []).length !== 1 || isGraphOutput(g, x)) continue;
    const bounds =
      act.opType === 'Relu' ? ([0, Infinity] as [number, number]) : clipBounds(g, act, opset);
    if (bounds === undefined) continue;
    out.push({ producer: prod, activation: act, low: bounds[0], high: bounds[1] });
  }
  return out;
}
