// QDQ Conv / MatMul / Gemm groups lowered to QLinearConv / QLinearMatMul / com.microsoft QGemm.

import type { Attr, Node } from '../../onnx/graph.js';
import { attrFloat, attrInt } from '../../onnx/graph.js';
import { finishGroup, groupTail, tailNodes } from './activation.js';
import { type DqMatch, activationDq, closeF32, dqOf, isQ8, soleConsumerOf } from './match.js';
import { type LowerCtx, MS, type Rewrite } from './rewrite.js';

/** A weight DQ: 8-bit, per-tensor or per-axis along `channelAxis`, one zero point for all channels. */
function weightDq(
  cx: LowerCtx,
  value: string,
  channelAxis: (rank: number) => number,
): DqMatch | undefined {
  const w = dqOf(cx.ix, value);
  if (w === undefined || !isQ8(w.params.dtype)) return undefined;
  if (!w.params.perTensor) {
    const rank = cx.ix.const(w.x)?.shape.length ?? cx.ix.graph.valueInfo.get(w.x)?.shape?.length;
    if (rank === undefined || w.params.axis !== channelAxis(rank)) return undefined;
    // QLinearConv / QGemm in onnxruntime require one weight zero point for all channels
    const zp = w.params.zp.data;
    for (let i = 1; i < zp.length; i++) if (zp[i] !== zp[0]) return undefined;
  }
  return w;
}

/**
 * An int32 bias DQ with zero point 0 and scale x_scale * w_scale[c] (float32 product, within a few ulps): then the
 * bias is exactly an addend of the int32 accumulator. Anything else keeps the group in float.
 */
function biasDq(cx: LowerCtx, value: string, x: DqMatch, w: DqMatch): DqMatch | undefined | 'bad' {
  const b = dqOf(cx.ix, value);
  if (b === undefined || b.params.dtype !== 'int32') return 'bad';
  if (!b.params.perTensor && b.params.axis !== 0) return 'bad';
  for (const z of b.params.zp.data) if (Number(z) !== 0) return 'bad';
  const bs = b.params.scale.data;
  const ws = w.params.scale.data;
  const xs = x.params.scale.data[0];
  if (bs.length > 1 && ws.length > 1 && bs.length !== ws.length) return 'bad';
  const n = Math.max(bs.length, ws.length);
  for (let c = 0; c < n; c++) {
    const expected = Math.fround(xs * ws[ws.length > 1 ? c : 0]);
    if (!closeF32(bs[bs.length > 1 ? c : 0], expected)) return 'bad';
  }
  const data = cx.ix.const(b.x);
  // a per-tensor scale with a per-channel weight must still broadcast over the bias vector
  if (data !== undefined && data.shape.length > 1) return 'bad';
  return b;
}

const pick = (n: Node, names: readonly string[]): Record<string, Attr> => {
  const out: Record<string, Attr> = {};
  for (const k of names) if (k in n.attrs) out[k] = n.attrs[k];
  return out;
};

const CONV_ATTRS = ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'];

/** DQ(x), DQ(w) [, DQ(b:int32)] → Conv → [Relu | Clip] → Q  ⇒  QLinearConv [→ npu.ref:IntClip]. */
export function lowerConv(cx: LowerCtx, n: Node): Rewrite | undefined {
  const x = activationDq(cx.ix, n.inputs[0] ?? '');
  const w = weightDq(cx, n.inputs[1] ?? '', () => 0);
  if (x === undefined || w === undefined || n.outputs.length !== 1) return undefined;
  let bias: string[] = [];
  const biasName = n.inputs.at(2);
  if (biasName !== undefined && biasName !== '') {
    const b = biasDq(cx, biasName, x, w);
    if (b === 'bad' || b === undefined) return undefined;
    bias = [b.x];
  }
  const tail = groupTail(cx, n.outputs[0]);
  if (tail === undefined || tail.q.params.dtype !== x.params.dtype) return undefined;
  const q = tail.q.params;
  const add = finishGroup(cx, tail, (out) =>
    cx.node(
      'QLinearConv',
      [...cx.operand(x), ...cx.operand(w), ...cx.qParams(q), ...bias],
      [out],
      pick(n, CONV_ATTRS),
    ),
  );
  return { anchor: n, remove: [n, ...tailNodes(tail)], add };
}

/** DQ(a), DQ(b) → MatMul → [Relu | Clip] → Q  ⇒  QLinearMatMul [→ npu.ref:IntClip]; per-column b along its last axis. */
export function lowerMatMul(cx: LowerCtx, n: Node): Rewrite | undefined {
  const a = activationDq(cx.ix, n.inputs[0] ?? '');
  const b = weightDq(cx, n.inputs[1] ?? '', (rank) => (rank === 2 ? 1 : -1));
  if (a === undefined || b === undefined || n.outputs.length !== 1) return undefined;
  const withBias = matMulBias(cx, n, a, b);
  if (withBias !== undefined) return withBias;
  const tail = groupTail(cx, n.outputs[0]);
  if (tail === undefined || tail.q.params.dtype !== a.params.dtype) return undefined;
  const q = tail.q.params;
  const add = finishGroup(cx, tail, (out) =>
    cx.node('QLinearMatMul', [...cx.operand(a), ...cx.operand(b), ...cx.qParams(q)], [out], {}),
  );
  return { anchor: n, remove: [n, ...tailNodes(tail)], add };
}

const rankOf = (cx: LowerCtx, name: string): number | undefined =>
  cx.ix.const(name)?.shape.length ??
  cx.ix.graph.inputs.find((i) => i.name === name)?.shape?.length ??
  cx.ix.graph.valueInfo.get(name)?.shape?.length ??
  // a value that is also a graph output has its shape there, not in value_info
  cx.ix.graph.outputs.find((o) => o.name === name)?.shape?.length;

/**
 * DQ(a), DQ(b) → MatMul → Add(DQ(bias:int32)) [→ act] → Q with 2-D a and b  ⇒  com.microsoft QGemm(a, b, C = bias):
 * a bias with scale a_scale · b_scale[n] is an addend of the int32 accumulator, as for Conv. Other ranks stay float.
 */
function matMulBias(cx: LowerCtx, n: Node, a: DqMatch, b: DqMatch): Rewrite | undefined {
  const addNode = soleConsumerOf(cx.ix, n.outputs[0], ['Add']);
  if (addNode?.inputs.length !== 2 || addNode.outputs.length !== 1) return undefined;
  if (rankOf(cx, a.x) !== 2 || rankOf(cx, b.x) !== 2) return undefined;
  const biasName = addNode.inputs[0] === n.outputs[0] ? addNode.inputs[1] : addNode.inputs[0];
  const bias = biasDq(cx, biasName, a, b);
  if (bias === 'bad' || bias === undefined || cx.ix.const(bias.x)?.shape.length !== 1)
    return undefined;
  const tail = groupTail(cx, addNode.outputs[0]);
  if (tail === undefined || tail.q.params.dtype !== a.params.dtype) return undefined;
  const q = tail.q.params;
  const inputs = [...cx.operand(a), ...cx.operand(b)];
  const add = finishGroup(cx, tail, (out) =>
    cx.node('QGemm', [...inputs, bias.x, ...cx.qParams(q)], [out], {}, MS),
  );
  return { anchor: n, remove: [n, addNode, ...tailNodes(tail)], add };
}

/**
 * DQ(A), DQ(B) [, DQ(C:int32)] → Gemm → [Relu | Clip] → Q  ⇒  com.microsoft QGemm [→ npu.ref:IntClip]. With C the
 * group needs alpha = beta = 1 (QGemm adds C to the int32 accumulator, before alpha scales the product).
 */
export function lowerGemm(cx: LowerCtx, n: Node): Rewrite | undefined {
  const a = activationDq(cx.ix, n.inputs[0] ?? '');
  const transB = attrInt(n, 'transB', 0);
  const b = weightDq(cx, n.inputs[1] ?? '', (rank) => (rank === 2 ? (transB !== 0 ? 0 : 1) : -1));
  if (a === undefined || b === undefined || n.outputs.length !== 1) return undefined;
  const alpha = attrFloat(n, 'alpha', 1);
  const beta = attrFloat(n, 'beta', 1);
  let c = '';
  const biasName = n.inputs.at(2);
  if (biasName !== undefined && biasName !== '') {
    const bias = biasDq(cx, biasName, a, b);
    if (bias === 'bad' || bias === undefined || alpha !== 1 || beta !== 1) return undefined;
    c = bias.x;
  }
  const tail = groupTail(cx, n.outputs[0]);
  if (tail === undefined || tail.q.params.dtype !== a.params.dtype) return undefined;
  const q = tail.q.params;
  const attrs = pick(n, ['transA', 'transB']);
  if (alpha !== 1) attrs.alpha = { type: 'float', value: alpha };
  const add = finishGroup(cx, tail, (out) =>
    cx.node('QGemm', [...cx.operand(a), ...cx.operand(b), c, ...cx.qParams(q)], [out], attrs, MS),
  );
  return { anchor: n, remove: [n, ...tailNodes(tail)], add };
}
