// Lowering rule: QLinearMatMul of two activations (attention) → transpose of B to [n][k] + a batched matmul op.

import type { MatMulOp, MoveOp, TensorValue } from '../../ir.js';
import {
  type LowerRule,
  base,
  dtypeOf,
  firstReason,
  inShape,
  is8,
  qinfoAt,
  shapeOf,
} from '../context.js';
import { requantTable } from '../requant.js';
import { MATMUL_RULE } from './gemm.js';

type Q8 = 'int8' | 'uint8';
const prod = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Batch dims of A and B (left-padded with 1 to one rank); undefined unless they are equal (no broadcasting). */
function batchDims(a: number[], b: number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const pa = [...new Array<number>(r - a.length).fill(1), ...a].slice(0, -2);
  const pb = [...new Array<number>(r - b.length).fill(1), ...b].slice(0, -2);
  return pa.every((d, i) => d === pb[i]) ? pa : undefined;
}

const ACT_RULE: LowerRule = {
  check(cx) {
    const [a, b] = [inShape(cx, 0), inShape(cx, 3)];
    return firstReason([
      [a.length < 2 || b.length < 2, 'A and B must have rank >= 2'],
      [
        !is8(dtypeOf(cx, cx.node.inputs[0])) ||
          !is8(dtypeOf(cx, cx.node.inputs[3])) ||
          !is8(dtypeOf(cx, cx.node.outputs[0])),
        'operands and output must be 8-bit',
      ],
      [a.at(-1) !== b.at(-2), 'inner dimensions differ'],
      [batchDims(a, b) === undefined, 'batch dims of A and B differ (broadcast is not supported)'],
      [
        [1, 4, 6].some((i) => qinfoAt(cx, i) === undefined),
        'scales and zero points must be constant per-tensor',
      ],
    ]);
  },
  lower(cx) {
    const [a, b] = [inShape(cx, 0), inShape(cx, 3)];
    const [aq, bq, yq] = [qinfoAt(cx, 1)!, qinfoAt(cx, 4)!, qinfoAt(cx, 6)!];
    const bName = cx.node.inputs[3];
    const [m, k, n] = [a.at(-2)!, a.at(-1)!, b.at(-1)!];
    const batch = prod(batchDims(a, b)!);
    const bType = dtypeOf(cx, bName) as Q8;
    // the gemm instruction reads B as rows of k (one per output column): Bᵀ by the transpose move
    const bT = `${cx.node.outputs[0]}__bT`;
    const rank = shapeOf(cx, bName).length;
    const perm = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
    const transpose: MoveOp = {
      kind: 'move',
      ...base(cx, [bName], bT),
      what: 'transpose',
      view: false,
      perm,
    };
    const bTShape = [...b.slice(0, -2), n, k];
    const extra: TensorValue[] = [
      { name: bT, dtype: bType, shape: bTShape, kind: 'intermediate', quant: bq },
    ];
    const op: MatMulOp = {
      kind: 'matmul',
      ...base(cx, [cx.node.inputs[0], bT]),
      batch,
      m,
      n,
      k,
      wType: bType,
      wZp: bq.zp,
      epilogue: {
        ...requantTable(cx.mode, { x: aq.scale, w: [bq.scale], y: yq.scale }, n),
        out: { dtype: dtypeOf(cx, cx.node.outputs[0]) as Q8, zp: yq.zp },
        activation: { act: 'none' },
      },
    };
    return {
      ops: [transpose, op],
      quant: [
        [cx.node.inputs[0], aq],
        [bName, bq],
        [cx.node.outputs[0], yq],
      ],
      extra,
    };
  },
};

const isConstB = (cx: Parameters<LowerRule['check']>[0]): boolean =>
  cx.model.graph.initializers.has(cx.node.inputs[3]);

/** QLinearMatMul: a constant B is a gemm with weights (gemm.ts); an activation B is a batched act × act matmul. */
export const QLINEAR_MATMUL_RULE: LowerRule = {
  check: (cx) => (isConstB(cx) ? MATMUL_RULE.check(cx) : ACT_RULE.check(cx)),
  lower: (cx) => (isConstB(cx) ? MATMUL_RULE.lower(cx) : ACT_RULE.lower(cx)),
};
