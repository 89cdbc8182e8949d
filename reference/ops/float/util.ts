// Shared input validation and element helpers of the float kernels.

import type { DType, Tensor, TensorData } from '../../../common/tensor.js';
import { allocData, shapeStr } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import { halfBitsToFloat32, float32ToHalfBits } from '../../../common/half.js';
import type { KernelContext } from '../../kernel.js';

export const FLOAT_DTYPES: readonly DType[] = ['float32', 'float16', 'float64'];
export const isFloatDType = (d: DType): boolean =>
  d === 'float32' || d === 'float16' || d === 'float64';

/** Where an error happened, for the catalog. */
export const at = (ctx: KernelContext): { node: string; opType: string } => ({
  node: ctx.node.name,
  opType: ctx.node.opType,
});

/** Checks the input count (an omitted optional input still takes its slot) and that the first `min` are present. */
export function checkInputs(
  inputs: readonly (Tensor | undefined)[],
  ctx: KernelContext,
  min: number,
  max = min,
): void {
  const n = inputs.length;
  if (n < min || n > max) {
    fail('badInputCount', [min === max ? String(min) : `${min} to ${max}`, n], at(ctx));
  }
  for (let i = 0; i < min; i++) {
    if (inputs[i] === undefined) omitted(i, ctx);
  }
}

function omitted(i: number, ctx: KernelContext): never {
  fail('badInputCount', [`at least ${i + 1}`, `${i} (input ${i} is omitted)`], at(ctx));
}

/** The i-th input, which must be present. */
export function req(
  inputs: readonly (Tensor | undefined)[],
  i: number,
  ctx: KernelContext,
): Tensor {
  return inputs[i] ?? omitted(i, ctx);
}

const inputName = (ctx: KernelContext, i: number): string => ctx.node.inputs[i] ?? `#${i}`;

/** Fails unless input i has one of the allowed dtypes. */
export function expectDType(
  t: Tensor,
  i: number,
  allowed: readonly DType[],
  ctx: KernelContext,
): void {
  if (!allowed.includes(t.dtype))
    fail('wrongDType', [inputName(ctx, i), t.dtype, allowed.join(' or ')], at(ctx));
}

/** Fails unless input i has the same dtype as input 0. */
export function expectSameDType(t: Tensor, i: number, ref: Tensor, ctx: KernelContext): void {
  if (t.dtype !== ref.dtype) fail('wrongDType', [inputName(ctx, i), t.dtype, ref.dtype], at(ctx));
}

export function shapeError(ctx: KernelContext, message: string): never {
  fail('shapeMismatch', [message], at(ctx));
}

export function attrError(ctx: KernelContext, name: string, problem: string): never {
  fail('badAttribute', [name, problem], at(ctx));
}

/** A possibly negative axis in [-rank, rank) made non-negative. */
export function normAxis(axis: number, rank: number, ctx: KernelContext, attr = 'axis'): number {
  if (axis < -rank || axis >= rank)
    attrError(ctx, attr, `${axis} is out of range for rank ${rank}`);
  return axis < 0 ? axis + rank : axis;
}

const roundHalf = (v: number): number => halfBitsToFloat32(float32ToHalfBits(v));
const identity = (v: number): number => v;

/** The rounding of a double result to the storage precision of a float dtype (IEEE: one correct rounding). */
export function roundFor(dtype: DType): (v: number) => number {
  if (dtype === 'float32') return Math.fround;
  if (dtype === 'float16') return roundHalf;
  return identity;
}

/** Values of a 1-D (or scalar) integer tensor as numbers, e.g. shapes, axes, pads. */
export function intList(t: Tensor, i: number, ctx: KernelContext): number[] {
  expectDType(t, i, ['int64', 'int32'], ctx);
  if (t.shape.length > 1)
    shapeError(ctx, `input '${inputName(ctx, i)}' must be 1-D, got ${shapeStr(t.shape)}`);
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** A scalar (or one-element) tensor's value as a number. */
export function scalarValue(t: Tensor, i: number, ctx: KernelContext): number {
  if (t.data.length !== 1)
    shapeError(ctx, `input '${inputName(ctx, i)}' must be a scalar, got ${shapeStr(t.shape)}`);
  return Number(t.data[0]);
}

/** Element access that works for every storage (bigint for int64). */
export type Elem = number | bigint;
export const getAt = (d: TensorData, i: number): Elem => d[i];
export function setAt(d: TensorData, i: number, v: Elem): void {
  (d as unknown as Elem[])[i] = v;
}

/** A tensor with the same dtype as `like`, built by copying src[map[i]] into element i. */
export function gatherElems(src: Tensor, shape: readonly number[], map: ArrayLike<number>): Tensor {
  const out = allocLike(src.dtype, map.length);
  const s = src.data as unknown as Elem[];
  const o = out as unknown as Elem[];
  for (let i = 0; i < map.length; i++) o[i] = s[map[i]]!;
  return { dtype: src.dtype, shape: [...shape], data: out };
}

export const allocLike = (dtype: DType, n: number): TensorData => allocData(dtype, n);
