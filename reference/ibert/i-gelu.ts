// i-GELU: I-BERT's integer GELU (IntGELU.forward): x·(erf(x/√2) + 1)/2 with the integer erf.

import { GELU } from './constants.js';
import type { IntCheck } from './int-arith.js';
import { INT32_MAX, NO_CHECK } from './int-arith.js';
import type { IErfParams } from './i-erf.js';
import { iErf, paramsForIErf } from './i-erf.js';

/**
 * Integer parameters of i-GELU for an int32 input of scale S (double arithmetic, this order):
 *   erf   = paramsForIErf(S / 1.4142)
 *   one   = ⌊1 / erf.scale⌋           the integer 1 at the erf's scale (negative, since erf.scale < 0)
 *   scale = S · erf.scale / 2          the output scale, negative: output codes have the opposite sign
 */
export interface IGeluParams {
  scaleIn: number;
  erf: IErfParams;
  one: number;
  scale: number;
  /** The largest |q| for which every intermediate fits int32 (0 if none does: the scale is too small). */
  maxAbsInput: number;
}

export function paramsForIGelu(S: number): IGeluParams {
  const erf = paramsForIErf(S / GELU.k);
  const one = Math.floor(1 / erf.scale);
  return { scaleIn: S, erf, one, scale: (S * erf.scale) / 2, maxAbsInput: maxAbsInput(erf, one) };
}

/**
 * Worst cases: (t + bInt)² <= bInt², the polynomial lies in [cInt, bInt² + cInt], |⌊y / 2^14⌋| <= ⌈max|y| / 2^14⌉,
 * so |iErf + one| <= that + |one| and |q·(iErf + one)| fits int32 iff |q| <= INT32_MAX / (that + |one|).
 */
function maxAbsInput(erf: IErfParams, one: number): number {
  const { bInt, cInt } = erf.poly;
  const sq = bInt * bInt;
  const inner = Math.max(Math.abs(cInt), Math.abs(sq + cInt));
  if (sq > INT32_MAX || inner > INT32_MAX) return 0;
  const sum = Math.ceil(inner / 2 ** erf.shift) + Math.abs(one);
  if (sum > INT32_MAX) return 0;
  return Math.floor(INT32_MAX / sum); // sum >= |one| >= 1
}

/** out = q·(iErf(q) + one); real GELU = out·scale. */
export function iGelu(q: number, p: IGeluParams, check: IntCheck = NO_CHECK): number {
  check('gelu.in', q);
  const y = iErf(q, p.erf, check);
  const sum = y + p.one;
  check('gelu.sum', sum);
  const out = q * sum + 0; // + 0 turns −0 (q = 0 times a negative sum) into 0
  check('gelu.out', out);
  return out;
}

/** i-GELU of every code; a code beyond maxAbsInput is a caller bug (the result would not fit int32). */
export function runIGelu(
  codes: Int32Array,
  p: IGeluParams,
  check: IntCheck = NO_CHECK,
): Int32Array {
  const out = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const q = codes[i];
    if (Math.abs(q) > p.maxAbsInput)
      throw new RangeError(`i-GELU input ${q} exceeds ${p.maxAbsInput} at scale ${p.scaleIn}`);
    out[i] = iGelu(q, p, check);
  }
  return out;
}
