// Pass: the float QuantizeLinear after each graph input and DequantizeLinear before each output become host-side I/O.

import type { Tensor } from '../../common/tensor.js';
import type { Node } from '../../onnx/graph.js';
import type { IoBinding, Q8 } from '../ir.js';
import type { Pass } from '../state.js';

const isQ8 = (t: Tensor | undefined): t is Tensor => t?.dtype === 'int8' || t?.dtype === 'uint8';

/** Constant per-tensor (scale, zp) of a Q / DQ node, if it has them. */
function boundaryQuant(
  n: Node,
  inits: Map<string, Tensor>,
): { scale: number; zp: number; dtype: Q8 } | undefined {
  const scale = inits.get(n.inputs[1] ?? '');
  const zp = inits.get(n.inputs[2] ?? '');
  if (scale?.dtype !== 'float32' || scale.data.length !== 1 || !isQ8(zp) || zp.data.length !== 1)
    return undefined;
  return { scale: Number(scale.data[0]), zp: Number(zp.data[0]), dtype: zp.dtype as Q8 };
}

export const bindIoPass: Pass = {
  name: 'bind-io',
  run(s) {
    const g = s.model.graph;
    const removed = new Set<Node>();
    const inputs: IoBinding[] = [];
    const outputs: IoBinding[] = [];
    for (const x of g.inputs) {
      if (g.initializers.has(x.name)) continue;
      const readers = g.nodes.filter((n) => n.inputs.includes(x.name));
      const q = readers.length === 1 ? readers[0] : undefined;
      const quant =
        q?.opType === 'QuantizeLinear' && q.domain === ''
          ? boundaryQuant(q, g.initializers)
          : undefined;
      // the NPU reads integer codes; quantizing a float input is the runtime's job (as onnxruntime's, exactly)
      if (q !== undefined && quant !== undefined && x.dtype === 'float32') {
        removed.add(q);
        inputs.push({ onnxName: x.name, tensor: q.outputs[0], quant });
      } else inputs.push({ onnxName: x.name, tensor: x.name });
    }
    for (const y of g.outputs) {
      const dq = g.nodes.find((n) => n.outputs.includes(y.name));
      const quant =
        dq?.opType === 'DequantizeLinear' && dq.domain === ''
          ? boundaryQuant(dq, g.initializers)
          : undefined;
      if (dq !== undefined && quant !== undefined) {
        removed.add(dq);
        outputs.push({ onnxName: y.name, tensor: dq.inputs[0], quant });
      } else outputs.push({ onnxName: y.name, tensor: y.name });
    }
    // the model itself stays whole (the runtime's host fallback runs it); later passes skip the boundary nodes
    s.io = { inputs, outputs, boundary: new Set([...removed].map((n) => n.name)) };
  },
};
