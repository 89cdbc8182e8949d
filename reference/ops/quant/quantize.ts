// QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear: the float ↔ int boundary, identical in both modes.

import type { DType, Tensor } from '../../../common/tensor.js';
import { shapeStr, zeros } from '../../../common/tensor.js';
import { attrInt } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { dequantizeValue, quantizeValue } from '../../quant/lut.js';
import { Q_RANGE } from '../../quant/requant.js';
import { rhe } from '../../quant/rounding.js';
import {
  attrError,
  checkInputs,
  expectDType,
  normAxis,
  req,
  roundFor,
  shapeError,
} from '../float/util.js';
import { SCALE_DTYPES } from './common.js';

const f32 = Math.fround;
/** TensorProto.DataType codes of output_dtype (opset 21); uint16 has no storage type here. */
const OUTPUT_DTYPES: Record<number, DType> = { 2: 'uint8', 3: 'int8', 5: 'int16' };
const QUANT_OUT: readonly DType[] = ['int8', 'uint8', 'int16'];

/**
 * For every element of `shape` the index of its scale / zero point: per-tensor (1 value), per-axis (1-D of
 * shape[axis] values) or blocked (same rank, axis dim = ceil(shape[axis] / block)).
 */
function paramIndex(
  shape: readonly number[],
  scale: Tensor,
  ctx: KernelContext,
): (i: number) => number {
  if (scale.data.length === 1 && scale.shape.length <= 1) return () => 0;
  const rank = shape.length;
  const axis = normAxis(attrInt(ctx.node, 'axis', 1), rank, ctx);
  const block = ctx.opset >= 21 ? attrInt(ctx.node, 'block_size', 0) : 0;
  let inner = 1;
  for (let d = axis + 1; d < rank; d++) inner *= shape[d];
  const D = shape[axis];
  if (block <= 0) {
    if (scale.shape.length !== 1 || scale.shape[0] !== D)
      shapeError(ctx, `per-axis scale ${shapeStr(scale.shape)} needs ${D} values (axis ${axis})`);
    return (i) => Math.floor(i / inner) % D;
  }
  const nb = Math.ceil(D / block);
  if (scale.shape.length !== rank || scale.shape.some((d, k) => d !== (k === axis ? nb : shape[k])))
    shapeError(
      ctx,
      `blocked scale ${shapeStr(scale.shape)} does not fit input ${shapeStr(shape)} with block_size ${block}`,
    );
  return (i) => {
    const a = Math.floor(i / inner) % D;
    const outer = Math.floor(i / (inner * D));
    return (outer * nb + Math.floor(a / block)) * inner + (i % inner);
  };
}

function zpCheck(zp: Tensor | undefined, scale: Tensor, ctx: KernelContext): void {
  if (zp !== undefined && zp.data.length !== scale.data.length)
    shapeError(
      ctx,
      `zero point ${shapeStr(zp.shape)} and scale ${shapeStr(scale.shape)} differ in size`,
    );
}

/** y = saturate(RHE(fround(x / scale)) + zp): float32 division, as ONNX and MLAS. */
const quantizeLinear: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 3);
  const x = req(inputs, 0, ctx);
  const scale = req(inputs, 1, ctx);
  expectDType(x, 0, ['float32', 'float16'], ctx);
  expectDType(scale, 1, SCALE_DTYPES, ctx);
  const zp = inputs[2];
  let outType: DType = zp?.dtype ?? 'uint8';
  if (ctx.opset >= 21 && zp === undefined) {
    const code = attrInt(ctx.node, 'output_dtype', 0);
    if (code !== 0)
      outType =
        OUTPUT_DTYPES[code] ?? attrError(ctx, 'output_dtype', `data type ${code} is not supported`);
  }
  if (!QUANT_OUT.includes(outType))
    shapeError(ctx, `QuantizeLinear to ${outType} is not supported`);
  zpCheck(zp, scale, ctx);
  const [lo, hi] = Q_RANGE[outType as 'int8'];
  const idx = paramIndex(x.shape, scale, ctx);
  const out = zeros(outType, x.shape);
  const sd = scale.data as Float32Array;
  for (let i = 0; i < x.data.length; i++) {
    const p = idx(i);
    out.data[i] = quantizeValue(
      x.data[i] as number,
      sd[p],
      zp === undefined ? 0 : Number(zp.data[p]),
      lo,
      hi,
    );
  }
  return [out];
};

/** y = fround(fround(x - zp) * scale); output dtype = scale dtype. */
const dequantizeLinear: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 3);
  const x = req(inputs, 0, ctx);
  const scale = req(inputs, 1, ctx);
  expectDType(x, 0, ['int8', 'uint8', 'int16', 'int32'], ctx);
  expectDType(scale, 1, SCALE_DTYPES, ctx);
  const zp = inputs[2];
  if (zp !== undefined) expectDType(zp, 2, [x.dtype], ctx);
  zpCheck(zp, scale, ctx);
  const idx = paramIndex(x.shape, scale, ctx);
  const out = zeros(scale.dtype, x.shape);
  const round = roundFor(scale.dtype);
  const sd = scale.data as Float32Array;
  for (let i = 0; i < x.data.length; i++) {
    const p = idx(i);
    out.data[i] = round(
      dequantizeValue(x.data[i] as number, sd[p], zp === undefined ? 0 : Number(zp.data[p])),
    );
  }
  return [out];
};

/** DynamicQuantizeLinear (uint8), float32 arithmetic as the spec's formula, RHE. */
const dynamicQuantizeLinear: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  expectDType(x, 0, ['float32'], ctx);
  let mx = 0;
  let mn = 0;
  for (const v of x.data as Float32Array) {
    if (v > mx) mx = v;
    if (v < mn) mn = v;
  }
  // onnxruntime (GetQuantizationParameter): scale = max == min ? 1 : (max - min) / 255, all float32
  const scale = mx === mn ? 1 : f32(f32(mx - mn) / 255);
  // zp = RHE(std::max(0, std::min(255, -min / scale))): std::min(a, b) is (b < a ? b : a), so a NaN (0 / 0, when
  // a denormal max underflows the scale to 0) becomes 255 there, as onnxruntime 1.30 gives for x = [1.4e-45]
  const izp = f32(0 - f32(mn / scale));
  const hiClamped = izp < 255 ? izp : 255;
  const zp = rhe(0 < hiClamped ? hiClamped : 0);
  const y = zeros('uint8', x.shape);
  for (let i = 0; i < x.data.length; i++)
    y.data[i] = quantizeValue(x.data[i] as number, scale, zp, 0, 255);
  return [
    y,
    { dtype: 'float32', shape: [], data: Float32Array.of(scale) },
    { dtype: 'uint8', shape: [], data: Uint8Array.of(zp) },
  ];
};

export const QUANTIZE_KERNELS: Record<string, Kernel> = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  DynamicQuantizeLinear: dynamicQuantizeLinear,
};
