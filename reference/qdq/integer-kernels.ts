// Integer-kernel mode of QDQ lowering: DQ → Softmax / LayerNormalization / Gelu → Q become npu.ref I-BERT ops.

import type { Attr, Node } from '../../onnx/graph.js';
import { attrInt, attrString } from '../../onnx/graph.js';
import { type DqMatch, type QMatch, activationDq, scalarOf, soleQ } from './match.js';
import { type LowerCtx, NPU_REF, type Rewrite, intA } from './rewrite.js';

const floatA = (value: number): Attr => ({ type: 'float', value });

/** x_scale, x_zero_point, y_scale, y_zero_point attributes of the npu.ref I-BERT ops (reference/ibert/ops.ts). */
function quantAttrs(x: DqMatch, q: QMatch): Record<string, Attr> {
  return {
    x_scale: floatA(scalarOf(x.params.scale)),
    x_zero_point: intA(scalarOf(x.params.zp)),
    y_scale: floatA(scalarOf(q.params.scale)),
    y_zero_point: intA(scalarOf(q.params.zp)),
  };
}

/** The group's per-tensor 8-bit input DQ and output Q, one dtype (the I-BERT ops keep the input's dtype). */
function group(cx: LowerCtx, n: Node): { x: DqMatch; q: QMatch } | undefined {
  const x = activationDq(cx.ix, n.inputs[0] ?? '');
  const y = n.outputs[0];
  if (x === undefined || y === undefined || y === '') return undefined;
  if (n.outputs.slice(1).some((o) => o !== '')) return undefined;
  const q = soleQ(cx.ix, y);
  if (q === undefined || q.params.dtype !== x.params.dtype) return undefined;
  return { x, q };
}

/** DQ(x) → Softmax(axis) → Q  ⇒  npu.ref:ISoftmax (opset 13 semantics: one axis; output_bits 8). */
export function lowerISoftmax(cx: LowerCtx, n: Node): Rewrite | undefined {
  if (cx.opset < 13) return undefined;
  const m = group(cx, n);
  if (m === undefined) return undefined;
  const attrs = { ...quantAttrs(m.x, m.q), axis: intA(attrInt(n, 'axis', -1)) };
  const op = cx.node('ISoftmax', [m.x.x], [m.q.y], attrs, NPU_REF);
  return { anchor: n, remove: [n, m.q.node], add: [op] };
}

/**
 * DQ(x) → LayerNormalization(x, γ, β) → Q with constant float32 γ (and β) of one value per normalized element
 * ⇒  npu.ref:ILayerNorm(x, γ, β). I-BERT's integer LayerNorm has no epsilon: the attribute is dropped (it matters
 * only when a row's variance is comparable to ε, i.e. a nearly constant row).
 */
export function lowerILayerNorm(cx: LowerCtx, n: Node): Rewrite | undefined {
  const m = group(cx, n);
  if (m === undefined) return undefined;
  const gamma = cx.ix.const(n.inputs[1]);
  const betaName = n.inputs[2] ?? '';
  const beta = betaName === '' ? undefined : cx.ix.const(betaName);
  if (gamma?.dtype !== 'float32' || (betaName !== '' && beta?.dtype !== 'float32'))
    return undefined;
  if (beta !== undefined && beta.data.length !== gamma.data.length) return undefined;
  for (const v of gamma.data) if (v === 0) return undefined;
  const attrs = { ...quantAttrs(m.x, m.q), axis: intA(attrInt(n, 'axis', -1)) };
  const inputs = betaName === '' ? [m.x.x, n.inputs[1]] : [m.x.x, n.inputs[1], betaName];
  const op = cx.node('ILayerNorm', inputs, [m.q.y], attrs, NPU_REF);
  return { anchor: n, remove: [n, m.q.node], add: [op] };
}

/** DQ(x) → Gelu (ONNX, approximate 'none'; or com.microsoft Gelu) → Q  ⇒  npu.ref:IGelu. */
export function lowerIGelu(cx: LowerCtx, n: Node): Rewrite | undefined {
  if (n.inputs.length !== 1 || attrString(n, 'approximate', 'none') !== 'none') return undefined;
  const m = group(cx, n);
  if (m === undefined) return undefined;
  const op = cx.node('IGelu', [m.x.x], [m.q.y], quantAttrs(m.x, m.q), NPU_REF);
  return { anchor: n, remove: [n, m.q.node], add: [op] };
}

/** The integer-kernel lowerings by kernelKey(domain, opType). */
export const INTEGER_KERNEL_LOWERINGS: Readonly<
  Record<string, (cx: LowerCtx, n: Node) => Rewrite | undefined>
> = {
  Softmax: lowerISoftmax,
  LayerNormalization: lowerILayerNorm,
  Gelu: lowerIGelu,
  'com.microsoft:Gelu': lowerIGelu,
};
