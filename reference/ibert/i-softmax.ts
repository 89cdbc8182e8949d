// i-Softmax: I-BERT's integer softmax (IntSoftmax.forward) over rows: max subtraction, i-exp, 16-bit requant, division.

import { EXP, SOFTMAX } from './constants.js';
import type { IbertMultiplier } from './fixedpoint-mul.js';
import { fixedpointMul, ibertFrexp } from './fixedpoint-mul.js';
import type { IntCheck } from './int-arith.js';
import { INT32_MAX, NO_CHECK, mulFloorShift } from './int-arith.js';
import type { IExpParams } from './i-exp.js';
import { iExpParts, paramsForIExp } from './i-exp.js';

/**
 * Integer parameters of i-Softmax for an int32 input of scale S:
 *   exp      = paramsForIExp(S)
 *   exp16    = ibertFrexp(32767 / (cInt·2^30))     the requantization of I-BERT's exp_int (= p·2^(30−z)) to 16 bits:
 *              QuantAct(16) calibrates its scale to max(exp_int) / (2^15 − 1), and max(exp_int) = cInt·2^30 (the
 *              row maximum, r = 0, z = 0), so exp16 = RHE(exp_int · 32767 / (cInt·2^30)), computed in double
 *   outputBits (I-BERT's output_bit, 8 in its models): output scale 2^−outputBits, codes in [0, 2^outputBits]
 */
export interface ISoftmaxParams {
  scaleIn: number;
  exp: IExpParams;
  exp16: IbertMultiplier;
  outputBits: number;
  scale: number;
}

export function paramsForISoftmax(
  S: number,
  outputBits: number = SOFTMAX.defaultOutputBits,
): ISoftmaxParams {
  if (!(Number.isInteger(outputBits) && outputBits >= 1 && outputBits <= 30))
    throw new RangeError(`output bits ${outputBits} not in [1, 30]`);
  const exp = paramsForIExp(S);
  if (!exp.valid) throw new RangeError(`i-Softmax: scale ${S} is outside the int32 range of i-exp`);
  const exp16 = ibertFrexp((2 ** (SOFTMAX.expBits - 1) - 1) / (exp.poly.cInt * 2 ** EXP.n));
  return { scaleIn: S, exp, exp16, outputBits, scale: 2 ** -outputBits };
}

/**
 * One row (int32 codes), written to `out`:
 *   d_i   = q_i − max(q)                                  (<= 0)
 *   (p_i, z_i) = iExpParts(d_i)                           exp_int = p_i·2^(30 − z_i), never formed
 *   e_i   = clamp(RHE(p_i · m / 2^(shift − 30 + z_i)), −2^15, 2^15 − 1)      64-bit product p_i·m
 *   sum   = Σ e_i                                         (>= e of the maximum ≈ 2^15)
 *   f     = ⌊2^32 / sum⌋                                  dividend 2^32 needs 33 bits
 *   out_i = ⌊e_i · f / 2^(32 − outputBits)⌋               product <= 2^32: 64-bit
 */
export function iSoftmaxRow(
  q: ArrayLike<number>,
  out: Int32Array,
  p: ISoftmaxParams,
  check: IntCheck = NO_CHECK,
): void {
  const n = q.length;
  let max = q[0];
  for (let i = 1; i < n; i++) if (q[i] > max) max = q[i];
  const e = new Int32Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const d = q[i] - max;
    check('softmax.diff', d);
    const parts = iExpParts(d, p.exp, check);
    check('softmax.exp16.product', BigInt(parts.p) * BigInt(p.exp16.m), 64);
    e[i] = fixedpointMul(parts.p, p.exp16, SOFTMAX.expBits, parts.z - EXP.n);
    sum += e[i];
    check('softmax.sum', sum);
  }
  const factor = Math.floor(2 ** SOFTMAX.sumBits / sum);
  check('softmax.factor', factor);
  const sh = SOFTMAX.sumBits - p.outputBits;
  for (let i = 0; i < n; i++) {
    check('softmax.product', e[i] * factor, 64);
    out[i] = mulFloorShift(e[i], factor, sh);
    check('softmax.out', out[i]);
  }
}

/** i-Softmax of contiguous rows of length `rowLen`. */
export function runISoftmax(
  codes: Int32Array,
  rowLen: number,
  p: ISoftmaxParams,
  check: IntCheck = NO_CHECK,
): Int32Array {
  if (rowLen < 1 || codes.length % rowLen !== 0 || rowLen > INT32_MAX / 2 ** SOFTMAX.expBits)
    throw new RangeError(`i-Softmax: bad row length ${rowLen} for ${codes.length} codes`);
  const out = new Int32Array(codes.length);
  for (let o = 0; o < codes.length; o += rowLen)
    iSoftmaxRow(codes.subarray(o, o + rowLen), out.subarray(o, o + rowLen), p, check);
  return out;
}
