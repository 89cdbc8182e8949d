// Float kernels: elementwise math, broadcasting, integer arithmetic, comparisons, Erf.

import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { NpuError } from '../../common/diagnostics.js';
import { broadcastOffsets, broadcastShapes } from '../../reference/ops/float/broadcast.js';
import { erf } from '../../reference/ops/float/erf.js';
import { f32, i64, plain, run1, t } from './float-kernel-harness.js';

const errId = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof NpuError) return `${e.id}@${e.location.node ?? ''}`;
    throw e;
  }
  return 'no error';
};

describe('broadcasting helpers', () => {
  test('numpy shapes', () => {
    expect(
      broadcastShapes([
        [2, 1, 3],
        [4, 1],
      ]),
    ).toEqual([2, 4, 3]);
    expect(broadcastShapes([[], [3]])).toEqual([3]);
    expect(
      broadcastShapes([
        [2, 3],
        [3, 2],
      ]),
    ).toBeUndefined();
  });
  test('offsets of a [2,1] input in a [2,3] result', () => {
    expect(Array.from(broadcastOffsets([2, 1], [2, 3]))).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(broadcastOffsets([3], [2, 3]))).toEqual([0, 1, 2, 0, 1, 2]);
  });
});

describe('arithmetic', () => {
  test('Add broadcasts a row and a column', () => {
    const y = run1('Add', [f32([2, 1], [10, 20]), f32([3], [1, 2, 3])]);
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [2, 3], values: [11, 12, 13, 21, 22, 23] });
  });
  test('float32 results are one correct rounding of the exact result', () => {
    const a = Math.fround(0.1);
    const b = Math.fround(0.2);
    expect(run1('Add', [f32([], [a]), f32([], [b])]).data[0]).toBe(Math.fround(a + b));
    expect(run1('Div', [f32([], [1]), f32([], [3])]).data[0]).toBe(Math.fround(1 / 3));
    expect(run1('Sqrt', [f32([], [2])]).data[0]).toBe(Math.fround(Math.SQRT2));
  });
  test('int64 Div truncates toward zero; int32 too', () => {
    expect(plain(run1('Div', [i64([-7, 7, -7]), i64([2, -2, -2])])).values).toEqual([-3, -3, 3]);
    expect(plain(run1('Div', [t('int32', [2], [-9, 9]), t('int32', [], [4])])).values).toEqual([
      -2, 2,
    ]);
  });
  test('int64 keeps values beyond 2^53', () => {
    const big = 2n ** 60n + 1n;
    const y = run1('Add', [
      { dtype: 'int64', shape: [], data: BigInt64Array.of(big) },
      i64([1], []),
    ]);
    expect(y.data[0]).toBe(big + 1n);
  });
  test('integer division by zero is a user error', () => {
    expect(errId(() => run1('Div', [i64([1]), i64([0])]))).toBe('unsupported@div_node');
  });
  test('Sub, Mul, Pow (float exponent on float base, int exponent allowed)', () => {
    expect(plain(run1('Sub', [f32([2], [5, 1]), f32([], [2])])).values).toEqual([3, -1]);
    expect(plain(run1('Mul', [t('int32', [2], [3, -4]), t('int32', [2], [5, 6])])).values).toEqual([
      15, -24,
    ]);
    expect(plain(run1('Pow', [f32([3], [2, 3, 4]), f32([], [2])])).values).toEqual([4, 9, 16]);
    expect(plain(run1('Pow', [f32([2], [2, 9]), i64([3, 0])])).values).toEqual([8, 1]);
  });
  test('variadic Min/Max broadcast', () => {
    const y = run1('Max', [f32([3], [1, 5, 3]), f32([], [2]), f32([1, 3], [0, 0, 4])]);
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [1, 3], values: [2, 5, 4] });
    expect(plain(run1('Min', [f32([2], [1, 5]), f32([2], [3, 2])])).values).toEqual([1, 2]);
  });
  test('shape and dtype errors name the node', () => {
    expect(errId(() => run1('Add', [f32([2], [1, 2]), f32([3], [1, 2, 3])]))).toBe(
      'shapeMismatch@add_node',
    );
    expect(errId(() => run1('Add', [f32([1], [1]), t('int32', [1], [1])]))).toBe(
      'wrongDType@add_node',
    );
    expect(errId(() => run1('Add', [f32([1], [1])]))).toBe('badInputCount@add_node');
    expect(errId(() => run1('Sqrt', [t('int32', [1], [4])]))).toBe('wrongDType@sqrt_node');
  });
});

describe('comparisons, Where, Not', () => {
  test('Equal/Less/Greater give bool with broadcasting', () => {
    const a = f32([3], [1, 2, 3]);
    const b = f32([], [2]);
    expect(plain(run1('Equal', [a, b]))).toEqual({ dtype: 'bool', shape: [3], values: [0, 1, 0] });
    expect(plain(run1('Less', [a, b])).values).toEqual([1, 0, 0]);
    expect(plain(run1('Greater', [a, b])).values).toEqual([0, 0, 1]);
    expect(plain(run1('Equal', [i64([5, 6]), i64([6], [])])).values).toEqual([0, 1]);
  });
  test('Where picks with a broadcast condition; Not flips', () => {
    const c = t('bool', [2, 1], [1, 0]);
    const y = run1('Where', [c, i64([1, 2]), i64([-1], [])]);
    expect(plain(y)).toEqual({ dtype: 'int64', shape: [2, 2], values: [1, 2, -1, -1] });
    expect(plain(run1('Not', [t('bool', [2], [1, 0])])).values).toEqual([0, 1]);
  });
});

describe('unary math', () => {
  test('Neg, Abs, Floor, Ceil, Reciprocal, Exp, Round (half to even)', () => {
    const x = f32([4], [-1.5, 0.5, 2.5, 3.25]);
    expect(plain(run1('Neg', [x])).values).toEqual([1.5, -0.5, -2.5, -3.25]);
    expect(plain(run1('Abs', [x])).values).toEqual([1.5, 0.5, 2.5, 3.25]);
    expect(plain(run1('Floor', [x])).values).toEqual([-2, 0, 2, 3]);
    expect(plain(run1('Ceil', [x])).values).toEqual([-1, 1, 3, 4]);
    expect(plain(run1('Round', [x])).values).toEqual([-2, 0, 2, 3]);
    expect(plain(run1('Reciprocal', [f32([2], [4, -0.5])])).values).toEqual([0.25, -2]);
    expect(run1('Exp', [f32([], [1])]).data[0]).toBe(Math.fround(Math.E));
    expect(plain(run1('Abs', [t('int8', [2], [-5, 7])]))).toEqual({
      dtype: 'int8',
      shape: [2],
      values: [5, 7],
    });
  });
  test('erf matches tabulated values to double precision', () => {
    // high-precision reference values; allow 2 ulp
    const ref: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
    ];
    for (const [x, e] of ref) {
      expect(Math.abs(erf(x) - e)).toBeLessThan(5e-16);
      expect(Math.abs(erf(-x) + e)).toBeLessThan(5e-16);
    }
    expect(erf(0)).toBe(0);
    expect(erf(10)).toBe(1);
  });
  test('erf is odd, monotone and bounded', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -8, max: 8, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (x, d) => {
          expect(erf(-x)).toBe(-erf(x));
          expect(erf(x + d)).toBeGreaterThanOrEqual(erf(x) - 1e-16);
          expect(Math.abs(erf(x))).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
