// Lowering rules: QLinearMatMul and com.microsoft QGemm with a constant B → gemm (B stored transposed, [n][k]).

import type { Tensor } from '../../../common/tensor.js';
import { attrFloat, attrInt } from '../../../onnx/graph.js';
import type { GemmOp } from '../../ir.js';
import {
  type LowerCx,
  type LowerRule,
  base,
  constOf,
  dtypeOf,
  firstReason,
  inShape,
  is8,
  qinfoAt,
} from '../context.js';
import { requantTable } from '../requant.js';

/** Where the inputs of the two node types are. */
interface GemmLayout {
  b: number;
  bScale: number;
  bZp: number;
  c?: number;
  y: number;
}
const MATMUL: GemmLayout = { b: 3, bScale: 4, bZp: 5, y: 6 };
const QGEMM: GemmLayout = { b: 3, bScale: 4, bZp: 5, c: 6, y: 7 };

const transB = (cx: LowerCx): boolean =>
  cx.node.opType === 'QGemm' && attrInt(cx.node, 'transB', 0) !== 0;

/** B as [n][k] from [k][n] (or [n][k] already when transB). */
function transposedB(b: Tensor, trans: boolean): Int8Array | Uint8Array {
  const src = b.data as Int8Array | Uint8Array;
  if (trans) return src.slice();
  const [k, n] = b.shape;
  const out = src instanceof Int8Array ? new Int8Array(k * n) : new Uint8Array(k * n);
  for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) out[j * k + i] = src[i * n + j];
  return out;
}

function makeRule(l: GemmLayout): LowerRule {
  return {
    check(cx) {
      const a = inShape(cx);
      const b = constOf(cx, l.b);
      const bzp = constOf(cx, l.bZp);
      const c = l.c === undefined ? undefined : constOf(cx, l.c);
      const hasC = l.c !== undefined && (cx.node.inputs[l.c] ?? '') !== '';
      const n = b === undefined ? 0 : transB(cx) ? b.shape[0] : b.shape[1];
      return firstReason([
        [a.length < 2, `A must have rank >= 2 (rank ${a.length})`],
        [!is8(dtypeOf(cx, cx.node.inputs[0])), 'A is not 8-bit'],
        [!is8(dtypeOf(cx, cx.node.outputs[0])), 'the output is not 8-bit'],
        [
          b === undefined || !is8(b.dtype) || b.shape.length !== 2,
          'B must be a constant 8-bit 2-D tensor (batched or activation B is not supported)',
        ],
        [
          cx.node.opType === 'QGemm' && attrInt(cx.node, 'transA', 0) !== 0,
          'transA is not supported',
        ],
        [
          bzp !== undefined && bzp.data.some((z) => z !== bzp.data[0]),
          'per-column B zero points differ (the MAC has one)',
        ],
        [
          qinfoAt(cx, 1) === undefined ||
            (cx.node.inputs[l.y] ?? '') === '' ||
            qinfoAt(cx, l.y) === undefined,
          'scales and zero points must be constant per-tensor (and the output quantized)',
        ],
        [
          hasC &&
            (c === undefined ||
              c.dtype !== 'int32' ||
              (c.data.length !== 1 && c.data.length !== n) ||
              (c.shape.length === 2 && c.shape[0] !== 1)),
          'the bias C must be a constant int32 scalar or one value per column',
        ],
      ]);
    },
    lower(cx) {
      const a = inShape(cx);
      const b = constOf(cx, l.b)!;
      const trans = transB(cx);
      const [n, k] = trans ? [b.shape[0], b.shape[1]] : [b.shape[1], b.shape[0]];
      const m = a.slice(0, -1).reduce((p, d) => p * d, 1);
      const [aq, yq] = [qinfoAt(cx, 1)!, qinfoAt(cx, l.y)!];
      const alpha = cx.node.opType === 'QGemm' ? attrFloat(cx.node, 'alpha', 1) : 1;
      const c = l.c === undefined ? undefined : constOf(cx, l.c);
      const bias =
        c === undefined
          ? undefined
          : Int32Array.from({ length: n }, (_, j) => Number(c.data[c.data.length === 1 ? 0 : j]));
      const op: GemmOp = {
        kind: 'gemm',
        ...base(cx, [cx.node.inputs[0]]),
        m,
        n,
        k,
        weightT: transposedB(b, trans),
        wType: b.dtype as 'int8' | 'uint8',
        wZp: Number(constOf(cx, l.bZp)?.data[0] ?? 0),
        epilogue: {
          ...(bias !== undefined ? { bias } : {}),
          ...requantTable(
            cx.mode,
            {
              x: aq.scale,
              w: constOf(cx, l.bScale)!.data as Float32Array,
              y: yq.scale,
              ...(alpha !== 1 ? { alpha } : {}),
            },
            n,
          ),
          out: { dtype: dtypeOf(cx, cx.node.outputs[0]) as 'int8' | 'uint8', zp: yq.zp },
          activation: { act: 'none' },
        },
      };
      return {
        ops: [op],
        quant: [
          [cx.node.inputs[0], aq],
          [cx.node.outputs[0], yq],
        ],
      };
    },
  };
}

export const MATMUL_RULE = makeRule(MATMUL);
export const QGEMM_RULE = makeRule(QGEMM);
