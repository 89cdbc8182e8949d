// QDQ data-movement ops run directly on the integer tensor, followed by a requantizing table only if Q ≠ DQ.

import { tensor } from '../../common/tensor.js';
import type { Node } from '../../onnx/graph.js';
import { attrString } from '../../onnx/graph.js';
import { type QMatch, activationDq, scalarOf, soleQ } from './match.js';
import { type LowerCtx, NPU_REF, type Rewrite, isIdentityTable, tensorAttr } from './rewrite.js';

/**
 * Ops that only select, copy or reorder elements of their first input (MaxPool selects the maximum, which commutes
 * with the non-decreasing map Q∘DQ). Their other inputs (shapes, indices, axes, pads, sizes) are not quantized.
 */
export const DATA_MOVEMENT_OPS = [
  'MaxPool',
  'Reshape',
  'Flatten',
  'Transpose',
  'Squeeze',
  'Unsqueeze',
  'Resize',
  'Pad',
  'Identity',
  'Slice',
  'Split',
  'Gather',
] as const;

/**
 * DQ(x) → op → Q (each output)  ⇒  op(x) [→ npu.ref:QLinearLut(Q(DQ(·)))]. Moving values commutes with the
 * element-wise map Q∘DQ, so requantizing after the op equals the float path; the table is left out when it is the
 * identity (same scale, zp and dtype). Pad's constant value c becomes sat(Q_x(c)) with the INPUT's parameters
 * (exact when c is representable, e.g. 0 ↦ zp).
 */
export function lowerDataMovement(cx: LowerCtx, n: Node): Rewrite | undefined {
  const x = activationDq(cx.ix, n.inputs[0] ?? '');
  if (x === undefined) return undefined;
  const inputs = [x.x, ...n.inputs.slice(1)];
  let outputs = n.outputs;
  if (n.opType === 'MaxPool') {
    // the Indices output would have to stay float-free too; lower only the plain MaxPool
    if (outputs.length > 1 && outputs[1] !== '') return undefined;
    outputs = outputs.slice(0, 1);
  }
  if (n.opType === 'Resize' && attrString(n, 'mode', 'nearest') !== 'nearest') return undefined;
  let padValue: number | undefined;
  if (n.opType === 'Pad' && attrString(n, 'mode', 'constant') === 'constant') {
    if (cx.opset < 11) return undefined;
    const cName = n.inputs.at(2);
    let c = 0;
    if (cName !== undefined && cName !== '') {
      const t = cx.ix.const(cName);
      if (t === undefined || t.data.length !== 1) return undefined;
      c = scalarOf(t);
    }
    padValue = cx.quantizeScalar(c, x.params);
    if (padValue === undefined) return undefined;
  }
  const qs: QMatch[] = [];
  for (const o of outputs) {
    const q = o === '' ? undefined : soleQ(cx.ix, o);
    if (q === undefined) return undefined;
    qs.push(q);
  }
  if (padValue !== undefined) {
    while (inputs.length < 3) inputs.push('');
    inputs[2] = cx.addInit(`${x.x}__pad_value`, tensor(x.params.dtype, [], [padValue]));
  }
  const add: Node[] = [];
  const newOutputs = qs.map((q) => {
    const table = cx.lutTable(undefined, [], x.params, q.params);
    if (isIdentityTable(table, x.params.dtype)) return q.y;
    const tmp = cx.fresh(`${q.y}__moved`);
    add.push(cx.node('QLinearLut', [tmp], [q.y], { table: tensorAttr(table) }, NPU_REF));
    return tmp;
  });
  const moved: Node = { ...n, inputs, outputs: newOutputs };
  return { anchor: n, remove: [n, ...qs.map((q) => q.node)], add: [moved, ...add] };
}
