// Lowering rules: com.microsoft QLinearAdd / QLinearMul → vec.add / vec.mul with the broadcast modes the ISA has.

import { quantizeMultiplier } from '../../../reference/quant/gemmlowp.js';
import { Q_RANGE } from '../../../reference/quant/requant.js';
import type { Tensor } from '../../../common/tensor.js';
import type { BinaryOp, BroadcastMode } from '../../ir.js';
import {
  type LowerCx,
  type LowerRule,
  base,
  constOf,
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

/** The one constant operand (0 or 3) of a node whose other operand is an activation of the output's shape. */
function constOperand(cx: LowerCx): 0 | 3 | undefined {
  const isConst = (i: number): boolean => cx.model.graph.initializers.has(cx.node.inputs[i]);
  if (isConst(0) === isConst(3)) return undefined;
  return isConst(0) ? 0 : 3;
}

/** A constant's codes broadcast (numpy rules) to `out`; undefined if they do not broadcast. */
function broadcastTo(t: Tensor, out: number[]): Int8Array | Uint8Array | undefined {
  const s = [...new Array<number>(Math.max(0, out.length - t.shape.length)).fill(1), ...t.shape];
  if (s.length !== out.length || s.some((d, i) => d !== 1 && d !== out[i])) return undefined;
  const src = t.data as Int8Array | Uint8Array;
  const dst = src instanceof Int8Array ? new Int8Array(size(out)) : new Uint8Array(size(out));
  const strides = s.map((_, i) => (s[i] === 1 ? 0 : size(s.slice(i + 1))));
  const idx = new Array<number>(out.length).fill(0);
  for (let k = 0; k < dst.length; k++) {
    let from = 0;
    for (let i = 0; i < out.length; i++) from += idx[i] * strides[i];
    dst[k] = src[from];
    for (let i = out.length - 1; i >= 0 && ++idx[i] === out[i]; i--) idx[i] = 0;
  }
  return dst;
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
      // a constant operand (a bias after a MatMul, a positional embedding) is broadcast into the constant image
      [
        [0, 3].every((i) => cx.model.graph.initializers.has(cx.node.inputs[i])),
        'both operands are constant',
      ],
      [
        constOperand(cx) !== undefined &&
          (!same(shapeOf(cx, cx.node.inputs[3 - constOperand(cx)!]), outShape(cx)) ||
            broadcastTo(constOf(cx, constOperand(cx)!)!, outShape(cx)) === undefined),
        'a constant operand must broadcast to the other operand, of the output shape',
      ],
      [
        [1, 4, 6].some((i) => qinfoAt(cx, i) === undefined),
        'scales and zero points must be constant per-tensor',
      ],
      [
        constOperand(cx) === undefined && operands(cx) === undefined,
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
    const ci = constOperand(cx);
    // a constant operand is B, stored at the output's full shape (both ops commute)
    const { swap, mode } =
      ci === undefined
        ? operands(cx)!
        : { swap: ci === 0, mode: { mode: 'elementwise' as const, rowLen: 0 } };
    let [a, b] = [qinfoAt(cx, 1)!, qinfoAt(cx, 4)!];
    let [ia, ib] = [cx.node.inputs[0], cx.node.inputs[3]];
    const c = qinfoAt(cx, 6)!;
    const quant: [string, typeof a][] = [
      [ia, a],
      [ib, b],
      [cx.node.outputs[0], c],
    ].filter(([t]) => !cx.model.graph.initializers.has(t as string)) as [string, typeof a][];
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
    const constB =
      ci === undefined
        ? undefined
        : {
            data: broadcastTo(constOf(cx, ci)!, outShape(cx))!,
            dtype: dtypeOf(cx, ib) as 'int8' | 'uint8',
            zp: b.zp,
          };
    const op: BinaryOp = {
      kind: isAdd ? 'add' : 'mul',
      ...base(cx, ci === undefined ? [ia, ib] : [ia]),
      ...(constB !== undefined ? { constB } : {}),
      bMode: mode.mode,
      rowLen: mode.rowLen,
      scale,
      fixed,
      clip: { lo: Q_RANGE[outType][0], hi: Q_RANGE[outType][1] },
    };
    return { ops: [op], quant };
  },
};
