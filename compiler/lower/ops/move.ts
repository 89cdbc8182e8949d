// Lowering rules of data movement: reshape-like ops are free views; Transpose, Concat, QLinearConcat, Slice are moves.

import { INT_RANGE } from '../../../common/tensor.js';
import { attrInt, attrInts } from '../../../onnx/graph.js';
import { buildUnaryLut } from '../../../reference/quant/lut.js';
import type { LutOp, MoveOp, QInfo, TensorValue } from '../../ir.js';
import {
  type LowerRule,
  base,
  constOf,
  dtypeOf,
  firstReason,
  inShape,
  is8,
  outShape,
  qinfoAt,
} from '../context.js';

const norm = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

/** Reshape, Flatten, Squeeze, Unsqueeze, Identity and a Cast to the same type: the bytes do not move (row-major). */
export const VIEW_RULE: LowerRule = {
  check(cx) {
    const from = dtypeOf(cx, cx.node.inputs[0]);
    return firstReason([
      [!is8(from), `input type ${from} is not 8-bit`],
      [
        cx.node.opType === 'Cast' && dtypeOf(cx, cx.node.outputs[0]) !== from,
        'a Cast that changes the type',
      ],
    ]);
  },
  lower(cx) {
    const op: MoveOp = {
      kind: 'move',
      ...base(cx, [cx.node.inputs[0]]),
      what: 'reshape',
      view: true,
    };
    return { ops: [op], quant: [] };
  },
};

export const TRANSPOSE_RULE: LowerRule = {
  check(cx) {
    return firstReason([
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [inShape(cx).length > 4, 'rank > 4'],
    ]);
  },
  lower(cx) {
    const rank = inShape(cx).length;
    const perm = attrInts(
      cx.node,
      'perm',
      Array.from({ length: rank }, (_, i) => rank - 1 - i),
    );
    const op: MoveOp = {
      kind: 'move',
      ...base(cx, [cx.node.inputs[0]]),
      what: 'transpose',
      view: false,
      perm,
    };
    return { ops: [op], quant: [] };
  },
};

export const CONCAT_RULE: LowerRule = {
  check(cx) {
    return firstReason([
      [cx.node.inputs.some((i) => !is8(dtypeOf(cx, i))), 'inputs are not 8-bit'],
      [
        cx.node.inputs.some((i) => cx.model.graph.initializers.has(i)),
        'constant inputs are not supported',
      ],
    ]);
  },
  lower(cx) {
    const axis = norm(attrInt(cx.node, 'axis'), outShape(cx).length);
    const op: MoveOp = {
      kind: 'move',
      ...base(cx, [...cx.node.inputs]),
      what: 'concat',
      view: false,
      axis,
    };
    return { ops: [op], quant: [] };
  },
};

/** QLinearConcat: an input whose parameters differ from the output's is first requantized by a table (as the kernel). */
export const QLINEAR_CONCAT_RULE: LowerRule = {
  check(cx) {
    const n = (cx.node.inputs.length - 2) / 3;
    const bad = Array.from({ length: n }, (_, i) => 2 + 3 * i).some(
      (i) =>
        !is8(dtypeOf(cx, cx.node.inputs[i])) ||
        cx.model.graph.initializers.has(cx.node.inputs[i]) ||
        qinfoAt(cx, i + 1) === undefined,
    );
    return firstReason([
      [!Number.isInteger(n) || n < 1, 'malformed inputs'],
      [
        qinfoAt(cx, 0) === undefined || bad,
        'inputs must be 8-bit activations with constant per-tensor parameters',
      ],
    ]);
  },
  lower(cx) {
    const y = qinfoAt(cx, 0)!;
    const yType = (constOf(cx, 1)?.dtype ?? dtypeOf(cx, cx.node.inputs[2])) as 'int8' | 'uint8';
    const ops: (LutOp | MoveOp)[] = [];
    const quant: [string, QInfo][] = [[cx.node.outputs[0], y]];
    const extra: TensorValue[] = [];
    const parts: string[] = [];
    for (let i = 2; i < cx.node.inputs.length; i += 3) {
      const x = cx.node.inputs[i];
      const q = qinfoAt(cx, i + 1)!;
      const xType = dtypeOf(cx, x) as 'int8' | 'uint8';
      quant.push([x, q]);
      if (xType === yType && q.scale === y.scale && q.zp === y.zp) {
        parts.push(x);
        continue;
      }
      const name = `${cx.node.outputs[0]}__in${(i - 2) / 3}`;
      const table: Int8Array | Uint8Array = buildUnaryLut(
        (v) => v,
        q.scale,
        q.zp,
        xType,
        y.scale,
        y.zp,
        yType,
      );
      ops.push({ kind: 'lut', ...base(cx, [x], name), table });
      extra.push({ name, dtype: yType, shape: inShape(cx, i), kind: 'intermediate', quant: y });
      parts.push(name);
    }
    const axis = norm(attrInt(cx.node, 'axis'), outShape(cx).length);
    ops.push({ kind: 'move', ...base(cx, parts), what: 'concat', view: false, axis });
    return { ops, quant, extra };
  },
};

export const SLICE_RULE: LowerRule = {
  check(cx) {
    const steps = constOf(cx, 4);
    return firstReason([
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [
        [1, 2, 3].some((i) => (cx.node.inputs[i] ?? '') !== '' && constOf(cx, i) === undefined),
        'starts / ends / axes must be constant',
      ],
      [
        steps !== undefined && Array.from(steps.data, Number).some((s) => s !== 1),
        'only step 1 slices',
      ],
      [cx.node.inputs.length < 3, 'opset < 10 Slice (attributes) is not supported'],
    ]);
  },
  lower(cx) {
    const x = inShape(cx);
    const starts = new Array<number>(x.length).fill(0);
    const s = Array.from(constOf(cx, 1)!.data, Number);
    const axesT = constOf(cx, 3);
    const axes =
      axesT === undefined
        ? s.map((_, i) => i)
        : Array.from(axesT.data, Number).map((a) => norm(a, x.length));
    axes.forEach((a, i) => {
      const v = s[i] < 0 ? s[i] + x[a] : s[i];
      starts[a] = Math.min(Math.max(v, 0), x[a]);
    });
    const op: MoveOp = {
      kind: 'move',
      ...base(cx, [cx.node.inputs[0]]),
      what: 'slice',
      view: false,
      starts,
    };
    return { ops: [op], quant: [] };
  },
};

export const qmin = (t: 'int8' | 'uint8'): number => INT_RANGE[t][0];
