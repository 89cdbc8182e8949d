// gemmlowp / TFLite fixed-point requantization: QuantizeMultiplier, SRDHM, RoundingDivideByPOT, MBQM (double rounding).

import { rhaz } from './rounding.js';

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
const TWO31 = 2147483648;

/** A real multiplier m ≈ multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) (or 0). */
export interface QuantizedMultiplier {
  multiplier: number;
  shift: number;
}

/** C frexp: x = q * 2^e with 0.5 <= |q| < 1 (exact, also for subnormals). x must be finite and non-zero. */
export function frexp(x: number): [q: number, e: number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  let bias = 0;
  if (((view.getUint16(0) >> 4) & 0x7ff) === 0) {
    view.setFloat64(0, x * 2 ** 64); // subnormal: scale into the normal range first
    bias = -64;
  }
  const hi = view.getUint16(0);
  const exp = (hi >> 4) & 0x7ff;
  view.setUint16(0, (hi & 0x800f) | (1022 << 4)); // exponent field 1022 puts |q| in [0.5, 1)
  return [view.getFloat64(0), exp - 1022 + bias];
}

/**
 * TFLite QuantizeMultiplier (quantization_util.cc, double-rounding build): frexp, RHAZ(q * 2^31), the 2^31
 * fix-up (q rounded up to 1.0 becomes 2^30 with shift + 1), and multipliers below 2^-32 flushed to 0.
 */
export function quantizeMultiplier(m: number): QuantizedMultiplier {
  if (m === 0) return { multiplier: 0, shift: 0 };
  if (!Number.isFinite(m)) throw new Error(`quantizeMultiplier: ${m} is not finite`);
  const [q, e] = frexp(m);
  let shift = e;
  let qf = rhaz(q * TWO31); // exact product: scaling by a power of two
  if (qf === TWO31) {
    qf /= 2;
    shift += 1;
  }
  if (shift < -31) {
    shift = 0;
    qf = 0;
  }
  return { multiplier: qf, shift };
}

/** QuantizeMultiplierSmallerThanOneExp: 0 < m < 1, shift <= 0. */
export function quantizeMultiplierSmallerThanOneExp(m: number): QuantizedMultiplier {
  if (!(m > 0 && m < 1)) throw new RangeError(`multiplier ${m} is not in (0, 1)`);
  return quantizeMultiplier(m);
}

/**
 * SaturatingRoundingDoublingHighMul: RHU(a*b / 2^31), saturating only INT32_MIN * INT32_MIN. The 62-bit
 * product is split so every double operation is exact: a*b = hi*2^16 + lo with hi = a*bh, lo = a*bl.
 */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const bl = b & 0xffff; // b = bh*2^16 + bl, bl in [0, 2^16)
  const bh = (b - bl) / 65536;
  const hi = a * bh; // |hi| < 2^47, exact
  const lo = a * bl; // |lo| < 2^47, exact
  const hq = Math.floor(hi / 32768); // hi = hq*2^15 + hr
  const hr = hi - hq * 32768;
  // (a*b + 2^30) >> 31 = hq + floor((hr*2^16 + lo + 2^30) / 2^31); the numerator is < 2^48, exact
  return (hq + Math.floor((hr * 65536 + lo + 1073741824) / TWO31)) | 0; // in int32 range; | 0 drops -0
}

/** RoundingDivideByPOT: x / 2^e rounded half away from zero, 0 <= e <= 31, x int32. */
export function roundingDivideByPOT(x: number, e: number): number {
  if (e < 0 || e > 31) throw new RangeError(`exponent ${e} is not in [0, 31]`);
  const mask = ((1 << e) - 1) | 0;
  const rem = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> e) + (rem > threshold ? 1 : 0);
}

/**
 * MultiplyByQuantizedMultiplier, double rounding (TFLite source default, TFLITE_SINGLE_ROUNDING unset):
 * RoundingDivideByPOT(SRDHM(x * 2^left, M), right). `x * 2^left` wraps like the C int32 multiply.
 */
export function multiplyByQuantizedMultiplier(
  x: number,
  multiplier: number,
  shift: number,
): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  const scaled = left >= 32 ? 0 : Math.imul(x, left === 31 ? INT32_MIN : 1 << left);
  return roundingDivideByPOT(srdhm(scaled, multiplier), right);
}

/** MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0): RDBPOT(SRDHM(x, M), -shift). */
export function mbqmSmallerThanOneExp(x: number, multiplier: number, shift: number): number {
  return roundingDivideByPOT(srdhm(x, multiplier), -shift);
}
