// com.microsoft QLinearGlobalAveragePool and QLinearAveragePool (optionally channels_last).

import type { Tensor } from '../../../common/tensor.js';
import { sizeOf, zeros } from '../../../common/tensor.js';
import { attrInt } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../quant/gemmlowp.js';
import { saturateTo } from '../../quant/requant.js';
import { rhe } from '../../quant/rounding.js';
import { liftTo3d } from '../float/conv-geometry.js';
import { poolOutputShape } from '../float/pool-geometry.js';
import { checkInputs, expectDType, req, shapeError } from '../float/util.js';
import { asQ, Q8, scaleScalar, zpScalar } from './common.js';

const f32 = Math.fround;

/** [N, d1.., C] ↔ [N, C, d1..]: `toFirst` moves the last axis to position 1, otherwise position 1 to the end. */
function moveChannels(t: Tensor, toFirst: boolean): Tensor {
  const s = t.shape;
  const N = s[0];
  const C = toFirst ? s[s.length - 1] : s[1];
  const inner = sizeOf(s) / (N * C);
  const shape = toFirst ? [N, C, ...s.slice(1, -1)] : [N, ...s.slice(2), C];
  const out = zeros(t.dtype, shape);
  const src = t.data as Int8Array;
  const dst = out.data as Int8Array;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let p = 0; p < inner; p++) {
        const first = (n * C + c) * inner + p;
        const last = (n * inner + p) * C + c;
        if (toFirst) dst[first] = src[last]!;
        else dst[last] = src[first]!;
      }
  return out;
}

interface PoolParams {
  x: Tensor;
  sx: number;
  zx: number;
  sy: number;
  zy: number;
  channelsLast: boolean;
}

/** Inputs (X, x_scale, x_zp?, y_scale, y_zp?); output dtype = X's. X is returned channels-first. */
function readPool(inputs: readonly (Tensor | undefined)[], ctx: KernelContext): PoolParams {
  checkInputs(inputs, ctx, 4, 5);
  let x = req(inputs, 0, ctx);
  expectDType(x, 0, Q8, ctx);
  if (x.shape.length < 3) shapeError(ctx, 'pool input needs rank >= 3');
  const channelsLast = attrInt(ctx.node, 'channels_last', 0) !== 0;
  if (channelsLast) x = moveChannels(x, true);
  return {
    x,
    sx: scaleScalar(req(inputs, 1, ctx), 1, ctx),
    zx: zpScalar(inputs[2], 2, ctx, x.dtype),
    sy: scaleScalar(req(inputs, 3, ctx), 3, ctx),
    zy: zpScalar(inputs[4], 4, ctx, x.dtype),
    channelsLast,
  };
}

/**
 * sum = Σ (x - zx) over H*W = N taps (int32). float: RHE(fround(fround(sum) * fround(sx / fround(sy * N))));
 * fixed: MBQM(sum, quantizeMultiplier(double(sx) / (double(sy) * N))).
 */
const qlinearGlobalAveragePool: Kernel = (inputs, ctx) => {
  const p = readPool(inputs, ctx);
  const [N, C] = p.x.shape as [number, number];
  const size = sizeOf(p.x.shape.slice(2));
  const yType = asQ(p.x.dtype, ctx, 0);
  const out = zeros(yType, [N, C, ...p.x.shape.slice(2).map(() => 1)]);
  const scale = f32(p.sx / f32(p.sy * size));
  const q = quantizeMultiplier(p.sx / (p.sy * size));
  const xd = p.x.data as Int8Array;
  for (let k = 0; k < N * C; k++) {
    let sum = 0;
    for (let i = 0; i < size; i++) sum = (sum + xd[k * size + i] - p.zx) | 0;
    const v =
      ctx.mode === 'float'
        ? rhe(f32(f32(sum) * scale))
        : multiplyByQuantizedMultiplier(sum, q.multiplier, q.shift);
    out.data[k] = saturateTo(v + p.zy, yType);
  }
  return [p.channelsLast ? moveChannels(out, false) : out];
};

/**
 * float (onnxruntime qlinear_pool.cc): sum of fround(sx*(x-zx)) in float32 in window order, avg = fround(sum/count),
 * q = RHE(fround(fround(avg / sy) + zy)). fixed: with sx == sy and zx == zy, TFLite raw averaging
 * (sum of raw codes, padded taps counted with count_include_pad add the raw zero point, C division rounding
 * half away from zero); otherwise MBQM(Σ(x - zx), quantizeMultiplier(double(sx) / (double(sy) * count))) + zy.
 */
const qlinearAveragePool: Kernel = (inputs, ctx) => {
  const p = readPool(inputs, ctx);
  const includePad = attrInt(ctx.node, 'count_include_pad', 0) !== 0;
  const { shape, geometry } = poolOutputShape(ctx.node, p.x.shape);
  const g =
    liftTo3d(geometry) ?? shapeError(ctx, 'QLinearAveragePool supports 1 to 3 spatial axes');
  const yType = asQ(p.x.dtype, ctx, 0);
  const out = zeros(yType, shape);
  const [ID, IH, IW] = g.inSpatial as [number, number, number];
  const [KD, KH, KW] = g.kernel as [number, number, number];
  const [OD, OH, OW] = g.outSpatial as [number, number, number];
  const [SD, SH, SW] = g.strides as [number, number, number];
  const [DD, DH, DW] = g.dilations as [number, number, number];
  const pb = g.pads.slice(0, 3);
  const [N, C] = p.x.shape as [number, number];
  const xd = p.x.data as Int8Array;
  const raw = p.sx === p.sy && p.zx === p.zy;
  const mults = new Map<number, { multiplier: number; shift: number }>();
  const multFor = (count: number): { multiplier: number; shift: number } => {
    let m = mults.get(count);
    if (m === undefined) mults.set(count, (m = quantizeMultiplier(p.sx / (p.sy * count))));
    return m;
  };
  const inside = (pos: number, size: number): boolean => pos >= 0 && pos < size;
  // onnxruntime (qlinear_pool.cc) divides by the whole kernel size with count_include_pad, even where a ceil_mode
  // window reaches past the end pad
  const kernelSize = KD * KH * KW;
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * ID * IH * IW;
    for (let od = 0; od < OD; od++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let fsum = 0;
          let isum = 0;
          let rawSum = 0;
          let count = 0;
          for (let kd = 0; kd < KD; kd++) {
            const id = od * SD - pb[0] + kd * DD;
            if (!inside(id, ID)) continue;
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * SH - pb[1] + kh * DH;
              if (!inside(ih, IH)) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * SW - pb[2] + kw * DW;
                if (inside(iw, IW)) {
                  const v = xd[base + (id * IH + ih) * IW + iw];
                  fsum = f32(fsum + f32(p.sx * (v - p.zx)));
                  isum = (isum + v - p.zx) | 0;
                  rawSum += v;
                  count++;
                }
              }
            }
          }
          if (includePad) {
            rawSum += (kernelSize - count) * p.zx; // every other tap is padding: real 0, i.e. the raw zero point
            count = kernelSize;
          }
          let v: number;
          if (count === 0) v = p.zy;
          else if (ctx.mode === 'float') v = rhe(f32(f32(f32(fsum / count) / p.sy) + p.zy));
          else if (raw) {
            const half = Math.trunc(count / 2);
            v =
              rawSum > 0
                ? Math.trunc((rawSum + half) / count)
                : Math.trunc((rawSum - half) / count);
          } else {
            const m = multFor(count);
            v = multiplyByQuantizedMultiplier(isum, m.multiplier, m.shift) + p.zy;
          }
          out.data[o++] = saturateTo(v, yType);
        }
  }
  return [p.channelsLast ? moveChannels(out, false) : out];
};

export const QPOOL_KERNELS: Record<string, Kernel> = {
  'com.microsoft:QLinearGlobalAveragePool': qlinearGlobalAveragePool,
  'com.microsoft:QLinearAveragePool': qlinearAveragePool,
};
