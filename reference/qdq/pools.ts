// QDQ average pools and Concat lowered to com.microsoft QLinearGlobalAveragePool / QLinearAveragePool / QLinearConcat.

import type { Attr, Node } from '../../onnx/graph.js';
import { attrInts } from '../../onnx/graph.js';
import { activationDq, soleQ } from './match.js';
import { type LowerCtx, MS, type Rewrite, intA } from './rewrite.js';

const AVG_POOL_ATTRS = [
  'auto_pad',
  'ceil_mode',
  'count_include_pad',
  'kernel_shape',
  'pads',
  'strides',
];

/** DQ(x) → GlobalAveragePool | AveragePool → Q  ⇒  QLinearGlobalAveragePool | QLinearAveragePool (NCHW). */
export function lowerAveragePool(cx: LowerCtx, n: Node): Rewrite | undefined {
  const x = activationDq(cx.ix, n.inputs[0] ?? '');
  if (x === undefined || n.inputs.length !== 1 || n.outputs.length !== 1) return undefined;
  const q = soleQ(cx.ix, n.outputs[0]);
  if (q === undefined || q.params.dtype !== x.params.dtype) return undefined;
  const attrs: Record<string, Attr> = { channels_last: intA(0) };
  if (n.opType === 'AveragePool') {
    // QLinearAveragePool has no dilations
    if (attrInts(n, 'dilations', []).some((d) => d !== 1)) return undefined;
    for (const k of AVG_POOL_ATTRS) if (k in n.attrs) attrs[k] = n.attrs[k];
  }
  const op = n.opType === 'AveragePool' ? 'QLinearAveragePool' : 'QLinearGlobalAveragePool';
  const inputs = [...cx.operand(x), ...cx.qParams(q.params)];
  return { anchor: n, remove: [n, q.node], add: [cx.node(op, inputs, [q.y], attrs, MS)] };
}

/** DQ(x_i)... → Concat → Q  ⇒  QLinearConcat(y_scale, y_zp, (x_i, x_scale_i, x_zp_i)...); one dtype throughout. */
export function lowerConcat(cx: LowerCtx, n: Node): Rewrite | undefined {
  if (n.outputs.length !== 1 || n.inputs.length === 0) return undefined;
  const q = soleQ(cx.ix, n.outputs[0]);
  if (q === undefined) return undefined;
  const xs = n.inputs.map((name) => activationDq(cx.ix, name));
  if (xs.some((x) => x === undefined || x.params.dtype !== q.params.dtype)) return undefined;
  const inputs = cx.qParams(q.params);
  for (const x of xs) inputs.push(...cx.operand(x!));
  const attrs: Record<string, Attr> = 'axis' in n.attrs ? { axis: n.attrs.axis } : {};
  return {
    anchor: n,
    remove: [n, q.node],
    add: [cx.node('QLinearConcat', inputs, [q.y], attrs, MS)],
  };
}
