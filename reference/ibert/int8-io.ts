// int8 in → int8 out around the I-BERT kernels: lossless widening of the input codes, requantization of the output.

import { fail } from '../../common/diagnostics.js';
import { INT_RANGE, allocData } from '../../common/tensor.js';
import type { RequantMode } from '../kernel.js';
import type { Requantizer } from '../quant/requant.js';
import { makeRequantizer, requantizeTo } from '../quant/requant.js';
import type { IntCheck } from './int-arith.js';

export type Q8Type = 'int8' | 'uint8';
export type Q8Data = Int8Array | Uint8Array;

/** A per-tensor quantization: real = scale · (code − zeroPoint); scale is a float32 value. */
export interface QuantInfo {
  scale: number;
  zeroPoint: number;
  dtype: Q8Type;
}

/** The largest |code − zeroPoint| of a quantization (at most 255). */
export const maxAbsCentered = (x: QuantInfo): number =>
  Math.max(INT_RANGE[x.dtype][1] - x.zeroPoint, x.zeroPoint - INT_RANGE[x.dtype][0]);

/**
 * Input widening: the kernel sees x' = (q − zp)·2^expand at scale S_x·2^−expand (exact in double, no rounding),
 * so its polynomial constants get more bits than an 8-bit code gives them. Each wrapper picks `expand`
 * (paramsForInt8… in int8-kernels.ts) so that its kernel stays inside int32. Hardware: a subtract and a left shift.
 */
export function widen(x: Q8Data, zeroPoint: number, expand: number, check: IntCheck): Int32Array {
  const out = new Int32Array(x.length);
  const f = 2 ** expand;
  for (let i = 0; i < x.length; i++) {
    out[i] = (x[i] - zeroPoint) * f;
    check('widen', out[i]);
  }
  return out;
}

/**
 * Output requantization with the project's requantizers (reference/quant/requant.ts), per channel c:
 *   multiplier_c = |kernelScale_c| / S_y in double; 'fixed' mode turns it into (M, shift) by quantizeMultiplier,
 *   'float' mode rounds it to float32 (onnxruntime's float multiplier);
 *   y = saturate(requant(sign_c · code) + zp_y), where sign_c = −1 for a negative kernel scale (i-GELU always,
 *   i-LayerNorm where γ < 0): the negation is exact because the kernels keep |code| < 2^31.
 */
export interface OutRequant {
  mode: RequantMode;
  multipliers: Float64Array;
  negate: Uint8Array;
  zeroPoint: number;
  dtype: Q8Type;
}

export function paramsForOutRequant(
  mode: RequantMode,
  kernelScales: ArrayLike<number>,
  y: QuantInfo,
): OutRequant {
  const multipliers = Float64Array.from(kernelScales, (s) => Math.abs(s) / y.scale);
  const negate = Uint8Array.from(kernelScales, (s) => (s < 0 ? 1 : 0));
  return { mode, multipliers, negate, zeroPoint: y.zeroPoint, dtype: y.dtype };
}

/** Requantizes int32 kernel codes; element i uses channel i % channels (1 channel: per-tensor). */
export function requantOut(codes: Int32Array, r: OutRequant): Q8Data {
  const requant: Requantizer = makeRequantizer(r.mode, r.multipliers);
  const channels = r.multipliers.length;
  const out = allocData(r.dtype, codes.length);
  for (let i = 0; i < codes.length; i++) {
    const c = channels === 1 ? 0 : i % channels;
    const acc = r.negate[c] === 1 ? -codes[i] : codes[i];
    out[i] = requantizeTo(requant, acc, c, r.zeroPoint, r.dtype);
  }
  return out;
}

/** Validates a quantization given as op attributes (user input): finite positive scale, zp in range. */
export function checkQuantInfo(q: QuantInfo, name: string): void {
  if (!(q.scale > 0 && Number.isFinite(q.scale)))
    fail('badAttribute', [`${name}_scale`, `must be a positive finite float, got ${q.scale}`]);
  const [lo, hi] = INT_RANGE[q.dtype];
  if (!(Number.isInteger(q.zeroPoint) && q.zeroPoint >= lo && q.zeroPoint <= hi))
    fail('badAttribute', [
      `${name}_zero_point`,
      `must be an integer in [${lo}, ${hi}], got ${q.zeroPoint}`,
    ]);
}

/** The largest expand in [0, 24] that `fits` accepts, or a user error naming the input scale. */
export function largestExpand(
  fits: (expand: number) => boolean,
  what: string,
  x: QuantInfo,
): number {
  for (let k = 24; k >= 0; k--) if (fits(k)) return k;
  return fail('badAttribute', ['x_scale', `${x.scale} is outside the int32 range of ${what}`]);
}
