// int32 accumulator → quantized output: the two requantization modes ('float' = onnxruntime, 'fixed' = TFLite).

import type { RequantMode } from '../kernel.js';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from './gemmlowp.js';
import { rhe } from './rounding.js';

const f32 = Math.fround;

export type QDType = 'int8' | 'uint8' | 'int16' | 'int32';
export const Q_RANGE: Record<QDType, readonly [number, number]> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

/** Clamps v to [lo, hi]; NaN goes to lo (as onnxruntime's max-then-min clamp and ONNX's rint→int32→clip do). */
export function saturate(v: number, lo: number, hi: number): number {
  if (!(v >= lo)) return lo;
  return v > hi ? hi : v;
}

export const saturateTo = (v: number, dtype: QDType): number =>
  saturate(v, Q_RANGE[dtype][0], Q_RANGE[dtype][1]);

/** The output value of a requantizer before the zero point is added; an integer, possibly outside int32 in float mode. */
export type Requantizer = (acc: number, channel: number) => number;

export interface RequantScales {
  /** Input (activation) scale, float32. */
  x: number;
  /** Weight scale(s), float32: one per output channel, or one for all. */
  w: ArrayLike<number>;
  /** Output scale, float32. */
  y: number;
  /** Extra real factor (QGemm alpha), float32; default 1. */
  alpha?: number;
}

/**
 * float mode multiplier per channel, float32 left to right as onnxruntime computes it:
 * fround(fround(x * w[c]) / y), with alpha: fround(fround(fround(x * w[c]) * alpha) / y).
 */
export function floatMultipliers(s: RequantScales): Float32Array {
  const out = new Float32Array(s.w.length);
  for (let c = 0; c < s.w.length; c++) {
    let p = f32(s.x * s.w[c]);
    if (s.alpha !== undefined && s.alpha !== 1) p = f32(p * s.alpha);
    out[c] = f32(p / s.y);
  }
  return out;
}

/** fixed mode real multiplier per channel in double, as TFLite: double(x) * double(w[c]) [* alpha] / double(y). */
export function fixedRealMultipliers(s: RequantScales): Float64Array {
  const out = new Float64Array(s.w.length);
  for (let c = 0; c < s.w.length; c++) out[c] = (s.x * s.w[c] * (s.alpha ?? 1)) / s.y;
  return out;
}

/** float mode on one value: RHE(fround(fround(acc) * multiplier)); fround(acc) rounds for |acc| > 2^24. */
export const requantFloat = (acc: number, multiplier: number): number =>
  rhe(f32(f32(acc) * multiplier));

/**
 * A requantizer per channel from real multipliers. float mode: `multipliers` must already be float32 values
 * (floatMultipliers); fixed mode: doubles (fixedRealMultipliers) turned into (M, shift) by quantizeMultiplier.
 */
export function makeRequantizer(mode: RequantMode, multipliers: ArrayLike<number>): Requantizer {
  const n = multipliers.length;
  if (mode === 'float') {
    const m = Float32Array.from(multipliers);
    return n === 1 ? (acc) => requantFloat(acc, m[0]) : (acc, c) => requantFloat(acc, m[c]);
  }
  const ms = new Int32Array(n);
  const shifts = new Int32Array(n);
  for (let c = 0; c < n; c++) {
    const q = quantizeMultiplier(multipliers[c]);
    ms[c] = q.multiplier;
    shifts[c] = q.shift;
  }
  return n === 1
    ? (acc) => multiplyByQuantizedMultiplier(acc | 0, ms[0], shifts[0])
    : (acc, c) => multiplyByQuantizedMultiplier(acc | 0, ms[c], shifts[c]);
}

/** The requantizer of a conv / matmul / gemm in the given mode, from float32 scales. */
export function makeScaleRequantizer(mode: RequantMode, s: RequantScales): Requantizer {
  return makeRequantizer(mode, mode === 'float' ? floatMultipliers(s) : fixedRealMultipliers(s));
}

/** Full output: saturate(requant(acc, c) + zp) to the output dtype's range (the + zp is not wrapped). */
export function requantizeTo(
  r: Requantizer,
  acc: number,
  channel: number,
  zp: number,
  dtype: QDType,
): number {
  return saturateTo(r(acc, channel) + zp, dtype);
}
