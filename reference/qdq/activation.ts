// A Relu / Clip between a lowered op and its QuantizeLinear, fused as an integer clamp (npu.ref:IntClip).

import { attrFloat } from '../../onnx/graph.js';
import type { Node } from '../../onnx/graph.js';
import { type Q8, type QMatch, qRange, scalarOf, soleConsumerOf, soleQ } from './match.js';
import { type LowerCtx, NPU_REF, intA } from './rewrite.js';

/** The tail of a group: the optional activation node and the Q that ends the group. */
export interface GroupTail {
  act: Node | undefined;
  q: QMatch;
  /** Clamp bounds on the quantized output, or undefined when the activation clamps nothing (or is absent). */
  clamp: readonly [number, number] | undefined;
}

/** Clip's float bounds: inputs 1 and 2 (constants) from opset 11, attributes before. */
function clipBounds(cx: LowerCtx, clip: Node): [number, number] | undefined {
  if (cx.opset < 11) return [attrFloat(clip, 'min', -Infinity), attrFloat(clip, 'max', Infinity)];
  const bound = (i: number, dflt: number): number | undefined => {
    const name = clip.inputs.at(i);
    if (name === undefined || name === '') return dflt;
    const t = cx.ix.const(name);
    return t === undefined || t.data.length !== 1 ? undefined : scalarOf(t);
  };
  const lo = bound(1, -Infinity);
  const hi = bound(2, Infinity);
  return lo === undefined || hi === undefined ? undefined : [lo, hi];
}

/**
 * Finds `value → [Relu | Clip] → Q`. Because QuantizeLinear is monotone (non-decreasing), Q(clip(v, lo, hi)) =
 * clip(Q(v), Q(lo), Q(hi)) for every v, and Relu is clip(v, 0, +inf) with Q(0) = zp: the clamp after
 * requantization is the activation.
 */
export function groupTail(cx: LowerCtx, value: string): GroupTail | undefined {
  const act = soleConsumerOf(cx.ix, value, ['Relu', 'Clip']);
  if (act === undefined || act.inputs[0] !== value) {
    const q = soleQ(cx.ix, value);
    return q === undefined ? undefined : { act: undefined, q, clamp: undefined };
  }
  const out = act.outputs.at(0);
  if (out === undefined) return undefined;
  const q = soleQ(cx.ix, out);
  if (q === undefined) return undefined;
  const [qmin, qmax] = qRange(q.params.dtype as Q8);
  let lo: number | undefined;
  let hi: number | undefined;
  if (act.opType === 'Relu') {
    lo = scalarOf(q.params.zp);
    hi = qmax;
  } else {
    const b = clipBounds(cx, act);
    if (b === undefined) return undefined;
    lo = cx.quantizeScalar(b[0], q.params);
    hi = cx.quantizeScalar(b[1], q.params);
    if (lo === undefined || hi === undefined) return undefined;
  }
  const clamp = lo <= qmin && hi >= qmax ? undefined : ([lo, hi] as const);
  return { act, q, clamp };
}

/**
 * The nodes ending a lowered group: `produce(out)` builds the integer op writing `out`; with a clamp it writes a
 * fresh value that npu.ref:IntClip clamps into the Q's output name.
 */
export function finishGroup(cx: LowerCtx, tail: GroupTail, produce: (out: string) => Node): Node[] {
  if (tail.clamp === undefined) return [produce(tail.q.y)];
  const pre = cx.fresh(`${tail.q.y}__preclip`);
  const clip = cx.node(
    'IntClip',
    [pre],
    [tail.q.y],
    { min: intA(tail.clamp[0]), max: intA(tail.clamp[1]) },
    NPU_REF,
  );
  return [produce(pre), clip];
}

export const tailNodes = (tail: GroupTail): Node[] =>
  tail.act === undefined ? [tail.q.node] : [tail.act, tail.q.node];
