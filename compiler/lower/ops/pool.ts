// Lowering rules: MaxPool (on codes), com.microsoft QLinearAveragePool and QLinearGlobalAveragePool → vec.pool.

import { attrInt, attrInts } from '../../../onnx/graph.js';
import { quantizeMultiplier } from '../../../reference/quant/gemmlowp.js';
import type { PoolOp, QInfo } from '../../ir.js';
import {
  type LowerCx,
  type LowerRule,
  base,
  dtypeOf,
  firstReason,
  inShape,
  is8,
  outShape,
  qinfoAt,
} from '../context.js';
import { windowGeometry } from './conv.js';

const kind = (cx: LowerCx): PoolOp['pool'] =>
  cx.node.opType === 'MaxPool' ? 'max' : cx.node.opType === 'QLinearAveragePool' ? 'avg' : 'gavg';

const sameQ = (a: QInfo | undefined, b: QInfo | undefined): boolean =>
  a !== undefined && b !== undefined && a.scale === b.scale && a.zp === b.zp;

export const POOL_RULE: LowerRule = {
  check(cx) {
    const k = kind(cx);
    const x = inShape(cx);
    const kernel = k === 'gavg' ? [1, 1] : attrInts(cx.node, 'kernel_shape', []);
    return firstReason([
      [x.length !== 4, `only 2-D pools run on the NPU (input rank ${x.length})`],
      [!is8(dtypeOf(cx, cx.node.inputs[0])), 'input is not 8-bit'],
      [
        cx.node.outputs.length > 1 && cx.node.outputs[1] !== '',
        'MaxPool Indices output is not supported',
      ],
      [
        attrInts(cx.node, 'dilations', [1, 1]).some((d) => d !== 1),
        'pool dilations are not supported',
      ],
      [kernel.some((d) => d > 255), 'window larger than 255'],
      [
        k !== 'max' && attrInt(cx.node, 'channels_last', 0) !== 0,
        'channels_last pools are not supported',
      ],
      [
        k !== 'max' && (qinfoAt(cx, 1) === undefined || qinfoAt(cx, 3) === undefined),
        'scales and zero points must be constant per-tensor',
      ],
      // TFLite's AVERAGE_POOL averages raw codes: only exact when input and output share their parameters
      [
        k === 'avg' && cx.mode === 'fixed' && !sameQ(qinfoAt(cx, 1), qinfoAt(cx, 3)),
        'fixed-mode average pool needs equal input and output scale and zero point',
      ],
    ]);
  },
  lower(cx) {
    const k = kind(cx);
    const x = inShape(cx);
    const y = outShape(cx);
    const geom =
      k === 'gavg'
        ? {
            batch: x[0],
            inC: x[1],
            inH: x[2],
            inW: x[3],
            outC: x[1],
            outH: 1,
            outW: 1,
            kH: x[2],
            kW: x[3],
            strideH: 1,
            strideW: 1,
            dilH: 1,
            dilW: 1,
            padT: 0,
            padL: 0,
            padB: 0,
            padR: 0,
            groups: x[1],
          }
        : windowGeometry(
            cx,
            x,
            attrInts(cx.node, 'kernel_shape'),
            x[1],
            x[1],
            attrInt(cx.node, 'ceil_mode', 0) !== 0,
          );
    if (geom.outH !== y[2] || geom.outW !== y[3])
      throw new Error(`pool geometry of ${cx.node.name} disagrees with shape inference`);
    const xq = k === 'max' ? undefined : qinfoAt(cx, 1)!;
    const yq = k === 'max' ? undefined : qinfoAt(cx, 3)!;
    const count = k === 'gavg' ? x[2] * x[3] : geom.kH * geom.kW;
    const fixed = { multOut: 0, shiftOut: 0 };
    if (k === 'gavg' && cx.mode === 'fixed') {
      const q = quantizeMultiplier(xq!.scale / (yq!.scale * count));
      Object.assign(fixed, { multOut: q.multiplier, shiftOut: q.shift });
    }
    const op: PoolOp = {
      kind: 'pool',
      ...base(cx, [cx.node.inputs[0]]),
      pool: k,
      geom,
      countPad: k === 'avg' && attrInt(cx.node, 'count_include_pad', 0) !== 0,
      scale: { a: xq?.scale ?? 1, out: yq?.scale ?? 1 },
      fixed,
    };
    const quant: [string, QInfo][] =
      xq !== undefined && yq !== undefined
        ? [
            [cx.node.inputs[0], xq],
            [cx.node.outputs[0], yq],
          ]
        : [];
    return { ops: [op], quant };
  },
};
