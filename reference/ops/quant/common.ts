// Shared helpers of the QOperator kernels: reading scales and zero points, quantized dtypes, output tensors.

import type { DType, Tensor } from '../../../common/tensor.js';
import { shapeStr } from '../../../common/tensor.js';
import type { KernelContext } from '../../kernel.js';
import type { QDType } from '../../quant/requant.js';
import { expectDType, shapeError } from '../float/util.js';

export const Q8: readonly DType[] = ['int8', 'uint8'];
export const SCALE_DTYPES: readonly DType[] = ['float32', 'float16'];

/** A per-tensor (one element) float scale. */
export function scaleScalar(t: Tensor, i: number, ctx: KernelContext): number {
  expectDType(t, i, SCALE_DTYPES, ctx);
  if (t.data.length !== 1)
    shapeError(ctx, `input ${i} (scale) must be a scalar, got ${shapeStr(t.shape)}`);
  return Math.fround(Number(t.data[0]));
}

/** A per-tensor zero point (0 when omitted); its dtype must be `dtype` when given. */
export function zpScalar(
  t: Tensor | undefined,
  i: number,
  ctx: KernelContext,
  dtype?: DType,
): number {
  if (t === undefined) return 0;
  if (dtype !== undefined) expectDType(t, i, [dtype], ctx);
  if (t.data.length !== 1)
    shapeError(ctx, `input ${i} (zero point) must be a scalar, got ${shapeStr(t.shape)}`);
  return Number(t.data[0]);
}

/** Scales or zero points that are per-tensor (1 value) or per-channel (n values, 1-D). */
export function perChannel(
  t: Tensor | undefined,
  i: number,
  n: number,
  ctx: KernelContext,
  dflt: number,
): number[] {
  if (t === undefined) return [dflt];
  const v = Array.from(t.data as ArrayLike<number>, Number);
  if (v.length === 1) return v;
  if (t.shape.length !== 1 || v.length !== n)
    shapeError(ctx, `input ${i} must be a scalar or have ${n} values, got ${shapeStr(t.shape)}`);
  return v;
}

/** The element at channel c of a per-tensor or per-channel list. */
export const chan = (v: readonly number[] | ArrayLike<number>, c: number): number =>
  v.length === 1 ? v[0] : v[c];

export function asQ(dtype: DType, ctx: KernelContext, i: number): QDType {
  expectDType({ dtype, shape: [], data: new Float32Array(0) }, i, Q8, ctx);
  return dtype as QDType;
}
