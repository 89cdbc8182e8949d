// i-erf: I-BERT's integer erf (IntGELU.int_erf): a clipped second-order polynomial, sign-symmetric, shifted by 2^−14.

import { GELU } from './constants.js';
import type { IntCheck } from './int-arith.js';
import { floorShift } from './int-arith.js';
import type { IPolySquareParams } from './i-poly.js';
import { iPolySquare, paramsForIPolySquare } from './i-poly.js';

/**
 * For an erf input of scale S (GELU passes S_x / 1.4142):
 *   poly  = paramsForIPolySquare(a, b, c, S)    bInt = ⌊−1.769 / S⌋ (negative), cInt = ⌊(1 / −0.2888) / S²⌋
 *   clip  = −bInt                                |q| is clipped there: erf is flat (≈ 1) beyond x = −b
 *   scale = (S·S·a)·2^14                         negative, as in I-BERT (a < 0)
 */
export interface IErfParams {
  poly: IPolySquareParams;
  clip: number;
  shift: number;
  scale: number;
}

export function paramsForIErf(S: number): IErfParams {
  const poly = paramsForIPolySquare(GELU.a, GELU.b, GELU.c, S);
  return { poly, clip: -poly.bInt, shift: GELU.n, scale: poly.scale * 2 ** GELU.n };
}

/**
 * y = sign(q)·((min(|q|, clip) + bInt)² + cInt), then ⌊y / 2^14⌋ (floor, i.e. an arithmetic shift, also for
 * negative y; sign(0) = 0 so q = 0 gives 0). The real erf is y·scale.
 */
export function iErf(q: number, p: IErfParams, check: IntCheck): number {
  const t = Math.min(Math.abs(q), p.clip);
  check('erf.clipped', t);
  const inner = iPolySquare(t, p.poly, check);
  const signed = q > 0 ? inner : q < 0 ? -inner : 0;
  check('erf.signed', signed);
  const y = floorShift(signed, p.shift) + 0;
  check('erf.out', y);
  return y;
}
