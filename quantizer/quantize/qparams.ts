// Scale / zero point of activations, weights and biases (onnxruntime quant_utils.py, TFLite int8 spec).

import { rhe } from '../calibrate/noise.js';

export interface QParams {
  scale: number;
  zeroPoint: number;
}

const F32_TINY = 1.1754943508222875e-38;

/**
 * onnxruntime compute_scale_zp for int8 (quantization-semantics.md §3.2): the range is widened to contain 0;
 * symmetric uses [-127, 127] with zero point 0, asymmetric [-128, 127]; scale in float64, stored as float32.
 */
export function computeScaleZp(rmin: number, rmax: number, symmetric: boolean): QParams {
  let lo = Math.min(Math.fround(rmin), 0);
  let hi = Math.max(Math.fround(rmax), 0);
  const [qmin, qmax] = symmetric ? [-127, 127] : [-128, 127];
  if (symmetric) {
    const a = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -a;
    hi = a;
  }
  const scale = Math.fround(hi - lo) / (qmax - qmin);
  if (scale < F32_TINY) return { scale: 1, zeroPoint: 0 };
  const zeroPoint = symmetric ? 0 : rhe(qmin - lo / scale);
  return { scale: Math.fround(scale), zeroPoint: Math.min(Math.max(zeroPoint, -128), 127) };
}

/**
 * Activation parameters for a calibrated range: symmetric mode uses the symmetric formula for a range with both
 * signs; a one-signed range ([0, a], quasi-symmetric) keeps all 256 levels via the asymmetric formula.
 */
export function activationParams(range: readonly [number, number], symmetric: boolean): QParams {
  const bothSigns = range[0] < 0 && range[1] > 0;
  return computeScaleZp(range[0], range[1], symmetric && bothSigns);
}

/** Fixed output parameters of ops whose output range is known (TFLite spec). */
export const FIXED_OUTPUT: Readonly<Record<string, QParams>> = {
  Sigmoid: { scale: 1 / 256, zeroPoint: -128 },
  Softmax: { scale: 1 / 256, zeroPoint: -128 },
};

/** Symmetric int8 weight scale for the largest |w| (range [-127, 127]); 1 for an all-zero channel. */
export function weightScale(maxAbs: number): number {
  const s = Math.fround((2 * Math.fround(maxAbs)) / 254);
  return s < F32_TINY ? 1 : s;
}

/** q = clip(RHE(float32(w / s)), -127, 127). */
export const quantizeWeightValue = (w: number, s: number): number =>
  Math.min(Math.max(rhe(Math.fround(w / s)), -127), 127);

export const INT32_MAX = 2147483647;

/** int32 bias q = clip(RHE(b / s), int32) with s = float32(s_in * s_w). */
export function quantizeBiasValue(b: number, s: number): number {
  return Math.min(Math.max(rhe(b / s), -INT32_MAX - 1), INT32_MAX);
}

/**
 * The weight scale widened so that the int32 bias cannot overflow: when |b| > s_in · s_w · 2^31, use
 * s_w = 2 |b| / 2^31 / s_in, which puts the bias near INT32_MAX / 2 (Furiosa quantizer, SDK 0.8 utils.py).
 */
export function widenForBias(sw: number, sIn: number, b: number): number {
  if (Math.abs(b) <= sIn * sw * 2 ** 31 * 0.999) return sw;
  return Math.fround((2 * Math.abs(b)) / 2 ** 31 / sIn);
}
