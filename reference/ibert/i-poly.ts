// i-poly: a second-order polynomial of a quantized input evaluated with integers only (I-BERT Algorithm 1).

import type { IntCheck } from './int-arith.js';

/**
 * Integer parameters of a·(x + b)² + c on x = q·S (the form IntGELU.int_erf evaluates):
 *   bInt = ⌊b / S⌋,  cInt = ⌊(c / a) / (S·S)⌋,  out = (q + bInt)² + cInt,  scale = (S·S)·a.
 * Every constant is computed in IEEE double from the given (double) S, in exactly this order; c/a is
 * divided first because IntGELU stores coeff[2] = c / a. The scale is negative when a < 0.
 */
export interface IPolySquareParams {
  bInt: number;
  cInt: number;
  scale: number;
}

export function paramsForIPolySquare(
  a: number,
  b: number,
  c: number,
  S: number,
): IPolySquareParams {
  const s2 = S * S;
  return { bInt: Math.floor(b / S), cInt: Math.floor(c / a / s2), scale: s2 * a };
}

/** (q + bInt)² + cInt; the caller bounds q so that the square fits int32. */
export function iPolySquare(q: number, p: IPolySquareParams, check: IntCheck): number {
  const t = q + p.bInt;
  check('poly.shifted', t);
  const sq = t * t;
  check('poly.square', sq);
  const out = sq + p.cInt;
  check('poly.out', out);
  return out;
}

/**
 * Integer parameters of a·x² + b·x + c on x = q·S (the form IntSoftmax.int_polynomial evaluates):
 *   bInt = ⌊(b / a) / S⌋,  cInt = ⌊(c / a) / (S·S)⌋,  out = q·(q + bInt) + cInt,  scale = a·(S·S).
 * Double arithmetic in this order (IntSoftmax stores coef[1] = b / a and coef[2] = c / a).
 */
export interface IPolyExpandedParams {
  bInt: number;
  cInt: number;
  scale: number;
}

export function paramsForIPolyExpanded(
  a: number,
  b: number,
  c: number,
  S: number,
): IPolyExpandedParams {
  const s2 = S * S;
  return { bInt: Math.floor(b / a / S), cInt: Math.floor(c / a / s2), scale: a * s2 };
}

/** q·(q + bInt) + cInt. */
export function iPolyExpanded(q: number, p: IPolyExpandedParams, check: IntCheck): number {
  const t = q + p.bInt;
  check('poly.shifted', t);
  const prod = q * t;
  check('poly.product', prod);
  const out = prod + p.cInt;
  check('poly.out', out);
  return out;
}
