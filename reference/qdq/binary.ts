// QDQ Add / Mul groups lowered to com.microsoft QLinearAdd / QLinearMul (a following Relu / Clip as IntClip).

import type { Node } from '../../onnx/graph.js';
import { finishGroup, groupTail, tailNodes } from './activation.js';
import { activationDq } from './match.js';
import { type LowerCtx, MS, type Rewrite } from './rewrite.js';

/** DQ(a), DQ(b) → Add | Mul → [Relu | Clip] → Q  ⇒  QLinearAdd | QLinearMul [→ npu.ref:IntClip]; one dtype throughout. */
export function lowerBinary(cx: LowerCtx, n: Node): Rewrite | undefined {
  const a = activationDq(cx.ix, n.inputs[0] ?? '');
  const b = activationDq(cx.ix, n.inputs[1] ?? '');
  if (a === undefined || b === undefined || n.inputs.length !== 2 || n.outputs.length !== 1)
    return undefined;
  const tail = groupTail(cx, n.outputs[0]);
  if (tail === undefined) return undefined;
  const q = tail.q.params;
  if (a.params.dtype !== q.dtype || b.params.dtype !== q.dtype) return undefined;
  const op = n.opType === 'Add' ? 'QLinearAdd' : 'QLinearMul';
  const add = finishGroup(cx, tail, (out) =>
    cx.node(op, [...cx.operand(a), ...cx.operand(b), ...cx.qParams(q)], [out], {}, MS),
  );
  return { anchor: n, remove: [n, ...tailNodes(tail)], add };
}
