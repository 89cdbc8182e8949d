// Gemm and MatMul (numpy semantics: 1-D operands, batched broadcasting); accumulate in double, round once.

import type { Tensor } from '../../../common/tensor.js';
import { allocData, shapeStr, sizeOf } from '../../../common/tensor.js';
import { attrFloat, attrInt } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import { broadcastShapes, broadcastOffsets } from './broadcast.js';
import {
  FLOAT_DTYPES,
  checkInputs,
  expectDType,
  expectSameDType,
  req,
  roundFor,
  shapeError,
} from './util.js';

const gemm: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 3);
  const a = req(inputs, 0, ctx);
  const b = req(inputs, 1, ctx);
  const c = inputs[2];
  expectDType(a, 0, FLOAT_DTYPES, ctx);
  expectSameDType(b, 1, a, ctx);
  if (c !== undefined) expectSameDType(c, 2, a, ctx);
  if (a.shape.length !== 2 || b.shape.length !== 2)
    shapeError(ctx, `Gemm needs 2-D A and B, got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const alpha = attrFloat(ctx.node, 'alpha', 1);
  const beta = attrFloat(ctx.node, 'beta', 1);
  const ta = attrInt(ctx.node, 'transA', 0) !== 0;
  const tb = attrInt(ctx.node, 'transB', 0) !== 0;
  const [M, K] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const [K2, N] = tb ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
  if (K !== K2)
    shapeError(
      ctx,
      `inner dimensions differ: A ${shapeStr(a.shape)} and B ${shapeStr(b.shape)} (transA=${+ta}, transB=${+tb})`,
    );
  let cOffs: Int32Array | undefined;
  if (c !== undefined) {
    const s = broadcastShapes([c.shape, [M, N]]);
    if (s === undefined || s.length !== 2 || s[0] !== M || s[1] !== N)
      shapeError(ctx, `C ${shapeStr(c.shape)} does not broadcast to [${M},${N}]`);
    cOffs = broadcastOffsets(c.shape, [M, N]);
  }
  const as = a.data as Float32Array;
  const bs = b.data as Float32Array;
  const cs = c?.data as Float32Array | undefined;
  const out = allocData(a.dtype, M * N) as Float32Array;
  const r = roundFor(a.dtype);
  // element strides of A[m][k] and B[k][n] under transposition
  const [am, ak] = ta ? [1, M] : [K, 1];
  const [bk, bn] = tb ? [1, K] : [N, 1];
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += as[m * am + k * ak] * bs[k * bk + n * bn];
      let v = alpha * acc;
      if (cs !== undefined && beta !== 0) v += beta * cs[cOffs![m * N + n]];
      out[m * N + n] = r(v);
    }
  }
  return [{ dtype: a.dtype, shape: [M, N], data: out }];
};

/** numpy matmul of [..., M, K] x [..., K, N]; a 1-D A gets a leading 1 and a 1-D B a trailing 1, both removed after. */
export function matmulFloat(a: Tensor, b: Tensor, fail: (msg: string) => never): Tensor {
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : [...a.shape];
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : [...b.shape];
  if (a.shape.length === 0 || b.shape.length === 0) fail('MatMul operands must have rank >= 1');
  const [M, K] = aShape.slice(-2) as [number, number];
  const [K2, N] = bShape.slice(-2) as [number, number];
  if (K !== K2) fail(`inner dimensions differ: ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  const batch = broadcastShapes([aShape.slice(0, -2), bShape.slice(0, -2)]);
  if (batch === undefined)
    fail(`batch dimensions of ${shapeStr(a.shape)} and ${shapeStr(b.shape)} do not broadcast`);
  // offsets of each batch's matrix, via broadcasting of the batch dims (one "element" per matrix)
  const aOffs = broadcastOffsets(aShape.slice(0, -2), batch);
  const bOffs = broadcastOffsets(bShape.slice(0, -2), batch);
  const nb = sizeOf(batch);
  const as = a.data as Float32Array;
  const bs = b.data as Float32Array;
  const out = allocData(a.dtype, nb * M * N) as Float32Array;
  const r = roundFor(a.dtype);
  for (let t = 0; t < nb; t++) {
    const ao = aOffs[t] * M * K;
    const bo = bOffs[t] * K * N;
    const oo = t * M * N;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) acc += as[ao + m * K + k] * bs[bo + k * N + n];
        out[oo + m * N + n] = r(acc);
      }
    }
  }
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(M);
  if (b.shape.length > 1) shape.push(N);
  return { dtype: a.dtype, shape, data: out };
}

const matmul: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2);
  const a = req(inputs, 0, ctx);
  const b = req(inputs, 1, ctx);
  expectDType(a, 0, FLOAT_DTYPES, ctx);
  expectSameDType(b, 1, a, ctx);
  return [matmulFloat(a, b, (msg) => shapeError(ctx, msg))];
};

export const GEMM_KERNELS: Record<string, Kernel> = { Gemm: gemm, MatMul: matmul };
