// The growing histogram equals a direct histogram of every value on its final grid, however the batches arrive.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../quantizer/calibrate/histogram.js';

// no values near the subnormal range: there v / w itself underflows, and the direct histogram below would be wrong
const value = fc
  .double({ min: -1e4, max: 1e4, noNaN: true, noDefaultInfinity: true })
  .filter((v) => v === 0 || Math.abs(v) > 1e-200);

describe('Histogram', () => {
  it('growth and pairwise merging keep every count in the bin of its value', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(value, { maxLength: 40 }), { minLength: 1, maxLength: 6 }),
        fc.boolean(),
        (batches, abs) => {
          const h = new Histogram(16);
          for (const b of batches) h.add(Float64Array.from(b), abs);
          const all = batches.flat().map((v) => (abs ? Math.abs(v) : v));
          expect(h.total).toBe(all.length);
          if (h.width === 0) {
            expect(all.every((v) => v === 0)).toBe(true);
            return;
          }
          expect(h.counts.length).toBeLessThanOrEqual(2 * 16 + 2);
          const direct = new Float64Array(h.counts.length);
          for (const v of all) direct[Math.floor(v / h.width) - h.k0]++;
          expect(Array.from(h.counts)).toEqual(Array.from(direct));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits into exact one-sided histograms of the positive values and of |negative values|', () => {
    const h = new Histogram(8);
    h.add([-4, -3.9, -1, -0.25, 0, 0, 0.5, 2, 4]);
    expect(h.width).toBe(1);
    const pos = Array.from(h.positiveSide());
    const neg = Array.from(h.negativeSide());
    // bins [0,1) [1,2) [2,3) [3,4) [4,5): 0, 0, 0.5 | 2 | 4
    expect(pos).toEqual([3, 0, 1, 0, 1]);
    // grid bins below 0 read as |x| in (0,1] (1,2] (2,3] (3,4]: -0.25, -1 | - | - | -3.9, -4
    expect(neg).toEqual([2, 0, 0, 2]);
  });

  it('a subnormal first range followed by large values merges at once (no endless pairwise merging)', () => {
    const h = new Histogram(2048);
    h.add([5e-324]);
    h.add([-3e-307]);
    h.add([1e300, -1.7e308]);
    h.add([1.79e308]);
    expect(h.total).toBe(5);
    expect(h.counts.length).toBeLessThanOrEqual(2 * 2048 + 2);
    expect(Number.isFinite(h.width)).toBe(true);
  });
});
