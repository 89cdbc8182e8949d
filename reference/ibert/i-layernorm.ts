// i-LayerNorm: I-BERT's integer LayerNorm (IntLayerNorm.forward): integer mean, variance with a dynamic shift, i-sqrt.

import { LAYERNORM } from './constants.js';
import type { IntCheck } from './int-arith.js';
import { INT32_MAX, INT32_MIN, NO_CHECK, floorShift, mulFloorShift, rheDiv } from './int-arith.js';
import { iSqrt } from './i-sqrt.js';

/**
 * Integer parameters of i-LayerNorm over rows of `dim` elements with per-element gamma, beta (float32 values);
 * double arithmetic in this order:
 *   headroom h = the smallest h >= 0 with max_c |biasInt_c| + 2^(30 − h) <= INT32_MAX (0 whenever |β/γ| < √dim)
 *   normScale  = √dim / 2^(30 − h)            the scale of the normalized value (I-BERT: h = 0)
 *   biasInt_c  = ⌊(β_c / γ_c) / normScale⌋
 *   scale_c    = normScale · γ_c              the per-element output scale (negative where γ_c < 0)
 * The input scale does not enter: the normalized value is scale-free. γ_c must be non-zero and finite.
 */
export interface ILayerNormParams {
  dim: number;
  headroom: number;
  normScale: number;
  biasInt: Int32Array;
  scale: Float64Array;
}

export function paramsForILayerNorm(
  dim: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
): ILayerNormParams {
  if (gamma.length !== dim || beta.length !== dim)
    throw new RangeError(
      `i-LayerNorm: gamma/beta have ${gamma.length}/${beta.length} values, not ${dim}`,
    );
  const ratio = Array.from({ length: dim }, (_, c) => beta[c] / gamma[c]);
  if (ratio.some((r) => !Number.isFinite(r)))
    throw new RangeError('i-LayerNorm: every gamma must be non-zero and beta/gamma finite');
  const sqrtDim = Math.sqrt(dim);
  for (let h = 0; h <= LAYERNORM.outFracBits; h++) {
    const normScale = sqrtDim / 2 ** (LAYERNORM.outFracBits - h);
    const biasInt = ratio.map((r) => Math.floor(r / normScale));
    const maxBias = Math.max(...biasInt.map(Math.abs));
    if (maxBias + 2 ** (LAYERNORM.outFracBits - h) > INT32_MAX) continue;
    const scale = Float64Array.from(gamma, (g) => normScale * g);
    return { dim, headroom: h, normScale, biasInt: Int32Array.from(biasInt), scale };
  }
  throw new RangeError('i-LayerNorm: beta/gamma too large for int32');
}

/**
 * One row (int32 codes, |Σq| < 2^31), written to `out` (codes at scale_c):
 *   mean  = RHE(Σq / dim)                          torch.round of the mean: half to even, exact here
 *   y     = q − mean
 *   s     = the smallest s >= 0 with Σ ⌊y/2^s⌋² < 2^31 (accumulation stops at the first term or partial sum
 *           that reaches 2^31, and s grows by one)
 *   std   = iSqrt(Σ ⌊y/2^s⌋²) · 2^s
 *   f     = ⌊(2^31 − 1) / std⌋ (2^31 − 1 when std = 0, then y = 0)   I-BERT: ⌊2^31 / (std + 0.0001)⌋
 *   out_c = sat32(⌊y_c · f / 2^(1 + h)⌋ + biasInt_c)                   product y·f: 64-bit
 */
export function iLayerNormRow(
  q: ArrayLike<number>,
  out: Int32Array,
  p: ILayerNormParams,
  check: IntCheck = NO_CHECK,
): void {
  const n = p.dim;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += q[i];
    check('ln.sum', sum);
  }
  const mean = rheDiv(sum, n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = q[i] - mean;
    check('ln.y', y[i]);
  }
  const shift = varianceShift(y);
  let variance = 0;
  for (let i = 0; i < n; i++) variance += floorShift(y[i], shift) ** 2;
  check('ln.var', variance);
  const std = iSqrt(variance, check) * 2 ** shift;
  check('ln.std', std);
  const factor = std === 0 ? INT32_MAX : Math.floor(INT32_MAX / std);
  check('ln.factor', factor);
  for (let i = 0; i < n; i++) {
    check('ln.product', y[i] * factor, 64);
    const norm = mulFloorShift(y[i], factor, 1 + p.headroom);
    check('ln.norm', norm);
    const v = norm + p.biasInt[i];
    out[i] = Math.min(Math.max(v, INT32_MIN), INT32_MAX);
    check('ln.out', out[i]);
  }
}

/** The dynamic shift: smallest s with Σ ⌊y/2^s⌋² < 2^31, every partial sum checked against the limit. */
function varianceShift(y: Float64Array): number {
  for (let s = 0; ; s++) {
    let acc = 0;
    let fits = true;
    for (const v of y) {
      acc += floorShift(v, s) ** 2;
      if (acc >= LAYERNORM.varLimit) {
        fits = false;
        break;
      }
    }
    if (fits) return s;
  }
}

/** i-LayerNorm of contiguous rows of p.dim elements. */
export function runILayerNorm(
  codes: Int32Array,
  p: ILayerNormParams,
  check: IntCheck = NO_CHECK,
): Int32Array {
  if (codes.length % p.dim !== 0)
    throw new RangeError(`i-LayerNorm: ${codes.length} codes are not rows of ${p.dim}`);
  const out = new Int32Array(codes.length);
  for (let o = 0; o < codes.length; o += p.dim)
    iLayerNormRow(codes.subarray(o, o + p.dim), out.subarray(o, o + p.dim), p, check);
  return out;
}
