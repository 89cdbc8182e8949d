// Reference ops of the I-BERT kernels in domain npu.ref: IGelu, ISoftmax, ILayerNorm (int8 or uint8 in and out).

import type { Tensor } from '../../common/tensor.js';
import { sizeOf } from '../../common/tensor.js';
import { attrFloat, attrInt } from '../../onnx/graph.js';
import type { Kernel, KernelContext } from '../kernel.js';
import { checkInputs, expectDType, normAxis, req, shapeError } from '../ops/float/util.js';
import type { Q8Data, Q8Type, QuantInfo } from './int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
  runInt8ILayerNorm,
  runInt8ISoftmax,
} from './int8-kernels.js';

/**
 * Attributes shared by the three ops: x_scale, y_scale (float, required; used as float32 values),
 * x_zero_point, y_zero_point (int, default 0). The output has the input's dtype.
 */
function quantAttrs(ctx: KernelContext, dtype: Q8Type): { x: QuantInfo; y: QuantInfo } {
  const info = (name: string): QuantInfo => ({
    scale: Math.fround(attrFloat(ctx.node, `${name}_scale`)),
    zeroPoint: attrInt(ctx.node, `${name}_zero_point`, 0),
    dtype,
  });
  return { x: info('x'), y: info('y') };
}

function int8Input(inputs: readonly (Tensor | undefined)[], ctx: KernelContext): Tensor {
  const x = req(inputs, 0, ctx);
  expectDType(x, 0, ['int8', 'uint8'], ctx);
  return x;
}

const result = (x: Tensor, data: Q8Data): Tensor[] => [
  { dtype: x.dtype, shape: [...x.shape], data },
];

/** npu.ref:IGelu(x): I-BERT's i-GELU on (x − x_zp)·x_scale, requantized to (y_scale, y_zp). */
const iGelu: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = int8Input(inputs, ctx);
  const { x: xq, y: yq } = quantAttrs(ctx, x.dtype as Q8Type);
  return result(x, runInt8IGelu(x.data as Q8Data, paramsForInt8IGelu(xq, yq, ctx.mode)));
};

/** Copies the lines along `axis` into contiguous rows (and back): [outer, axis, inner] ↔ [outer·inner, axis]. */
function rowsAlong(shape: readonly number[], axis: number): { len: number; index: Int32Array } {
  const len = shape[axis];
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const index = new Int32Array(outer * len * inner);
  let k = 0;
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++)
      for (let a = 0; a < len; a++) index[k++] = (o * len + a) * inner + i;
  return { len, index };
}

/**
 * npu.ref:ISoftmax(x), attributes axis (int, default −1) and output_bits (int, default 8, I-BERT's output_bit):
 * I-BERT's i-Softmax along one axis, output scale 2^−output_bits requantized to (y_scale, y_zp).
 */
const iSoftmax: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = int8Input(inputs, ctx);
  const { x: xq, y: yq } = quantAttrs(ctx, x.dtype as Q8Type);
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.shape.length, ctx);
  const p = paramsForInt8ISoftmax(xq, yq, ctx.mode, attrInt(ctx.node, 'output_bits', 8));
  const src = x.data as Q8Data;
  const { len, index } = rowsAlong(x.shape, axis);
  const rows =
    src.constructor === Int8Array ? new Int8Array(src.length) : new Uint8Array(src.length);
  for (let k = 0; k < index.length; k++) rows[k] = src[index[k]];
  const y = runInt8ISoftmax(rows, len, p);
  const out = rows.constructor === Int8Array ? new Int8Array(y.length) : new Uint8Array(y.length);
  for (let k = 0; k < index.length; k++) out[index[k]] = y[k];
  return result(x, out);
};

/**
 * npu.ref:ILayerNorm(x, scale, bias?) like ONNX LayerNormalization (axis default −1, the normalized dims are
 * axis..rank−1; scale and bias are float32 with one value per normalized element): I-BERT's i-LayerNorm (no
 * epsilon), output requantized to (y_scale, y_zp).
 */
const iLayerNorm: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 3);
  const x = int8Input(inputs, ctx);
  const gamma = req(inputs, 1, ctx);
  expectDType(gamma, 1, ['float32'], ctx);
  const beta = inputs[2];
  if (beta !== undefined) expectDType(beta, 2, ['float32'], ctx);
  const { x: xq, y: yq } = quantAttrs(ctx, x.dtype as Q8Type);
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), x.shape.length, ctx);
  const dim = sizeOf(x.shape.slice(axis));
  if (gamma.data.length !== dim || (beta !== undefined && beta.data.length !== dim))
    shapeError(ctx, `ILayerNorm: scale and bias need ${dim} values (the dims from axis ${axis})`);
  const b = beta?.data ?? new Float32Array(dim);
  const p = paramsForInt8ILayerNorm(
    xq,
    yq,
    ctx.mode,
    gamma.data as Float32Array,
    b as Float32Array,
  );
  return result(x, runInt8ILayerNorm(x.data as Q8Data, p));
};

export const IBERT_KERNELS: Record<string, Kernel> = {
  'npu.ref:IGelu': iGelu,
  'npu.ref:ISoftmax': iSoftmax,
  'npu.ref:ILayerNorm': iLayerNorm,
};
