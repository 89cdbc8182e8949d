// rheFast (the simulator's rounding) equals the reference's rhe on every double, ties and extremes included.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rhe } from '../../reference/quant/rounding.js';
import { rheFast } from '../../simulator/execute/round-fast.js';

describe('rheFast', () => {
  it('equals rhe on arbitrary doubles', () => {
    fc.assert(
      fc.property(fc.double(), (x) => Object.is(rheFast(x), rhe(x))),
      { numRuns: 20000 },
    );
  });

  it('equals rhe on ties, near-ties and integers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.constantFrom(
          0,
          0.5,
          -0.5,
          0.49999999999999994,
          -0.49999999999999994,
          0.5000000000000001,
        ),
        (n, f) => Object.is(rheFast(n + f), rhe(n + f)),
      ),
      { numRuns: 20000 },
    );
    for (const x of [
      0.5,
      -0.5,
      1.5,
      -1.5,
      2.5,
      -2.5,
      -0,
      2 ** 52 + 1,
      -(2 ** 53),
      Infinity,
      -Infinity,
    ])
      expect(Object.is(rheFast(x), rhe(x))).toBe(true);
    expect(rheFast(NaN)).toBeNaN();
  });
});
