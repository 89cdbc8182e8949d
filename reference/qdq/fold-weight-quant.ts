// Folds QuantizeLinear of a constant float initializer (torch exports weights as float → Q → DQ) into an integer one.

import { NpuError } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import type { Node } from '../../onnx/graph.js';
import { QUANT_KERNELS } from '../ops/quant-registry.js';

const isConst = (inits: ReadonlyMap<string, Tensor>, name: string | undefined): boolean =>
  name === undefined || name === '' || inits.has(name);

/**
 * Returns the nodes without the folded QuantizeLinears and the initializers with their integer results. The value
 * is computed by the interpreter's QuantizeLinear kernel (any axis), so folding changes no bit of the result.
 * A node whose parameters the kernel rejects is left in place, so that running the model reports the error.
 */
export function foldWeightQuant(
  nodes: readonly Node[],
  initializers: ReadonlyMap<string, Tensor>,
  opset: number,
): { nodes: Node[]; initializers: Map<string, Tensor> } {
  const inits = new Map(initializers);
  const kept: Node[] = [];
  const kernel = QUANT_KERNELS.QuantizeLinear;
  for (const n of nodes) {
    const x = inits.get(n.inputs[0] ?? '');
    const out = n.outputs.at(0);
    const foldable =
      n.domain === '' &&
      n.opType === 'QuantizeLinear' &&
      n.outputs.length === 1 &&
      out !== undefined &&
      out !== '' &&
      (x?.dtype === 'float32' || x?.dtype === 'float16') &&
      inits.has(n.inputs[1] ?? '') &&
      isConst(inits, n.inputs[2]);
    if (!foldable) {
      kept.push(n);
      continue;
    }
    try {
      const inputs = n.inputs.map((name) => (name === '' ? undefined : inits.get(name)));
      const q = kernel(inputs, { node: n, mode: 'float', opset }).at(0);
      if (q === undefined) throw new Error('QuantizeLinear kernel returned no output');
      inits.set(out, q);
    } catch (e) {
      if (!(e instanceof NpuError)) throw e;
      kept.push(n);
    }
  }
  return { nodes: kept, initializers: inits };
}
