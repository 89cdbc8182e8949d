// Unit tests of the rounding functions and the gemmlowp / TFLite fixed-point primitives.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  frexp,
  INT32_MAX,
  INT32_MIN,
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  srdhm,
} from '../../reference/quant/gemmlowp.js';
import { rhaz, rhe, rhu } from '../../reference/quant/rounding.js';

const JUST_BELOW_HALF = 0.49999999999999994; // largest double < 0.5; floor(x + 0.5) wrongly gives 1

describe('rounding', () => {
  it('rhe: ties to even, both signs', () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5].map(rhe)).toEqual([
      0, 2, 2, 4, 0, -2, -2, -4,
    ]);
    expect([0.4, 0.6, -0.4, -0.6, 2.5000000000000004].map(rhe)).toEqual([0, 1, 0, -1, 3]);
  });
  it('rhaz: ties away from zero', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map(rhaz)).toEqual([1, 2, 3, -1, -2, -3]);
  });
  it('rhu: ties toward +infinity', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5].map(rhu)).toEqual([1, 2, 3, 0, -1, -2]);
    expect([-0.6, -1.6].map(rhu)).toEqual([-1, -2]);
  });
  it('0.49999999999999994 and its negative round to 0 in all three', () => {
    for (const f of [rhe, rhaz, rhu]) {
      expect(f(JUST_BELOW_HALF)).toBe(0);
      expect(f(-JUST_BELOW_HALF)).toBe(0);
    }
  });
  it('never returns -0', () => {
    for (const f of [rhe, rhaz, rhu]) expect(Object.is(f(-0.2), 0)).toBe(true);
  });
  it('huge values and non-finite pass through', () => {
    const big = 2 ** 53 - 1; // odd integer
    for (const f of [rhe, rhaz, rhu]) {
      expect(f(big)).toBe(big);
      expect(f(-big)).toBe(-big);
      expect(f(2 ** 52 + 1)).toBe(2 ** 52 + 1);
      expect(f(1e300)).toBe(1e300);
      expect(f(Infinity)).toBe(Infinity);
      expect(Number.isNaN(f(NaN))).toBe(true);
    }
    // 2^52 - 0.5 is a tie: even neighbour is 2^52
    expect(rhe(2 ** 52 - 0.5)).toBe(2 ** 52);
    expect(rhaz(2 ** 52 - 0.5)).toBe(2 ** 52);
    expect(rhu(-(2 ** 52) + 0.5)).toBe(-(2 ** 52) + 1);
  });
  it('agree with exact rational rounding on random doubles (BigInt-free check via halves)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.constantFrom(0, 0.25, 0.5, 0.75),
        (n, frac) => {
          const x = n + frac; // exact
          const lo = Math.floor(x);
          const d = x - lo;
          expect(rhaz(x)).toBe(d === 0.5 ? (x > 0 ? lo + 1 : lo) : d > 0.5 ? lo + 1 : lo);
          expect(rhu(x)).toBe(d >= 0.5 ? lo + 1 : lo);
          expect(rhe(x)).toBe(d === 0.5 ? (lo % 2 === 0 ? lo : lo + 1) : d > 0.5 ? lo + 1 : lo);
        },
      ),
    );
  });
});

describe('quantizeMultiplier (TFLite, double rounding build)', () => {
  it('frexp', () => {
    expect(frexp(1)).toEqual([0.5, 1]);
    expect(frexp(0.1)).toEqual([0.8, -3]);
    expect(frexp(-3)).toEqual([-0.75, 2]);
    expect(frexp(5e-324)).toEqual([0.5, -1073]);
  });
  it('m = 0', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
  });
  it('powers of two and m > 1', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    // 3 = 0.75 * 2^2; 0.75 * 2^31 = 1610612736
    expect(quantizeMultiplier(3)).toEqual({ multiplier: 1610612736, shift: 2 });
  });
  it('0.1: 0.8 * 2^31 = 1717986918.4 -> 1717986918, shift -3', () => {
    expect(quantizeMultiplier(0.1)).toEqual({ multiplier: 1717986918, shift: -3 });
  });
  it('m just below 1 rounds q up to 2^31: the fix-up halves it and bumps the shift', () => {
    // q = 1 - 2^-40, q * 2^31 = 2^31 - 2^-9 -> RHAZ 2^31 -> (2^30, shift 0 + 1)
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
  });
  it('a tie in q * 2^31 rounds away from zero', () => {
    // m = 0.5 + 2^-32: q * 2^31 = 2^30 + 0.5 -> 2^30 + 1 (RHE would give 2^30)
    expect(quantizeMultiplier(0.5 + 2 ** -32)).toEqual({ multiplier: 2 ** 30 + 1, shift: 0 });
  });
  it('tiny multipliers: shift -31 kept, below flushed to 0', () => {
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1e-20)).toEqual({ multiplier: 0, shift: 0 });
  });
  it('represents m to within 2^-31 relative', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e3, noNaN: true }), (m) => {
        const { multiplier, shift } = quantizeMultiplier(m);
        expect(multiplier).toBeGreaterThanOrEqual(2 ** 30);
        expect(multiplier).toBeLessThan(2 ** 31);
        expect(Math.abs(multiplier * 2 ** (shift - 31) - m) / m).toBeLessThanOrEqual(2 ** -31);
      }),
    );
  });
});

/** gemmlowp's SRDHM written with BigInt exactly as in fixedpoint.h (nudge, truncating division). */
function srdhmBig(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n));
}

describe('SRDHM', () => {
  it('saturates INT32_MIN * INT32_MIN only', () => {
    expect(srdhm(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    expect(srdhm(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX); // -2^31 * (2^31-1) / 2^31 = -(2^31 - 1)
    expect(srdhm(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1); // (2^31-1)^2/2^31 = 2^31 - 2 + 2^-31
  });
  it('rounds half up (hand values)', () => {
    expect(srdhm(1, 2 ** 30)).toBe(1); // 0.5 -> 1
    expect(srdhm(-1, 2 ** 30)).toBe(0); // -0.5 -> 0
    expect(srdhm(3, 2 ** 30)).toBe(2); // 1.5 -> 2
    expect(srdhm(-3, 2 ** 30)).toBe(-1); // -1.5 -> -1
    expect(srdhm(2 ** 30, 2 ** 30)).toBe(2 ** 29);
  });
  it('equals the BigInt nudge formula on random int32 pairs', () => {
    const i32 = fc.oneof(
      fc.integer({ min: INT32_MIN, max: INT32_MAX }),
      fc.constantFrom(INT32_MIN, INT32_MAX, -1, 0, 1),
    );
    fc.assert(
      fc.property(i32, i32, (a, b) => {
        expect(srdhm(a, b)).toBe(srdhmBig(a, b));
      }),
      { numRuns: 20000 },
    );
  });
});

describe('roundingDivideByPOT', () => {
  it('rounds half away from zero', () => {
    expect(roundingDivideByPOT(5, 1)).toBe(3);
    expect(roundingDivideByPOT(-5, 1)).toBe(-3);
    expect(roundingDivideByPOT(-6, 2)).toBe(-2); // -1.5
    expect(roundingDivideByPOT(6, 2)).toBe(2); // 1.5
    expect(roundingDivideByPOT(-7, 2)).toBe(-2); // -1.75
    expect(roundingDivideByPOT(-5, 2)).toBe(-1); // -1.25
    expect(roundingDivideByPOT(7, 0)).toBe(7);
    expect(roundingDivideByPOT(-7, 0)).toBe(-7);
  });
  it('exponent 31 extremes', () => {
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
    expect(roundingDivideByPOT(-(2 ** 30), 31)).toBe(-1); // -0.5
    expect(roundingDivideByPOT(2 ** 30, 31)).toBe(1); // 0.5
    expect(roundingDivideByPOT(2 ** 30 - 1, 31)).toBe(0);
  });
  it('equals rhaz(x / 2^e) on random values', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: INT32_MIN, max: INT32_MAX }),
        fc.integer({ min: 0, max: 31 }),
        (x, e) => {
          expect(roundingDivideByPOT(x, e)).toBe(rhaz(x / 2 ** e));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('multiplyByQuantizedMultiplier (double rounding)', () => {
  it('hand-computed double rounding', () => {
    // real 1.25: SRDHM(5, 2^30) = RHU(2.5) = 3; RDBPOT(3, 1) = RHAZ(1.5) = 2 (single rounding would give 1)
    expect(multiplyByQuantizedMultiplier(5, 2 ** 30, -1)).toBe(2);
    // real -1.25: SRDHM(-5, 2^30) = RHU(-2.5) = -2; RDBPOT(-2, 1) = -1
    expect(multiplyByQuantizedMultiplier(-5, 2 ** 30, -1)).toBe(-1);
    // real -0.5: SRDHM(-4, 2^30) = -2; RDBPOT(-2, 2) = RHAZ(-0.5) = -1
    expect(multiplyByQuantizedMultiplier(-4, 2 ** 30, -2)).toBe(-1);
    // positive shift: 3 * 2^2 = 12; SRDHM(12, 0.75*2^31) = 9  (3 * 3 = 9)
    expect(multiplyByQuantizedMultiplier(3, 1610612736, 2)).toBe(9);
  });
  it('left shift wraps like the C int32 multiply', () => {
    // 2^29 << 3 wraps to 0; SRDHM(0, M) = 0
    expect(multiplyByQuantizedMultiplier(2 ** 29, 2 ** 30, 3)).toBe(0);
  });
});
