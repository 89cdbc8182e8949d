// QLinearConv and ConvInteger: exact int32 convolution of (x - x_zp)(w - w_zp), then requantization.

import type { Tensor } from '../../../common/tensor.js';
import { sizeOf, zeros } from '../../../common/tensor.js';
import { attrInt } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { makeScaleRequantizer, saturateTo } from '../../quant/requant.js';
import { convOutputShape, liftTo3d } from '../float/conv-geometry.js';
import { checkInputs, expectDType, req, shapeError, attrError } from '../float/util.js';
import { asQ, chan, perChannel, Q8, scaleScalar, zpScalar } from './common.js';

/**
 * acc[n, m, o...] = Σ (x - xZp)(w - wZp[m]) over in-bounds taps, int32 with wrap-around (|0): the hardware's
 * int32 accumulators wrap, and int8 products (< 2^16) never overflow a single step. Padded taps are skipped,
 * which equals padding with x_zp (they contribute 0 after the zero point is subtracted).
 */
export function integerConv(
  x: Tensor,
  xZp: number,
  w: Tensor,
  wZp: readonly number[],
  ctx: KernelContext,
): Tensor<'int32'> {
  const group = attrInt(ctx.node, 'group', 1);
  const { shape, geometry } = convOutputShape(ctx.node, x.shape, w.shape);
  const [N, C] = x.shape as [number, number];
  const M = w.shape[0];
  const Cg = w.shape[1];
  if (group < 1 || C !== Cg * group || M % group !== 0)
    attrError(
      ctx,
      'group',
      `${group} does not fit input channels ${C}, weight ${w.shape.join('x')}`,
    );
  const g = liftTo3d(geometry) ?? shapeError(ctx, 'quantized conv supports 1 to 3 spatial axes');
  const [ID, IH, IW] = g.inSpatial as [number, number, number];
  const [KD, KH, KW] = g.kernel as [number, number, number];
  const [OD, OH, OW] = g.outSpatial as [number, number, number];
  const [SD, SH, SW] = g.strides as [number, number, number];
  const [DD, DH, DW] = g.dilations as [number, number, number];
  const [PD, PH, PW] = g.pads as [number, number, number];
  const out = zeros('int32', shape);
  const y = out.data;
  const xd = x.data as Int8Array | Uint8Array;
  const wd = w.data as Int8Array | Uint8Array;
  const Mg = M / group;
  const inPlane = ID * IH * IW;
  const kVol = KD * KH * KW;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const c0 = Math.floor(m / Mg) * Cg;
      const wz = chan(wZp, m);
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++) {
            let acc = 0;
            for (let c = 0; c < Cg; c++) {
              const xBase = (n * C + c0 + c) * inPlane;
              const wBase = (m * Cg + c) * kVol;
              for (let kd = 0; kd < KD; kd++) {
                const id = od * SD - PD + kd * DD;
                if (id < 0 || id >= ID) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * SH - PH + kh * DH;
                  if (ih < 0 || ih >= IH) continue;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * SW - PW + kw * DW;
                    if (iw < 0 || iw >= IW) continue;
                    const xv = xd[xBase + (id * IH + ih) * IW + iw] - xZp;
                    const wv = wd[wBase + (kd * KH + kh) * KW + kw] - wz;
                    acc = (acc + xv * wv) | 0;
                  }
                }
              }
            }
            y[o++] = acc;
          }
    }
  }
  return out;
}

function checkConvTypes(x: Tensor, w: Tensor, ctx: KernelContext, wIndex: number): void {
  expectDType(x, 0, Q8, ctx);
  expectDType(w, wIndex, Q8, ctx);
  if (x.shape.length < 3 || w.shape.length !== x.shape.length)
    shapeError(
      ctx,
      `input rank ${x.shape.length} and weight rank ${w.shape.length} must be equal and >= 3`,
    );
}

/** QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?): requant mode from ctx.mode. */
const qlinearConv: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 8, 9);
  const x = req(inputs, 0, ctx);
  const w = req(inputs, 3, ctx);
  checkConvTypes(x, w, ctx, 3);
  const M = w.shape[0];
  const xs = scaleScalar(req(inputs, 1, ctx), 1, ctx);
  const xZp = zpScalar(inputs[2], 2, ctx, x.dtype);
  expectDType(req(inputs, 4, ctx), 4, ['float32', 'float16'], ctx);
  const ws = perChannel(inputs[4], 4, M, ctx, 1).map(Math.fround);
  const wZp = perChannel(inputs[5], 5, M, ctx, 0);
  if (inputs[5] !== undefined) expectDType(inputs[5], 5, [w.dtype], ctx);
  const ys = scaleScalar(req(inputs, 6, ctx), 6, ctx);
  const yZpT = req(inputs, 7, ctx);
  const yType = asQ(yZpT.dtype, ctx, 7);
  const yZp = zpScalar(yZpT, 7, ctx);
  const bias = inputs[8];
  if (bias !== undefined) {
    expectDType(bias, 8, ['int32'], ctx);
    if (sizeOf(bias.shape) !== M) shapeError(ctx, `bias must have ${M} values`);
  }
  const acc = integerConv(x, xZp, w, wZp, ctx);
  const r = makeScaleRequantizer(ctx.mode, { x: xs, w: ws, y: ys });
  const out = zeros(yType, acc.shape);
  const plane = sizeOf(acc.shape.slice(2));
  const bd = bias?.data as Int32Array | undefined;
  for (let i = 0; i < acc.data.length; i++) {
    const m = Math.floor(i / plane) % M;
    const a = bd === undefined ? acc.data[i] : (acc.data[i] + bd[m]) | 0;
    out.data[i] = saturateTo(r(a, ws.length === 1 ? 0 : m) + yZp, yType);
  }
  return [out];
};

/** ConvInteger(x, w, x_zp?, w_zp?): int32 output, w_zp per-tensor or per output channel. */
const convInteger: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 4);
  const x = req(inputs, 0, ctx);
  const w = req(inputs, 1, ctx);
  checkConvTypes(x, w, ctx, 1);
  const xZp = zpScalar(inputs[2], 2, ctx, x.dtype);
  if (inputs[3] !== undefined) expectDType(inputs[3], 3, [w.dtype], ctx);
  const wZp = perChannel(inputs[3], 3, w.shape[0], ctx, 0);
  return [integerConv(x, xZp, w, wZp, ctx)];
};

export const QCONV_KERNELS: Record<string, Kernel> = {
  QLinearConv: qlinearConv,
  ConvInteger: convInteger,
};
