// QLinearMatMul, MatMulInteger and com.microsoft QGemm: exact int32 products, then requantization per column.

import type { Tensor } from '../../../common/tensor.js';
import { shapeStr, sizeOf, zeros } from '../../../common/tensor.js';
import { attrFloat, attrInt } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { makeScaleRequantizer, saturateTo } from '../../quant/requant.js';
import { broadcastShapes } from '../float/broadcast.js';
import { checkInputs, expectDType, req, shapeError } from '../float/util.js';
import { asQ, chan, perChannel, Q8, scaleScalar, zpScalar } from './common.js';

/**
 * numpy matmul of (a - aZp[row]) and (b - bZp[col]) in int32 with wrap-around. aZp: 1 value or one per row (M);
 * bZp: 1 value or one per column (N). Returns the int32 result and N (columns: the requant channel).
 */
export function integerMatMul(
  a: Tensor,
  aZp: readonly number[],
  b: Tensor,
  bZp: readonly number[],
  ctx: KernelContext,
): { acc: Tensor<'int32'>; N: number } {
  if (a.shape.length === 0 || b.shape.length === 0)
    shapeError(ctx, 'matmul inputs must have rank >= 1');
  const aS = a.shape.length === 1 ? [1, a.shape[0]] : [...a.shape];
  const bS = b.shape.length === 1 ? [b.shape[0], 1] : [...b.shape];
  const M = aS[aS.length - 2];
  const K = aS[aS.length - 1];
  const N = bS[bS.length - 1];
  if (bS[bS.length - 2] !== K)
    shapeError(ctx, `matmul shapes ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not match`);
  const batch = broadcastShapes([aS.slice(0, -2), bS.slice(0, -2)]);
  if (batch === undefined)
    shapeError(
      ctx,
      `matmul batch dims of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not broadcast`,
    );
  const aBatch = aS.slice(0, -2);
  const bBatch = bS.slice(0, -2);
  const nb = sizeOf(batch);
  const outShape = [...batch, M, N];
  const acc = zeros('int32', outShape);
  const ad = a.data as Int8Array | Uint8Array;
  const bd = b.data as Int8Array | Uint8Array;
  const batchOffset = (sub: number[], k: number): number => {
    // index of batch element k of `batch` within a (broadcast) sub-batch shape
    let off = 0;
    let stride = 1;
    let rem = k;
    for (let d = batch.length - 1; d >= 0; d--) {
      const idx = rem % batch[d];
      rem = Math.floor(rem / batch[d]);
      const sd = d - (batch.length - sub.length);
      if (sd >= 0) {
        if (sub[sd] !== 1) off += idx * stride;
        stride *= sub[sd];
      }
    }
    return off;
  };
  for (let k = 0; k < nb; k++) {
    const aOff = batchOffset(aBatch, k) * M * K;
    const bOff = batchOffset(bBatch, k) * K * N;
    const oOff = k * M * N;
    for (let i = 0; i < M; i++) {
      const az = chan(aZp, i);
      for (let j = 0; j < N; j++) {
        const bz = chan(bZp, j);
        let s = 0;
        for (let t = 0; t < K; t++)
          s = (s + (ad[aOff + i * K + t] - az) * (bd[bOff + t * N + j] - bz)) | 0;
        acc.data[oOff + i * N + j] = s;
      }
    }
  }
  // numpy drops the dims that a 1-D operand gained
  let shape = outShape;
  if (a.shape.length === 1) shape = [...batch, N];
  if (b.shape.length === 1) shape = a.shape.length === 1 ? [...batch] : [...batch, M];
  return { acc: { ...acc, shape }, N };
}

/** QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp): a per-tensor, b per-tensor or per column. */
const qlinearMatMul: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 8);
  const a = req(inputs, 0, ctx);
  const b = req(inputs, 3, ctx);
  expectDType(a, 0, Q8, ctx);
  expectDType(b, 3, Q8, ctx);
  const N = b.shape[b.shape.length - 1];
  const as = scaleScalar(req(inputs, 1, ctx), 1, ctx);
  const aZp = zpScalar(inputs[2], 2, ctx, a.dtype);
  expectDType(req(inputs, 4, ctx), 4, ['float32', 'float16'], ctx);
  const bs = perChannel(squeezeCols(inputs[4]), 4, N, ctx, 1).map(Math.fround);
  const bZp = perChannel(squeezeCols(inputs[5]), 5, N, ctx, 0);
  const ys = scaleScalar(req(inputs, 6, ctx), 6, ctx);
  const yType = asQ(req(inputs, 7, ctx).dtype, ctx, 7);
  const yZp = zpScalar(inputs[7], 7, ctx);
  const { acc } = integerMatMul(a, [aZp], b, bZp, ctx);
  const r = makeScaleRequantizer(ctx.mode, { x: as, w: bs, y: ys });
  const out = zeros(yType, acc.shape);
  const perCol = bs.length > 1;
  for (let i = 0; i < acc.data.length; i++)
    out.data[i] = saturateTo(r(acc.data[i], perCol ? i % N : 0) + yZp, yType);
  return [out];
};

/** A [1, N] or [N] per-column parameter as 1-D. */
function squeezeCols(t: Tensor | undefined): Tensor | undefined {
  if (t === undefined || t.shape.length <= 1) return t;
  return t.shape.slice(0, -1).every((d) => d === 1)
    ? { ...t, shape: [t.shape[t.shape.length - 1]] }
    : t;
}

/** MatMulInteger(A, B, a_zp?, b_zp?): int32; a_zp per-tensor or per row, b_zp per-tensor or per column. */
const matMulInteger: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 4);
  const a = req(inputs, 0, ctx);
  const b = req(inputs, 1, ctx);
  expectDType(a, 0, Q8, ctx);
  expectDType(b, 1, Q8, ctx);
  if (inputs[2] !== undefined) expectDType(inputs[2], 2, [a.dtype], ctx);
  if (inputs[3] !== undefined) expectDType(inputs[3], 3, [b.dtype], ctx);
  const M = a.shape.length >= 2 ? a.shape[a.shape.length - 2] : 1;
  const aZp = perChannel(inputs[2], 2, M, ctx, 0);
  const bZp = perChannel(squeezeCols(inputs[3]), 3, b.shape[b.shape.length - 1], ctx, 0);
  return [integerMatMul(a, aZp, b, bZp, ctx).acc];
};

/** 2-D transpose of int8/uint8 data. */
function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = zeros(t.dtype, [c, r]);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++)
      (out.data as Int8Array)[j * r + i] = (t.data as Int8Array)[i * c + j]!;
  return out;
}

/**
 * com.microsoft QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale, y_zp?): Y = requant(A'B' + C) with the
 * multiplier alpha * a_scale * b_scale[n] / y_scale. beta is not used (C is int32 already scaled).
 */
const qgemm: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 6, 9);
  let a = req(inputs, 0, ctx);
  let b = req(inputs, 3, ctx);
  expectDType(a, 0, Q8, ctx);
  expectDType(b, 3, Q8, ctx);
  if (a.shape.length !== 2 || b.shape.length !== 2) shapeError(ctx, 'QGemm inputs must be 2-D');
  if (attrInt(ctx.node, 'transA', 0) !== 0) a = transpose2d(a);
  if (attrInt(ctx.node, 'transB', 0) !== 0) b = transpose2d(b);
  const alpha = Math.fround(attrFloat(ctx.node, 'alpha', 1));
  const N = b.shape[1];
  const as = scaleScalar(req(inputs, 1, ctx), 1, ctx);
  const aZp = zpScalar(inputs[2], 2, ctx, a.dtype);
  const bs = perChannel(squeezeCols(req(inputs, 4, ctx)), 4, N, ctx, 1).map(Math.fround);
  const bZp = perChannel(squeezeCols(inputs[5]), 5, N, ctx, 0);
  const yScale = inputs[7];
  if (yScale === undefined)
    shapeError(ctx, 'QGemm with float output (no y_scale) is not supported by the reference');
  const ys = scaleScalar(yScale, 7, ctx);
  const yType = inputs[8] === undefined ? 'uint8' : asQ(inputs[8].dtype, ctx, 8);
  const yZp = zpScalar(inputs[8], 8, ctx);
  const { acc } = integerMatMul(a, [aZp], b, bZp, ctx);
  const M = a.shape[0];
  const c = inputs[6];
  let cAt: (i: number, j: number) => number = () => 0;
  if (c !== undefined) {
    expectDType(c, 6, ['int32'], ctx);
    const cd = c.data as Int32Array;
    const cs = c.shape;
    const rows = cs.length === 2 ? cs[0] : 1;
    const cols = cs.length === 0 ? 1 : cs[cs.length - 1];
    if (cs.length > 2 || (rows !== 1 && rows !== M) || (cols !== 1 && cols !== N))
      shapeError(ctx, `C ${shapeStr(cs)} does not broadcast to [${M},${N}]`);
    cAt = (i, j) => cd[(rows === 1 ? 0 : i) * cols + (cols === 1 ? 0 : j)];
  }
  const r = makeScaleRequantizer(ctx.mode, { x: as, w: bs, y: ys, alpha });
  const out = zeros(yType, acc.shape);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      const v = (acc.data[i * N + j] + cAt(i, j)) | 0;
      out.data[i * N + j] = saturateTo(r(v, bs.length > 1 ? j : 0) + yZp, yType);
    }
  return [out];
};

export const QMATMUL_KERNELS: Record<string, Kernel> = {
  QLinearMatMul: qlinearMatMul,
  MatMulInteger: matMulInteger,
  'com.microsoft:QGemm': qgemm,
};
