// fixed (TFLite / gemmlowp) requantization against hand-computed cases, with the arithmetic written out.

import { describe, expect, it } from 'vitest';
import { A } from '../helpers/model-builder.js';
import { f, run, s, t, vals } from './quant-harness.js';

describe('QLinearConv 1x1, fixed mode vs float mode on ties', () => {
  // x_scale 0.5, w_scale 0.25, y_scale 0.5: m = 0.5 * 0.25 / 0.5 = 0.25 = 0.5 * 2^-1 -> (M = 2^30, shift = -1).
  // w = 1, zero points 0 except y_zp = 10, so acc = x.
  //   acc  6: SRDHM(6, 2^30)  = RHU(3)    =  3; RDBPOT(3, 1)  = RHAZ(1.5)  =  2  -> 12   (float: RHE(1.5)  =  2 -> 12)
  //   acc -6: SRDHM(-6, 2^30) = RHU(-3)   = -3; RDBPOT(-3, 1) = RHAZ(-1.5) = -2  ->  8   (float: RHE(-1.5) = -2 ->  8)
  //   acc -2: SRDHM(-2, 2^30) = RHU(-1)   = -1; RDBPOT(-1, 1) = RHAZ(-0.5) = -1  ->  9   (float: RHE(-0.5) =  0 -> 10)
  //   acc  3: SRDHM(3, 2^30)  = RHU(1.5)  =  2; RDBPOT(2, 1)  = 1                ->  11  (float: RHE(0.75) =  1 -> 11)
  //   acc  2: SRDHM(2, 2^30)  = 1;              RDBPOT(1, 1)  = RHAZ(0.5)  =  1  ->  11  (float: RHE(0.5)  =  0 -> 10)
  //   acc 10: SRDHM = 5; RDBPOT(5, 1) = RHAZ(2.5) = 3 -> 13                            (float: RHE(2.5)  =  2 -> 12)
  const x = t('int8', [1, 1, 1, 6], [6, -6, -2, 3, 2, 10]);
  const inputs = [
    x,
    f(0.5),
    s('int8', 0),
    t('int8', [1, 1, 1, 1], [1]),
    f(0.25),
    s('int8', 0),
    f(0.5),
    s('int8', 10),
  ];
  it('fixed', () => {
    expect(vals(run('QLinearConv', inputs, 'fixed')[0])).toEqual([12, 8, 9, 11, 11, 13]);
  });
  it('float', () => {
    expect(vals(run('QLinearConv', inputs, 'float')[0])).toEqual([12, 8, 10, 11, 10, 12]);
  });
});

describe('QLinearConv, shift 0: the only rounding is SRDHM (half up, also for negatives)', () => {
  // m = 0.5 * 0.5 / 0.5 = 0.5 -> (2^30, shift 0): y = RHU(acc / 2).
  // x - x_zp with x_zp = 1: x = [4, -2, -4] -> [3, -3, -5]; w = 1.
  //   3 -> RHU(1.5) = 2; -3 -> RHU(-1.5) = -1; -5 -> RHU(-2.5) = -2.   y_zp = -1 -> [1, -2, -3]
  //   float: RHE(1.5) = 2, RHE(-1.5) = -2, RHE(-2.5) = -2 -> [1, -3, -3]
  const inputs = [
    t('int8', [1, 1, 3], [4, -2, -4]),
    f(0.5),
    s('int8', 1),
    t('int8', [1, 1, 1], [1]),
    f(0.5),
    s('int8', 0),
    f(0.5),
    s('int8', -1),
  ];
  it('fixed', () => {
    expect(vals(run('QLinearConv', inputs, 'fixed')[0])).toEqual([1, -2, -3]);
  });
  it('float', () => {
    expect(vals(run('QLinearConv', inputs, 'float')[0])).toEqual([1, -3, -3]);
  });
});

describe('QLinearConv with bias, per-channel scales and saturation (fixed)', () => {
  // x = [2] (uint8, zp 0), two output channels w = [3, -3], bias = [100, -7].
  // ch0: acc = 6 + 100 = 106; m0 = 1 * 0.5 / 4 = 0.125 -> (2^30, -2): SRDHM(106, 2^30) = 53; RDBPOT(53, 2) = RHAZ(13.25) = 13
  //      + y_zp 128 = 141
  // ch1: acc = -6 - 7 = -13; m1 = 1 * 2 / 4 = 0.5 -> (2^30, 0): SRDHM(-13, 2^30) = RHU(-6.5) = -6 -> 122
  it('per channel', () => {
    const y = run(
      'QLinearConv',
      [
        t('uint8', [1, 1, 1, 1], [2]),
        f(1),
        s('uint8', 0),
        t('int8', [2, 1, 1, 1], [3, -3]),
        t('float32', [2], [0.5, 2]),
        t('int8', [2], [0, 0]),
        f(4),
        s('uint8', 128),
        t('int32', [2], [100, -7]),
      ],
      'fixed',
    )[0];
    expect(y.dtype).toBe('uint8');
    expect(vals(y)).toEqual([141, 122]);
  });
  it('saturates at the dtype range', () => {
    // m = 1 * 1 / 0.25 = 4 = 0.5 * 2^3 -> (2^30, 3): 50 * 8 = 400; SRDHM(400, 2^30) = 200 -> int8 127; -50 -> -128
    const y = run(
      'QLinearConv',
      [
        t('int8', [1, 1, 2], [50, -50]),
        f(1),
        s('int8', 0),
        t('int8', [1, 1, 1], [1]),
        f(1),
        s('int8', 0),
        f(0.25),
        s('int8', 0),
      ],
      'fixed',
    )[0];
    expect(vals(y)).toEqual([127, -128]);
  });
});

describe('QLinearMul fixed (TFLite MUL)', () => {
  // sA = sB = 0.5, sC = 0.25: m = 0.25 / 0.25 = 1 -> (2^30, 1). (a - zA)(b - zB) = p;
  // MBQM(p, 2^30, 1) = SRDHM(2p, 2^30) = p exactly. a = [3, -3], b = [5, 5] -> p = [15, -15] -> + zC 2 = [17, -13]
  // p = 3 * 5 with m = 0.1: handled by the property tests; here the exact case.
  it('exact product', () => {
    const y = run(
      'QLinearMul',
      [
        t('int8', [2], [3, -3]),
        f(0.5),
        s('int8', 0),
        t('int8', [2], [5, 5]),
        f(0.5),
        s('int8', 0),
        f(0.25),
        s('int8', 2),
      ],
      'fixed',
    )[0];
    expect(vals(y)).toEqual([17, -13]);
  });
  it('negative tie rounds away from zero', () => {
    // sA = sB = 0.5, sC = 1: m = 0.25 -> (2^30, -1). p = -2: SRDHM(-2, 2^30) = -1; RDBPOT(-1, 1) = RHAZ(-0.5) = -1.
    // float: ratio 0.25, RHE(-0.5) = 0.
    const inputs = [
      t('int8', [1], [-1]),
      f(0.5),
      s('int8', 0),
      t('int8', [1], [2]),
      f(0.5),
      s('int8', 0),
      f(1),
      s('int8', 0),
    ];
    expect(vals(run('QLinearMul', inputs, 'fixed')[0])).toEqual([-1]);
    expect(vals(run('QLinearMul', inputs, 'float')[0])).toEqual([0]);
  });
});

describe('QLinearAdd fixed (TFLite ADD)', () => {
  // sA = 0.5, sB = 0.25, sC = 0.5. twice_max = 1; real1 = 0.5 -> (2^30, 0); real2 = 0.25 -> (2^30, -1);
  // real_out = 1 / (2^20 * 0.5) = 2^-19 -> frexp (0.5, -18) -> (2^30, -18).
  // a = 3, b = -5 (zps 0): a<<20 = 3145728; SRDHM(3145728, 2^30) = 1572864; shift 0 -> 1572864
  //                        b<<20 = -5242880; SRDHM(., 2^30) = -2621440; RDBPOT(-2621440, 1) = -1310720
  // sum = 262144; SRDHM(262144, 2^30) = 131072; RDBPOT(131072, 18) = 0.5 -> RHAZ = 1.  Real: 1.5 - 1.25 = 0.25 / 0.5 = 0.5.
  // float: rA = 1, rB = 0.5: 3 - 2.5 = 0.5 -> RHE = 0.
  const inputs = [
    t('int8', [1], [3]),
    f(0.5),
    s('int8', 0),
    t('int8', [1], [-5]),
    f(0.25),
    s('int8', 0),
    f(0.5),
    s('int8', 0),
  ];
  it('fixed', () => {
    expect(vals(run('QLinearAdd', inputs, 'fixed')[0])).toEqual([1]);
  });
  it('float', () => {
    expect(vals(run('QLinearAdd', inputs, 'float')[0])).toEqual([0]);
  });
  it('negative: a = -3, b = 5 -> -0.5 -> fixed -1 (RHAZ), float 0 (RHE)', () => {
    const neg = [
      t('int8', [1], [-3]),
      ...inputs.slice(1, 3),
      t('int8', [1], [5]),
      ...inputs.slice(4),
    ];
    expect(vals(run('QLinearAdd', neg, 'fixed')[0])).toEqual([-1]);
    expect(vals(run('QLinearAdd', neg, 'float')[0])).toEqual([0]);
  });
});

describe('QLinearGlobalAveragePool fixed', () => {
  // 2x2 window, x - zp = [1, 2, 2, 0] -> sum 5; m = 1 / (1 * 4) = 0.25 -> (2^30, -1):
  // SRDHM(5, 2^30) = RHU(2.5) = 3; RDBPOT(3, 1) = RHAZ(1.5) = 2 (double rounding; exact 1.25).  float: RHE(1.25) = 1.
  const inputs = [t('int8', [1, 1, 2, 2], [1, 2, 2, 0]), f(1), s('int8', 0), f(1), s('int8', 0)];
  it('fixed', () => {
    expect(vals(run('QLinearGlobalAveragePool', inputs, 'fixed')[0])).toEqual([2]);
  });
  it('float', () => {
    expect(vals(run('QLinearGlobalAveragePool', inputs, 'float')[0])).toEqual([1]);
  });
});

describe('QLinearAveragePool fixed, raw averaging (equal scale and zp)', () => {
  // raw codes [-3, -2] with zp 5: sum -5, count 2 -> (-5 - 1) / 2 = -3 (C truncation) -> -3 (RHAZ of -2.5)
  // raw codes [3, 2]: (5 + 1) / 2 = 3.
  // float: dequantize (x - 5) * 1: -8, -7 -> -7.5 -> /1 + 5 = -2.5 -> RHE -2;  [-2,-3] -> -2.5 + 5... see below
  const x = t('int8', [1, 1, 1, 4], [-3, -2, 3, 2]);
  const attrs = { kernel_shape: A.ints([1, 2]), strides: A.ints([1, 2]) };
  it('fixed', () => {
    const y = run(
      'QLinearAveragePool',
      [x, f(1), s('int8', 5), f(1), s('int8', 5)],
      'fixed',
      attrs,
    )[0];
    expect(vals(y)).toEqual([-3, 3]);
  });
  it('float: (-8 + -7) / 2 = -7.5 -> -7.5 + 5 = -2.5 -> RHE -2; (-2 + -3)/2 = -2.5 + 5 = 2.5 -> 2', () => {
    const y = run(
      'QLinearAveragePool',
      [x, f(1), s('int8', 5), f(1), s('int8', 5)],
      'float',
      attrs,
    )[0];
    expect(vals(y)).toEqual([-2, 2]);
  });
});

describe('QLinearMatMul fixed, per-column b scale', () => {
  // a = [[2, -2]], b = [[1, 3], [0, 1]] -> acc = [2*1 + -2*0, 2*3 + -2*1] = [2, 4]; scales a 1, y 1.
  // col 0: m = 0.25 -> (2^30, -1): SRDHM(2, 2^30) = 1; RDBPOT(1, 1) = RHAZ(0.5) = 1.      float: RHE(0.5) = 0
  // col 1: m = 0.375 = 0.75 * 2^-1 -> (1610612736, -1): SRDHM(4, 1610612736) = 3 (4 * 0.75, exact);
  //        RDBPOT(3, 1) = RHAZ(1.5) = 2.                                                     float: RHE(1.5) = 2
  const inputs = [
    t('int8', [1, 2], [2, -2]),
    f(1),
    s('int8', 0),
    t('int8', [2, 2], [1, 3, 0, 1]),
    t('float32', [2], [0.25, 0.375]),
    t('int8', [2], [0, 0]),
    f(1),
    s('int8', 0),
  ];
  it('fixed', () => {
    expect(vals(run('QLinearMatMul', inputs, 'fixed')[0])).toEqual([1, 2]);
  });
  it('float', () => {
    expect(vals(run('QLinearMatMul', inputs, 'float')[0])).toEqual([0, 2]);
  });
});

describe('QGemm fixed: alpha is part of the real multiplier', () => {
  // A = [[-3]], B = [[1]], all scales 1, alpha 0.5: m = 0.5 -> (2^30, 0): SRDHM(-3, 2^30) = RHU(-1.5) = -1.
  // float: m = fround(fround(1 * 1) * 0.5) / 1 = 0.5; RHE(-1.5) = -2.
  const inputs = [
    t('int8', [1, 1], [-3]),
    f(1),
    s('int8', 0),
    t('int8', [1, 1], [1]),
    f(1),
    s('int8', 0),
    undefined,
    f(1),
    s('int8', 0),
  ];
  const attrs = { alpha: A.float(0.5) };
  it('fixed', () => {
    expect(vals(run('QGemm', inputs, 'fixed', attrs)[0])).toEqual([-1]);
  });
  it('float', () => {
    expect(vals(run('QGemm', inputs, 'float', attrs)[0])).toEqual([-2]);
  });
});
