// I-BERT's requantization (quant_utils.py batch_frexp + fixedpoint_mul) as exact integer arithmetic.

import { frexp } from '../quant/gemmlowp.js';
import { rhu } from '../quant/rounding.js';
import { mulRheShift } from './int-arith.js';

/** real ≈ m / 2^shift with m in [2^30, 2^31). */
export interface IbertMultiplier {
  m: number;
  shift: number;
}

/**
 * batch_frexp(real, max_bit=31): (q, e) = frexp(real) in double, m = ROUND_HALF_UP(q·2^31) (Decimal, exact),
 * shift = 31 − e. When q·2^31 rounds up to 2^31 we return (2^30, shift − 1), the same value in 31 bits
 * (I-BERT keeps 2^31, which needs 32 bits).
 */
export function ibertFrexp(real: number): IbertMultiplier {
  if (!(real > 0 && Number.isFinite(real)))
    throw new RangeError(`multiplier ${real} is not positive`);
  const [q, e] = frexp(real);
  const m = rhu(q * 2 ** 31); // q > 0, so half up = Decimal ROUND_HALF_UP
  return m === 2 ** 31 ? { m: 2 ** 30, shift: 30 - e } : { m, shift: 31 - e };
}

/**
 * fixedpoint_mul's integer core: round(z·m / 2^(shift + extraShift)) with torch.round = half to even, then the
 * symmetric clamp to [−2^(bits−1), 2^(bits−1) − 1]. I-BERT forms z·m in double (exact below 2^53); here it is
 * exact for every size. `extraShift` folds a known power of two of z into the shift (may be negative).
 */
export function fixedpointMul(
  z: number,
  mult: IbertMultiplier,
  bits: number,
  extraShift = 0,
): number {
  const v = mulRheShift(z, mult.m, mult.shift + extraShift);
  const lim = 2 ** (bits - 1);
  return Math.min(Math.max(v, -lim), lim - 1);
}
