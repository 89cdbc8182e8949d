// Lowering rule: QLinearConv (2-D; grouped and depthwise included) → conv with a bias + requant epilogue.

import { attrInt, attrInts } from '../../../onnx/graph.js';
import {
  readAutoPad,
  resolveConvPads,
  convOutputSpatial,
} from '../../../reference/ops/float/conv-geometry.js';
import type { ConvGeometry, ConvOp } from '../../ir.js';
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

const MAX_KERNEL = 7;

/** Geometry of a 2-D conv (or pool) node with input [N, C, H, W], kernel [kH, kW] and `outC` channels. */
export function windowGeometry(
  cx: LowerCx,
  x: number[],
  kernel: number[],
  outC: number,
  groups: number,
  ceil = false,
): ConvGeometry {
  const strides = attrInts(cx.node, 'strides', [1, 1]);
  const dil = attrInts(cx.node, 'dilations', [1, 1]);
  const pads = resolveConvPads(
    x.slice(2),
    kernel,
    strides,
    dil,
    readAutoPad(cx.node),
    attrInts(cx.node, 'pads', [0, 0, 0, 0]),
  );
  const out = convOutputSpatial(x.slice(2), kernel, strides, dil, pads);
  const g: ConvGeometry = {
    batch: x[0],
    inC: x[1],
    inH: x[2],
    inW: x[3],
    outC,
    outH: out[0],
    outW: out[1],
    kH: kernel[0],
    kW: kernel[1],
    strideH: strides[0],
    strideW: strides[1],
    dilH: dil[0],
    dilW: dil[1],
    padT: pads[0],
    padL: pads[1],
    padB: pads[2],
    padR: pads[3],
    groups,
  };
  if (ceil) {
    // ceil_mode: grow the end pads until the floor formula of the ISA gives the node's output size
    const want = (cx.shapes.get(cx.node.outputs[0])!.shape as number[]).slice(2);
    while (span(g.inH, g.padT, g.padB, g.kH, g.dilH, g.strideH) < want[0]) g.padB++;
    while (span(g.inW, g.padL, g.padR, g.kW, g.dilW, g.strideW) < want[1]) g.padR++;
    g.outH = want[0];
    g.outW = want[1];
  }
  return g;
}

const span = (n: number, lo: number, hi: number, k: number, d: number, s: number): number =>
  Math.floor((n + lo + hi - d * (k - 1) - 1) / s) + 1;

export const CONV_RULE: LowerRule = {
  check(cx) {
    const x = inShape(cx);
    const w = constOf(cx, 3);
    const wzp = constOf(cx, 5);
    const xType = dtypeOf(cx, cx.node.inputs[0]);
    return firstReason([
      [x.length !== 4, `only 2-D convolutions run on the NPU (input rank ${x.length})`],
      [!is8(xType), `input type ${xType} is not 8-bit`],
      [!is8(dtypeOf(cx, cx.node.outputs[0])), 'the output is not 8-bit'],
      [w === undefined || !is8(w.dtype), 'the weight must be a constant 8-bit tensor'],
      [
        w !== undefined && (w.shape[2] > MAX_KERNEL || w.shape[3] > MAX_KERNEL),
        `kernel ${w?.shape[2]}x${w?.shape[3]} exceeds ${MAX_KERNEL}x${MAX_KERNEL}`,
      ],
      [
        wzp !== undefined && wzp.data.some((z) => z !== wzp.data[0]),
        'per-channel weight zero points differ (the MAC has one)',
      ],
      [
        qinfoAt(cx, 1) === undefined || qinfoAt(cx, 6) === undefined,
        'scales and zero points must be constant per-tensor',
      ],
      [
        (cx.node.inputs[8] ?? '') !== '' && constOf(cx, 8) === undefined,
        'the bias must be constant',
      ],
    ]);
  },
  lower(cx) {
    const x = inShape(cx);
    const w = constOf(cx, 3)!;
    const [xq, yq] = [qinfoAt(cx, 1)!, qinfoAt(cx, 6)!];
    const wScale = constOf(cx, 4)!;
    const groups = attrInt(cx.node, 'group', 1);
    const geom = windowGeometry(cx, x, [w.shape[2], w.shape[3]], w.shape[0], groups);
    const bias = constOf(cx, 8);
    const op: ConvOp = {
      kind: 'conv',
      ...base(cx, [cx.node.inputs[0]]),
      geom,
      weight: w.data as Int8Array | Uint8Array,
      wType: w.dtype as 'int8' | 'uint8',
      wZp: Number(constOf(cx, 5)?.data[0] ?? 0),
      epilogue: {
        ...(bias !== undefined ? { bias: Int32Array.from(bias.data as Int32Array) } : {}),
        ...requantTable(
          cx.mode,
          { x: xq.scale, w: wScale.data as Float32Array, y: yq.scale },
          geom.outC,
        ),
        out: { dtype: dtypeOf(cx, cx.node.outputs[0]) as 'int8' | 'uint8', zp: yq.zp },
        activation: { act: 'none' },
      },
    };
    return {
      ops: [op],
      quant: [
        [cx.node.inputs[0], xq],
        [cx.node.outputs[0], yq],
      ],
    };
  },
};
