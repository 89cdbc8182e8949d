// QDQ unary float ops lowered to a 256-entry lookup table (npu.ref:QLinearLut).

import type { Tensor } from '../../common/tensor.js';
import type { Node } from '../../onnx/graph.js';
import { activationDq, soleQ } from './match.js';
import { type LowerCtx, NPU_REF, type Rewrite, tensorAttr } from './rewrite.js';

/** Element-wise float ops whose QDQ group becomes a table (Gelu: only integer-kernel mode lowers it, to IGelu). */
export const UNARY_LUT_OPS = [
  'Relu',
  'Clip',
  'LeakyRelu',
  'Sigmoid',
  'HardSigmoid',
  'HardSwish',
  'Tanh',
] as const;

/**
 * DQ(x) → f → Q  ⇒  npu.ref:QLinearLut(x) with table[code] = Q(f(DQ(code))). An 8-bit input has 256 codes, and the
 * table is computed by the interpreter's own DQ, float and Q kernels, so the lookup equals the float path exactly.
 * Extra inputs (Clip's min / max) must be constants.
 */
export function lowerUnaryLut(cx: LowerCtx, n: Node): Rewrite | undefined {
  const x = activationDq(cx.ix, n.inputs[0] ?? '');
  if (x === undefined || n.outputs.length !== 1) return undefined;
  const extra: (Tensor | undefined)[] = [];
  for (const name of n.inputs.slice(1)) {
    if (name === '') {
      extra.push(undefined);
      continue;
    }
    const t = cx.ix.const(name);
    if (t === undefined) return undefined;
    extra.push(t);
  }
  const q = soleQ(cx.ix, n.outputs[0]);
  if (q === undefined) return undefined;
  const table = cx.lutTable(n, extra, x.params, q.params);
  const lut = cx.node('QLinearLut', [x.x], [q.y], { table: tensorAttr(table) }, NPU_REF);
  return { anchor: n, remove: [n, q.node], add: [lut] };
}
