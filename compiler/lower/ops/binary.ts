// Lowering rules: com.microsoft QLinearAdd / QLinearMul → vec.add / vec.mul with the broadcast modes the ISA has.

import { quantizeMultiplier } from '../../../reference/quant/gemmlowp.js';
import { Q_RANGE } from '../../../reference/quant/requant.js';
import type { BinaryOp, BroadcastMode } from '../../ir.js';
import {
  type LowerCx,
  type LowerRule,
  base,
  dtypeOf,
  firstReason,
  is8,
  outShape,
  qinfoAt,
  shapeOf,
} from '../context.js';

const f32 = Math.fround;
const LEFT_SHIFT = 20;
const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
const same = (a: number[], b: number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/** How B is indexed when A has the output's shape; undefined if the ISA cannot express it. */
function bMode(
  a: number[],
  b: number[],
  out: number[],
): { mode: BroadcastMode; rowLen: number } | undefined {
  if (!same(a, out)) return undefined;
  if (same(b, out)) return { mode: 'elementwise', rowLen: 0 };
  if (size(b) === 1) return { mode: 'scalar', rowLen: 0 };
  // one value per channel of a CHW image (codegen loops images): b is [C,1,1] or [1,C,1,1] against [N,C,H,W]
  const padded = [...new Array<number>(out.length - b.length).fill(1), ...b];
  if (out.length >= 3 && padded[1] === out[1] && padded.every((d, i) => i === 1 || d === 1))
    return { mode: 'perrow', rowLen: size(out.slice(2)) };
  return undefined;
}

/** A and B in the order the hardware wants (full-shaped A first; both ops commute). */
function operands(
  cx: LowerCx,
): { swap: boolean; mode: { mode: BroadcastMode; rowLen: number } } | undefined {
  const [a, b, out] = [
    shapeOf(cx, cx.node.inputs[0]),
    shapeOf(cx, cx.node.inputs[3]),
    outShape(cx),
  ];
  const direct = bMode(a, b, out);
  if (direct !== undefined) return { swap: false, mode: direct };
  const swapped = bMode(b, a, out);
  return swapped === undefined ? undefined : { swap: true, mode: swapped };
}

function fixedAddOk(cx: LowerCx): boolean {
  const [a, b, c] = [qinfoAt(cx, 1), qinfoAt(cx, 4), qinfoAt(cx, 6)];
  if (a === undefined || b === undefined || c === undefined) return false;
  return (2 * Math.max(a.scale, b.scale)) / (2 ** LEFT_SHIFT * c.scale) < 1;
}

export const BINARY_RULE: LowerRule = {
  check(cx) {
    const isAdd = cx.node.opType === 'QLinearAdd';
    return firstReason([
      [
        !is8(dtypeOf(cx, cx.node.inputs[0])) || !is8(dtypeOf(cx, cx.node.inputs[3])),
        'operands are not 8-bit',
      ],
      // codegen reads both operands from the DRAM plan, which holds activations only
      [
        [0, 3].some((i) => cx.model.graph.initializers.has(cx.node.inputs[i])),
        'a constant operand is not supported',
      ],
      [
        [1, 4, 6].some((i) => qinfoAt(cx, i) === undefined),
        'scales and zero points must be constant per-tensor',
      ],
      [
        operands(cx) === undefined,
        'broadcast pattern not supported (element-wise, scalar or per-channel only)',
      ],
      [
        isAdd && cx.mode === 'fixed' && !fixedAddOk(cx),
        'fixed-mode add needs C_scale > 2·max(A_scale, B_scale) / 2^20',
      ],
    ]);
  },
  lower(cx) {
    const isAdd = cx.node.opType === 'QLinearAdd';
    const { swap, mode } = operands(cx)!;
    let [a, b] = [qinfoAt(cx, 1)!, qinfoAt(cx, 4)!];
    let [ia, ib] = [cx.node.inputs[0], cx.node.inputs[3]];
    const c = qinfoAt(cx, 6)!;
    const quant: [string, typeof a][] = [
      [ia, a],
      [ib, b],
      [cx.node.outputs[0], c],
    ];
    if (swap) [a, b, ia, ib] = [b, a, ib, ia];
    const outType = (dtypeOf(cx, cx.node.outputs[0]) ?? 'int8') as 'int8' | 'uint8';
    // float mode: the scale arithmetic is folded so the hardware's remaining float ops multiply or divide by 1 exactly
    const scale = isAdd
      ? { a: f32(a.scale / c.scale), b: f32(b.scale / c.scale), out: 1 }
      : { a: f32(f32(a.scale * b.scale) / c.scale), b: 1, out: 1 };
    const fixed = {
      multA: 0,
      shiftA: 0,
      multB: 0,
      shiftB: 0,
      multOut: 0,
      shiftOut: 0,
      leftShift: 0,
    };
    if (cx.mode === 'fixed' && isAdd) {
      const twiceMax = 2 * Math.max(a.scale, b.scale);
      const [qa, qb, qo] = [
        a.scale / twiceMax,
        b.scale / twiceMax,
        twiceMax / (2 ** LEFT_SHIFT * c.scale),
      ].map(quantizeMultiplier);
      Object.assign(fixed, {
        multA: qa.multiplier,
        shiftA: qa.shift,
        multB: qb.multiplier,
        shiftB: qb.shift,
        multOut: qo.multiplier,
        shiftOut: qo.shift,
        leftShift: LEFT_SHIFT,
      });
    } else if (cx.mode === 'fixed') {
      const q = quantizeMultiplier((a.scale * b.scale) / c.scale);
      Object.assign(fixed, { multOut: q.multiplier, shiftOut: q.shift });
    }
    const op: BinaryOp = {
      kind: isAdd ? 'add' : 'mul',
      ...base(cx, [ia, ib]),
      bMode: mode.mode,
      rowLen: mode.rowLen,
      scale,
      fixed,
      clip: { lo: Q_RANGE[outType][0], hi: Q_RANGE[outType][1] },
    };
    return { ops: [op], quant };
  },
};
