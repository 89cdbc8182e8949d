// com.microsoft QLinearAdd and QLinearMul: numpy broadcasting, float (ORT-like) or fixed (TFLite ADD/MUL) mode.

import type { Tensor } from '../../../common/tensor.js';
import { zeros } from '../../../common/tensor.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import {
  mbqmSmallerThanOneExp,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  quantizeMultiplierSmallerThanOneExp,
} from '../../quant/gemmlowp.js';
import type { QDType } from '../../quant/requant.js';
import { saturateTo } from '../../quant/requant.js';
import { rhe } from '../../quant/rounding.js';
import { broadcastShapes, describeShapes, offsetsIfNeeded } from '../float/broadcast.js';
import { fail } from '../../../common/diagnostics.js';
import { at, checkInputs, expectDType, req, shapeError } from '../float/util.js';
import { asQ, Q8, scaleScalar, zpScalar } from './common.js';

const f32 = Math.fround;

interface BinaryParams {
  a: Tensor;
  b: Tensor;
  sa: number;
  za: number;
  sb: number;
  zb: number;
  sc: number;
  zc: number;
  outType: QDType;
}

/** Inputs (A, A_scale, A_zp?, B, B_scale, B_zp?, C_scale, C_zp?); output dtype = C_zp's, else A's. */
function readBinary(inputs: readonly (Tensor | undefined)[], ctx: KernelContext): BinaryParams {
  checkInputs(inputs, ctx, 7, 8);
  const a = req(inputs, 0, ctx);
  const b = req(inputs, 3, ctx);
  expectDType(a, 0, Q8, ctx);
  expectDType(b, 3, [a.dtype], ctx);
  const outType = asQ(inputs[7]?.dtype ?? a.dtype, ctx, 7);
  return {
    a,
    b,
    sa: scaleScalar(req(inputs, 1, ctx), 1, ctx),
    za: zpScalar(inputs[2], 2, ctx, a.dtype),
    sb: scaleScalar(req(inputs, 4, ctx), 4, ctx),
    zb: zpScalar(inputs[5], 5, ctx, b.dtype),
    sc: scaleScalar(req(inputs, 6, ctx), 6, ctx),
    zc: zpScalar(inputs[7], 7, ctx),
    outType,
  };
}

/** Applies f(a - za, b - zb) → value before zc over the broadcast shape. */
function binaryMap(
  p: BinaryParams,
  ctx: KernelContext,
  f: (da: number, db: number) => number,
): Tensor[] {
  const shape = broadcastShapes([p.a.shape, p.b.shape]);
  if (shape === undefined)
    shapeError(ctx, `shapes ${describeShapes([p.a.shape, p.b.shape])} do not broadcast`);
  const oa = offsetsIfNeeded(p.a.shape, shape);
  const ob = offsetsIfNeeded(p.b.shape, shape);
  const out = zeros(p.outType, shape);
  const ad = p.a.data as Int8Array;
  const bd = p.b.data as Int8Array;
  for (let i = 0; i < out.data.length; i++) {
    const va = ad[oa === undefined ? i : oa[i]] - p.za;
    const vb = bd[ob === undefined ? i : ob[i]] - p.zb;
    out.data[i] = saturateTo(f(va, vb) + p.zc, p.outType);
  }
  return [out];
}

/**
 * float: rA = fround(sA/sC), rB = fround(sB/sC); RHE(fround(fround(rA*da) + fround(rB*db))).
 * fixed: TFLite ADD (left_shift 20, twice_max, three SmallerThanOneExp multipliers).
 */
const qlinearAdd: Kernel = (inputs, ctx) => {
  const p = readBinary(inputs, ctx);
  if (ctx.mode === 'float') {
    const ra = f32(p.sa / p.sc);
    const rb = f32(p.sb / p.sc);
    return binaryMap(p, ctx, (da, db) => rhe(f32(f32(ra * da) + f32(rb * db))));
  }
  const leftShift = 20;
  const twiceMax = 2 * Math.max(p.sa, p.sb); // double, exact
  const realOut = twiceMax / ((1 << leftShift) * p.sc);
  if (!(realOut < 1))
    fail(
      'unsupported',
      [`fixed-mode QLinearAdd needs C_scale > ${twiceMax / (1 << leftShift)}`],
      at(ctx),
    );
  const q1 = quantizeMultiplierSmallerThanOneExp(p.sa / twiceMax);
  const q2 = quantizeMultiplierSmallerThanOneExp(p.sb / twiceMax);
  const qo = quantizeMultiplierSmallerThanOneExp(realOut);
  return binaryMap(p, ctx, (da, db) => {
    const x1 = mbqmSmallerThanOneExp(da * (1 << leftShift), q1.multiplier, q1.shift);
    const x2 = mbqmSmallerThanOneExp(db * (1 << leftShift), q2.multiplier, q2.shift);
    return mbqmSmallerThanOneExp((x1 + x2) | 0, qo.multiplier, qo.shift);
  });
};

/**
 * float: ratio = fround(fround(sA*sB)/sC); RHE(fround(fround(da*db) * ratio)).
 * fixed: TFLite MUL: MBQM(da*db, quantizeMultiplier(double(sA)*double(sB)/double(sC))).
 */
const qlinearMul: Kernel = (inputs, ctx) => {
  const p = readBinary(inputs, ctx);
  if (ctx.mode === 'float') {
    const ratio = f32(f32(p.sa * p.sb) / p.sc);
    return binaryMap(p, ctx, (da, db) => rhe(f32(f32(da * db) * ratio)));
  }
  const q = quantizeMultiplier((p.sa * p.sb) / p.sc);
  return binaryMap(p, ctx, (da, db) =>
    multiplyByQuantizedMultiplier(da * db, q.multiplier, q.shift),
  );
};

export const QELEMENTWISE_KERNELS: Record<string, Kernel> = {
  'com.microsoft:QLinearAdd': qlinearAdd,
  'com.microsoft:QLinearMul': qlinearMul,
};
