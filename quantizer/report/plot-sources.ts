// Where the plotted tensors come from: int weights and their float originals, and the dequantized activations.

import { INT_RANGE, type Tensor } from '../../common/tensor.js';
import { attrInt, type Graph, type Model, type Node } from '../../onnx/graph.js';

export interface ScaleZp {
  scales: number[];
  zeroPoint: number;
  dtype: 'int8' | 'uint8';
}

function scaleZpOf(g: Graph, n: Node): ScaleZp | undefined {
  const s = g.initializers.get(n.inputs[1] ?? '');
  const z = g.initializers.get(n.inputs[2] ?? '');
  if (s === undefined) return undefined;
  const dtype = z?.dtype ?? 'uint8';
  if (dtype !== 'int8' && dtype !== 'uint8') return undefined;
  return { scales: Array.from(s.data as Float32Array), zeroPoint: Number(z?.data[0] ?? 0), dtype };
}

/** Weights are symmetric in [-127, 127] (zero point 0); an activation may take every code of its type. */
export function clipOf(p: ScaleZp, kind: 'activation' | 'weight'): [number, number] {
  const [qmin, qmax] =
    kind === 'weight' && p.dtype === 'int8' && p.zeroPoint === 0 ? [-127, 127] : INT_RANGE[p.dtype];
  const s = Math.max(...p.scales);
  return [(qmin - p.zeroPoint) * s, (qmax - p.zeroPoint) * s];
}

export interface WeightSource {
  name: string;
  float: Tensor;
  q: Tensor;
  params: ScaleZp;
  axis: number | null;
}

/** Int8 weights read by `node` in the QDQ model, paired with the float initializer of the same input. */
export function weightsOf(floatModel: Model, qdq: Model, node: string): WeightSource[] {
  const qn = qdq.graph.nodes.find((n) => n.name === node);
  const fn = floatModel.graph.nodes.find((n) => n.name === node);
  if (qn === undefined || fn === undefined) return [];
  const producers = new Map(qdq.graph.nodes.flatMap((n) => n.outputs.map((o) => [o, n] as const)));
  const out: WeightSource[] = [];
  qn.inputs.forEach((input, k) => {
    const dq = producers.get(input);
    const q = qdq.graph.initializers.get(dq?.inputs[0] ?? '');
    const float = floatModel.graph.initializers.get(fn.inputs[k] ?? '');
    if (dq?.opType !== 'DequantizeLinear' || q === undefined || float?.dtype !== 'float32') return;
    const params = scaleZpOf(qdq.graph, dq);
    if (params === undefined || q.dtype !== params.dtype) return;
    const axis = params.scales.length > 1 ? attrInt(dq, 'axis', 1) : null;
    out.push({ name: fn.inputs[k], float, q, params, axis });
  });
  return out;
}

/** The DequantizeLinear output that carries tensor `t`'s quantized value, and its parameters. */
export function dequantizedOf(
  qdq: Model,
  t: string,
): { dqOut: string; params: ScaleZp } | undefined {
  const g = qdq.graph;
  for (const q of g.nodes) {
    if (q.opType !== 'QuantizeLinear' || q.inputs[0] !== t) continue;
    const dq = g.nodes.find((n) => n.opType === 'DequantizeLinear' && n.inputs[0] === q.outputs[0]);
    const params = scaleZpOf(g, q);
    if (dq !== undefined && params !== undefined && params.scales.length === 1)
      return { dqOut: dq.outputs[0], params };
  }
  return undefined;
}
