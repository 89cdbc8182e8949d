// com.microsoft QLinearSigmoid, QLinearLeakyRelu (256-entry tables) and QLinearConcat: identical in both modes.

import type { Tensor } from '../../../common/tensor.js';
import { shapeStr, sizeOf, zeros } from '../../../common/tensor.js';
import { attrFloat, attrInt } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { applyLut, buildUnaryLut, leakyRelu, sigmoid } from '../../quant/lut.js';
import { checkInputs, expectDType, normAxis, req, shapeError } from '../float/util.js';
import { asQ, Q8, scaleScalar, zpScalar } from './common.js';

/** Inputs (X, X_scale, X_zp?, Y_scale, Y_zp?); the table maps every code through DQ → f → Q. */
function lutKernel(makeF: (ctx: KernelContext) => (x: number) => number): Kernel {
  return (inputs, ctx) => {
    checkInputs(inputs, ctx, 4, 5);
    const x = req(inputs, 0, ctx);
    expectDType(x, 0, Q8, ctx);
    const inType = asQ(x.dtype, ctx, 0) as 'int8' | 'uint8';
    const outType = asQ(inputs[4]?.dtype ?? x.dtype, ctx, 4) as 'int8' | 'uint8';
    const sx = scaleScalar(req(inputs, 1, ctx), 1, ctx);
    const zx = zpScalar(inputs[2], 2, ctx, x.dtype);
    const sy = scaleScalar(req(inputs, 3, ctx), 3, ctx);
    const zy = zpScalar(inputs[4], 4, ctx);
    const table = buildUnaryLut(makeF(ctx), sx, zx, inType, sy, zy, outType);
    const out = zeros(outType, x.shape);
    applyLut(table, x.data as Int8Array, inType, out.data);
    return [out];
  };
}

/** QLinearConcat(Y_scale, Y_zp, (X_i, X_i_scale, X_i_zp)...): copy when the params match, else DQ → Q per code. */
const qlinearConcat: Kernel = (inputs, ctx) => {
  if (inputs.length < 5 || (inputs.length - 2) % 3 !== 0)
    shapeError(ctx, `QLinearConcat needs 2 + 3k inputs, got ${inputs.length}`);
  const sy = scaleScalar(req(inputs, 0, ctx), 0, ctx);
  const yzT = req(inputs, 1, ctx);
  const outType = asQ(yzT.dtype, ctx, 1) as 'int8' | 'uint8';
  const zy = zpScalar(yzT, 1, ctx);
  const xs: Tensor[] = [];
  const tables: (Int8Array | Uint8Array | undefined)[] = [];
  for (let k = 2; k < inputs.length; k += 3) {
    const x = req(inputs, k, ctx);
    expectDType(x, k, Q8, ctx);
    const sx = scaleScalar(req(inputs, k + 1, ctx), k + 1, ctx);
    const zx = zpScalar(req(inputs, k + 2, ctx), k + 2, ctx, x.dtype);
    xs.push(x);
    const same = sx === sy && zx === zy && x.dtype === outType;
    tables.push(
      same
        ? undefined
        : buildUnaryLut((v) => v, sx, zx, x.dtype as 'int8' | 'uint8', sy, zy, outType),
    );
  }
  const rank = xs[0].shape.length;
  const axis = normAxis(attrInt(ctx.node, 'axis'), rank, ctx);
  const shape = [...xs[0].shape];
  shape[axis] = 0;
  for (const x of xs) {
    if (x.shape.length !== rank || x.shape.some((d, i) => i !== axis && d !== xs[0].shape[i]))
      shapeError(
        ctx,
        `QLinearConcat inputs ${xs.map((t) => shapeStr(t.shape)).join(', ')} differ off axis ${axis}`,
      );
    shape[axis] += x.shape[axis];
  }
  const out = zeros(outType, shape);
  const outer = sizeOf(shape.slice(0, axis));
  const inner = sizeOf(shape.slice(axis + 1));
  const rowOut = shape[axis] * inner;
  let offset = 0;
  xs.forEach((x, k) => {
    const row = x.shape[axis] * inner;
    const table = tables[k];
    const qmin = x.dtype === 'int8' ? -128 : 0;
    const src = x.data as Int8Array;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < row; i++) {
        const v = src[o * row + i];
        out.data[o * rowOut + offset + i] = table === undefined ? v : table[v - qmin];
      }
    offset += row;
  });
  return [out];
};

export const QLUT_KERNELS: Record<string, Kernel> = {
  'com.microsoft:QLinearSigmoid': lutKernel(() => sigmoid),
  'com.microsoft:QLinearLeakyRelu': lutKernel((ctx) =>
    leakyRelu(attrFloat(ctx.node, 'alpha', 0.01)),
  ),
  'com.microsoft:QLinearConcat': qlinearConcat,
};
