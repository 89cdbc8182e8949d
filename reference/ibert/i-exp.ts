// i-exp: I-BERT's integer exponential (IntSoftmax.int_exp) for non-positive inputs: x = −ln2·z + r, exp(r) by i-poly.

import { EXP } from './constants.js';
import type { IntCheck } from './int-arith.js';
import { INT32_MAX, INT32_MIN, NO_CHECK, floorDiv, floorShift } from './int-arith.js';
import type { IPolyExpandedParams } from './i-poly.js';
import { iPolyExpanded, paramsForIPolyExpanded } from './i-poly.js';

/**
 * Integer parameters of i-exp for an input of scale S (double arithmetic, this order):
 *   x0Int    = ⌊−0.6931 / S⌋                 −ln2 in codes (<= −1)
 *   minInput = 30·x0Int                      inputs below are clamped, so z <= 30
 *   poly     = paramsForIPolyExpanded(0.35815147, 0.96963238, 1, S)    bInt = ⌊(b/a)/S⌋, cInt = ⌊(c/a)/S²⌋
 *   outShift = n' <= 30                      I-BERT shifts by n = 30 (its ints are float32); we take the largest
 *                                            n' with cInt·2^n' <= INT32_MAX so the output fits int32
 *   scale    = poly.scale / 2^outShift
 */
export interface IExpParams {
  scaleIn: number;
  x0Int: number;
  minInput: number;
  poly: IPolyExpandedParams;
  outShift: number;
  scale: number;
  /** Whether 1 <= cInt <= INT32_MAX: S in about [3.6e−5, 1.67]; then every intermediate fits int32. */
  valid: boolean;
}

export function paramsForIExp(S: number): IExpParams {
  const x0Int = Math.floor(EXP.x0 / S);
  const poly = paramsForIPolyExpanded(EXP.a, EXP.b, EXP.c, S);
  const minInput = EXP.n * x0Int;
  const valid = poly.cInt >= 1 && poly.cInt <= INT32_MAX && minInput >= INT32_MIN;
  let outShift = 0;
  while (valid && outShift < EXP.n && poly.cInt * 2 ** (outShift + 1) <= INT32_MAX) outShift++;
  return { scaleIn: S, x0Int, minInput, poly, outShift, scale: poly.scale / 2 ** outShift, valid };
}

/** exp(q·S) = p · poly.scale · 2^−z exactly as I-BERT decomposes it (q <= 0). */
export interface IExpParts {
  p: number;
  z: number;
}

/**
 *   q = max(q, 30·x0Int);  z = ⌊q / x0Int⌋ (in [0, 30]);  r = q − x0Int·z (in (x0Int, 0]);
 *   p = r·(r + bInt) + cInt  (>= 0 for every valid S: exp(r) >= 1/2 on the interval)
 */
export function iExpParts(q: number, p: IExpParams, check: IntCheck = NO_CHECK): IExpParts {
  check('exp.in', q);
  const qc = Math.max(q, p.minInput);
  const z = floorDiv(qc, p.x0Int);
  check('exp.z', z);
  const xz = p.x0Int * z;
  check('exp.x0z', xz);
  const r = qc - xz;
  check('exp.r', r);
  return { p: iPolyExpanded(r, p.poly, check), z };
}

/** ⌊p · 2^(outShift − z)⌋ clamped at 0 (I-BERT's clamp(min=0)); real exp = out · scale. */
export function iExp(q: number, p: IExpParams, check: IntCheck = NO_CHECK): number {
  const parts = iExpParts(q, p, check);
  const d = p.outShift - parts.z;
  const e = Math.max(d >= 0 ? parts.p * 2 ** d : floorShift(parts.p, -d), 0);
  check('exp.out', e);
  return e;
}

/** i-exp of every code; a positive code or an invalid scale is a caller bug. */
export function runIExp(codes: Int32Array, p: IExpParams, check: IntCheck = NO_CHECK): Int32Array {
  if (!p.valid) throw new RangeError(`i-exp: scale ${p.scaleIn} is too small for int32`);
  const out = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    if (codes[i] > 0) throw new RangeError(`i-exp input ${codes[i]} is positive`);
    out[i] = iExp(codes[i], p, check);
  }
  return out;
}
