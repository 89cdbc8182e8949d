// Conv (float): groups, depthwise, strides, pads, dilations, auto_pad; 1-D to 3-D; accumulates in double.

import { allocData } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import { attrInt } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import { convOutputShape, liftTo3d } from './conv-geometry.js';
import {
  FLOAT_DTYPES,
  at,
  attrError,
  checkInputs,
  expectDType,
  expectSameDType,
  req,
  roundFor,
  shapeError,
} from './util.js';
import { shapeStr } from '../../../common/tensor.js';

const conv: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 3);
  const x = req(inputs, 0, ctx);
  const w = req(inputs, 1, ctx);
  const b = inputs[2];
  expectDType(x, 0, FLOAT_DTYPES, ctx);
  expectSameDType(w, 1, x, ctx);
  if (b !== undefined) expectSameDType(b, 2, x, ctx);
  const { shape, geometry } = convOutputShape(ctx.node, x.shape, w.shape);
  const group = attrInt(ctx.node, 'group', 1);
  const [N, C] = [x.shape[0], x.shape[1]];
  const [M, Cg] = [w.shape[0], w.shape[1]];
  if (group < 1 || C % group !== 0 || M % group !== 0) {
    attrError(
      ctx,
      'group',
      `${group} must divide the input channels ${C} and output channels ${M}`,
    );
  }
  if (Cg * group !== C)
    shapeError(
      ctx,
      `weight ${shapeStr(w.shape)} needs ${C / group} input channels per group, input has ${C} channels`,
    );
  if (b !== undefined && (b.shape.length !== 1 || b.shape[0] !== M))
    shapeError(ctx, `bias ${shapeStr(b.shape)} must be [${M}]`);
  const g = liftTo3d(geometry);
  if (g === undefined) fail('unsupported', ['Conv with more than 3 spatial axes'], at(ctx));

  const [ID, IH, IW] = g.inSpatial as [number, number, number];
  const [KD, KH, KW] = g.kernel as [number, number, number];
  const [SD, SH, SW] = g.strides as [number, number, number];
  const [DD, DH, DW] = g.dilations as [number, number, number];
  const [PD, PH, PW] = g.pads as [number, number, number];
  const [OD, OH, OW] = g.outSpatial as [number, number, number];
  const xs = x.data as Float32Array;
  const ws = w.data as Float32Array;
  const bs = b?.data as Float32Array | undefined;
  const out = allocData(x.dtype, N * M * OD * OH * OW) as Float32Array;
  const r = roundFor(x.dtype);
  const Mg = M / group;
  const inPlane = ID * IH * IW;
  const kVol = KD * KH * KW;
  let o = 0;
  for (let n = 0; n < N; n++) {
    for (let m = 0; m < M; m++) {
      const c0 = Math.floor(m / Mg) * Cg;
      for (let od = 0; od < OD; od++) {
        for (let oh = 0; oh < OH; oh++) {
          for (let ow = 0; ow < OW; ow++) {
            let acc = bs === undefined ? 0 : bs[m];
            for (let c = 0; c < Cg; c++) {
              const xBase = (n * C + c0 + c) * inPlane;
              const wBase = (m * Cg + c) * kVol;
              for (let kd = 0; kd < KD; kd++) {
                const id = od * SD - PD + kd * DD;
                if (id < 0 || id >= ID) continue;
                for (let kh = 0; kh < KH; kh++) {
                  const ih = oh * SH - PH + kh * DH;
                  if (ih < 0 || ih >= IH) continue;
                  const xRow = xBase + (id * IH + ih) * IW;
                  const wRow = wBase + (kd * KH + kh) * KW;
                  for (let kw = 0; kw < KW; kw++) {
                    const iw = ow * SW - PW + kw * DW;
                    if (iw < 0 || iw >= IW) continue;
                    acc += xs[xRow + iw] * ws[wRow + kw];
                  }
                }
              }
            }
            out[o++] = r(acc);
          }
        }
      }
    }
  }
  return [{ dtype: x.dtype, shape, data: out }];
};

export const CONV_KERNELS: Record<string, Kernel> = { Conv: conv };
