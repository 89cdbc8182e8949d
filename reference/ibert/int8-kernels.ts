// The int8 → int8 forms of i-GELU, i-Softmax and i-LayerNorm: parameters from scales, then integer-only runs.

import { fail } from '../../common/diagnostics.js';
import type { RequantMode } from '../kernel.js';
import type { IntCheck } from './int-arith.js';
import { INT32_MAX, NO_CHECK } from './int-arith.js';
import type { OutRequant, Q8Data, QuantInfo } from './int8-io.js';
import {
  checkQuantInfo,
  largestExpand,
  maxAbsCentered,
  paramsForOutRequant,
  requantOut,
  widen,
} from './int8-io.js';
import type { IGeluParams } from './i-gelu.js';
import { paramsForIGelu, runIGelu } from './i-gelu.js';
import type { ILayerNormParams } from './i-layernorm.js';
import { paramsForILayerNorm, runILayerNorm } from './i-layernorm.js';
import type { ISoftmaxParams } from './i-softmax.js';
import { paramsForIExp } from './i-exp.js';
import { paramsForISoftmax, runISoftmax } from './i-softmax.js';

/** Everything a compiler needs to run one int8 I-BERT op: input widening, kernel parameters, output requant. */
interface Int8Params<K> {
  x: QuantInfo;
  expand: number;
  kernel: K;
  out: OutRequant;
}

export type Int8IGeluParams = Int8Params<IGeluParams>;
export type Int8ISoftmaxParams = Int8Params<ISoftmaxParams>;
export type Int8ILayerNormParams = Int8Params<ILayerNormParams>;

/** i-GELU: the largest expand whose |x'| bound is within the kernel's maxAbsInput. */
export function paramsForInt8IGelu(x: QuantInfo, y: QuantInfo, mode: RequantMode): Int8IGeluParams {
  checkQuantInfo(x, 'x');
  checkQuantInfo(y, 'y');
  const m = maxAbsCentered(x);
  const at = (k: number): IGeluParams => paramsForIGelu(x.scale * 2 ** -k);
  const expand = largestExpand((k) => at(k).maxAbsInput >= m * 2 ** k, 'i-GELU', x);
  const kernel = at(expand);
  return { x, expand, kernel, out: paramsForOutRequant(mode, [kernel.scale], y) };
}

export function runInt8IGelu(x: Q8Data, p: Int8IGeluParams, check: IntCheck = NO_CHECK): Q8Data {
  return requantOut(runIGelu(widen(x, p.x.zeroPoint, p.expand, check), p.kernel, check), p.out);
}

/**
 * i-Softmax: the largest expand with a valid i-exp (cInt < 2^31) and a code range (qmax − qmin)·2^expand
 * within int32. outputBits is I-BERT's output_bit (8 in its models).
 */
export function paramsForInt8ISoftmax(
  x: QuantInfo,
  y: QuantInfo,
  mode: RequantMode,
  outputBits?: number,
): Int8ISoftmaxParams {
  checkQuantInfo(x, 'x');
  checkQuantInfo(y, 'y');
  if (
    outputBits !== undefined &&
    !(Number.isInteger(outputBits) && outputBits >= 1 && outputBits <= 30)
  )
    fail('badAttribute', ['output_bits', `must be an integer in [1, 30], got ${outputBits}`]);
  const scaleAt = (k: number): number => x.scale * 2 ** -k;
  const expand = largestExpand(
    (k) => 2 * maxAbsCentered(x) * 2 ** k <= INT32_MAX && paramsForIExp(scaleAt(k)).valid,
    'i-Softmax',
    x,
  );
  const kernel = paramsForISoftmax(scaleAt(expand), outputBits);
  return { x, expand, kernel, out: paramsForOutRequant(mode, [kernel.scale], y) };
}

export function runInt8ISoftmax(
  x: Q8Data,
  rowLen: number,
  p: Int8ISoftmaxParams,
  check: IntCheck = NO_CHECK,
): Q8Data {
  const codes = widen(x, p.x.zeroPoint, p.expand, check);
  return requantOut(runISoftmax(codes, rowLen, p.kernel, check), p.out);
}

/**
 * i-LayerNorm over rows of `dim`. Unlike i-GELU and i-Softmax, a larger expand is not always better: I-BERT's
 * LayerNorm rounds the mean to an integer (error <= 0.5 / (σ·2^expand) in normalized units, worst for σ = 1
 * code) and floors factor = ⌊2^31/std⌋ with std = σ·2^expand·√dim (relative error <= std / 2^31, worst for
 * σ = m = max|q − zp| codes). expand balances the two: the largest k with 4^k · m · √dim <= 2^30 (double, √ of
 * Math.sqrt), capped so that dim · m · 2^k (the row sum) and 2·m·2^k·√dim (a bound of std) stay in int32.
 * The output is per element of the row (scale √dim/2^30 · γ_c).
 */
export function paramsForInt8ILayerNorm(
  x: QuantInfo,
  y: QuantInfo,
  mode: RequantMode,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
): Int8ILayerNormParams {
  checkQuantInfo(x, 'x');
  checkQuantInfo(y, 'y');
  const dim = gamma.length;
  const m = maxAbsCentered(x);
  const sqrtDim = Math.sqrt(dim);
  const fits = (k: number): boolean =>
    m * 2 ** k * dim <= INT32_MAX && 2 * m * 2 ** k * sqrtDim <= INT32_MAX;
  const balanced = (k: number): boolean => 4 ** k * m * sqrtDim <= 2 ** 30;
  const expand = largestExpand((k) => k === 0 || (fits(k) && balanced(k)), 'i-LayerNorm', x);
  if (!fits(expand)) fail('badTensorData', ['x', `rows of ${dim} are too long for int32 sums`]);
  let kernel: ILayerNormParams;
  try {
    kernel = paramsForILayerNorm(dim, gamma, beta);
  } catch (e) {
    if (e instanceof RangeError) fail('badTensorData', ['scale', e.message]);
    throw e;
  }
  return { x, expand, kernel, out: paramsForOutRequant(mode, kernel.scale, y) };
}

export function runInt8ILayerNorm(
  x: Q8Data,
  p: Int8ILayerNormParams,
  check: IntCheck = NO_CHECK,
): Q8Data {
  const codes = widen(x, p.x.zeroPoint, p.expand, check);
  return requantOut(runILayerNorm(codes, p.kernel, check), p.out);
}
