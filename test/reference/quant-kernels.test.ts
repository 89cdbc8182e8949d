// Unit tests of the quantized kernels' formulas, layouts and parameter handling (values computed by hand).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { buildUnaryLut, leakyRelu, lutIndex } from '../../reference/quant/lut.js';
import { A } from '../helpers/model-builder.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { f, run, s, t, vals } from './quant-harness.js';

describe('QuantizeLinear / DequantizeLinear', () => {
  it('ties to even, saturation, default uint8 output', () => {
    // x / 0.5 = [0.5, 1.5, 2.5, -0.5, 1000, -3] -> RHE [0, 2, 2, -0, 1000, -3] + 10 -> clamp [0, 255]
    const y = run(
      'QuantizeLinear',
      [t('float32', [6], [0.25, 0.75, 1.25, -0.25, 500, -1.5]), f(0.5)],
      'float',
    )[0];
    expect(y.dtype).toBe('uint8');
    expect(vals(y)).toEqual([0, 2, 2, 0, 255, 0]);
    const z = run(
      'QuantizeLinear',
      [t('float32', [6], [0.25, 0.75, 1.25, -0.25, 500, -1.5]), f(0.5), s('int8', 10)],
      'fixed',
    )[0];
    expect(vals(z)).toEqual([10, 12, 12, 10, 127, 7]);
  });
  it('divides in float32 (not multiply by the reciprocal)', () => {
    // 1.55f / 0.1f = 15.499999 -> 15, but 1.55f * fround(1 / 0.1f) = 15.5 -> 16 (RHE); same for 2.35f: 23 vs 24
    const y = run(
      'QuantizeLinear',
      [t('float32', [2], [1.55, 2.35]), f(0.1), s('int8', 0)],
      'float',
    )[0];
    expect(vals(y)).toEqual([15, 23]);
  });
  it('per-axis', () => {
    const x = t('float32', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const pa = run(
      'QuantizeLinear',
      [x, t('float32', [2], [1, 2]), t('int8', [2], [0, 1])],
      'float',
      { axis: A.int(0) },
    )[0];
    // row 1: [5, 6, 7, 8] / 2 = [2.5, 3, 3.5, 4] -> RHE [2, 3, 4, 4] + 1
    expect(vals(pa)).toEqual([1, 2, 3, 4, 3, 4, 5, 5]);
  });
  it('blocked (opset 21): scale [2, 2] for x [2, 4] along axis 1 with block 2', () => {
    const x = t('float32', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]);
    const y = run(
      'QuantizeLinear',
      [x, t('float32', [2, 2], [1, 2, 4, 8]), t('int8', [2, 2], [0, 0, 0, 0])],
      'float',
      {
        axis: A.int(1),
        block_size: A.int(2),
      },
    )[0];
    // [1/1, 2/1, 3/2, 4/2, 5/4, 6/4, 7/8, 8/8] -> RHE [1, 2, 2, 2, 1, 2, 1, 1]
    expect(vals(y)).toEqual([1, 2, 2, 2, 1, 2, 1, 1]);
  });
  it('output_dtype attribute (opset 21) without zero point', () => {
    const y = run('QuantizeLinear', [t('float32', [2], [-300, 300]), f(1)], 'float', {
      output_dtype: A.int(3),
    })[0];
    expect(y.dtype).toBe('int8');
    expect(vals(y)).toEqual([-128, 127]);
    const z = run('QuantizeLinear', [t('float32', [2], [-40000, 300]), f(1)], 'float', {
      output_dtype: A.int(5),
    })[0];
    expect(z.dtype).toBe('int16');
    expect(vals(z)).toEqual([-32768, 300]);
  });
  it('dequantize: fround(fround(x - zp) * scale), int32 and per-axis', () => {
    const y = run(
      'DequantizeLinear',
      [t('int32', [2], [2 ** 30 + 1, -5]), f(0.5), s('int32', -1)],
      'float',
    )[0];
    // 2^30 + 2 -> float32 2^30 (spacing 128) -> * 0.5 = 2^29
    expect(vals(y)).toEqual([2 ** 29, -2]);
    const z = run(
      'DequantizeLinear',
      [t('uint8', [2, 2], [10, 20, 30, 40]), t('float32', [2], [0.5, 2]), t('uint8', [2], [10, 0])],
      'float',
      { axis: A.int(1) },
    )[0];
    expect(vals(z)).toEqual([0, 40, 10, 80]);
  });
  it('DynamicQuantizeLinear follows the spec formula', () => {
    const [y, sc, zp] = run('DynamicQuantizeLinear', [t('float32', [4], [-1, 0, 2, 3])], 'float');
    const scale = Math.fround(Math.fround(3 - -1) / 255);
    expect(vals(sc)).toEqual([scale]);
    // zp = RHE(0 - (-1/scale)) = RHE(63.75) = 64
    expect(vals(zp)).toEqual([64]);
    expect(vals(y)).toEqual([0, 64, 64 + Math.round(Math.fround(2 / scale)), 255]);
  });
});

describe('integer-only ops', () => {
  it('MatMulInteger with per-row a_zp and per-column b_zp', () => {
    // A = [[1, 2], [3, 4]] - [1, 2] per row = [[0, 1], [1, 2]]; B = [[1, 0], [0, 1]] - [0, 1] per col = [[1, -1], [0, 0]]
    const y = run(
      'MatMulInteger',
      [
        t('uint8', [2, 2], [1, 2, 3, 4]),
        t('uint8', [2, 2], [1, 0, 0, 1]),
        t('uint8', [2], [1, 2]),
        t('uint8', [2], [0, 1]),
      ],
      'float',
    )[0];
    expect(y.dtype).toBe('int32');
    expect(vals(y)).toEqual([0, 0, 1, -1]);
  });
  it('MatMulInteger broadcasting: [2, 1, 2, 3] x [3, 3, 1] -> [2, 3, 2, 1]', () => {
    const a = randomIntTensor('int8', [2, 1, 2, 3], 1);
    const b = randomIntTensor('int8', [3, 3, 1], 2);
    const y = run('MatMulInteger', [a, b], 'float')[0];
    expect(y.shape).toEqual([2, 3, 2, 1]);
    const ad = vals(a);
    const bd = vals(b);
    const exp: number[] = [];
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++)
        for (let r = 0; r < 2; r++) {
          let acc = 0;
          for (let k = 0; k < 3; k++) acc += ad[i * 6 + r * 3 + k] * bd[j * 3 + k];
          exp.push(acc);
        }
    expect(vals(y)).toEqual(exp);
  });
  it('ConvInteger: padded taps contribute 0 after the zero point', () => {
    // x = [5, 6] (uint8, zp 5) -> [0, 1]; w = [1, 1, 1] (zp 0); pads 1: outputs [0+1, 0+0+1... ] = [x-1 + x0 + x1 ...]
    const y = run(
      'ConvInteger',
      [t('uint8', [1, 1, 2], [5, 6]), t('uint8', [1, 1, 3], [1, 1, 1]), s('uint8', 5)],
      'float',
      { pads: A.ints([1, 1]) },
    )[0];
    expect(vals(y)).toEqual([1, 1]);
  });
  it('int32 accumulation wraps', () => {
    // 2 taps of 127 * 127 plus bias 2^31 - 1 - 100: 32258 + (2^31 - 101) wraps negative
    const m = 2 ** 31 - 101;
    const y = run(
      'QLinearConv',
      [
        t('int8', [1, 1, 2], [127, 127]),
        f(1),
        s('int8', 0),
        t('int8', [1, 1, 2], [127, 127]),
        f(1),
        s('int8', 0),
        f(1),
        s('int8', 0),
        t('int32', [1], [m]),
      ],
      'float',
    )[0];
    expect(vals(y)).toEqual([-128]);
  });
});

describe('QGemm', () => {
  it('transA, alpha in the multiplier, broadcast C', () => {
    // A^T = [[1, 2]] (1x2), B = [[1], [1]] -> acc 3, + C 1 = 4; m = fround(fround(fround(1*1)*0.5)/1) = 0.5 -> 2
    const y = run(
      'QGemm',
      [
        t('int8', [2, 1], [1, 2]),
        f(1),
        s('int8', 0),
        t('int8', [2, 1], [1, 1]),
        f(1),
        s('int8', 0),
        t('int32', [1], [1]),
        f(1),
        s('int8', 0),
      ],
      'float',
      { transA: A.int(1), alpha: A.float(0.5) },
    )[0];
    expect(vals(y)).toEqual([2]);
  });
});

describe('lookup tables', () => {
  it('buildUnaryLut equals Q(f(DQ(v))) for every code', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'int8' | 'uint8'>('int8', 'uint8'),
        fc.integer({ min: -20, max: 20 }),
        fc.integer({ min: -10, max: 10 }),
        (inT, zx, zy) => {
          const sx = Math.fround(0.037);
          const sy = Math.fround(0.021);
          const lut = buildUnaryLut(leakyRelu(0.01), sx, zx, inT, sy, zy, 'int8');
          for (let v = inT === 'int8' ? -128 : 0, n = 0; n < 256; v++, n++) {
            const x = Math.fround(Math.fround(v - zx) * sx);
            const fx = x >= 0 ? x : Math.fround(Math.fround(0.01) * x);
            const q = Math.fround(fx / sy);
            const r = Math.fround(q + 12582912) - 12582912; // RHE, |q| < 2^22 here
            expect(lut[lutIndex(v, inT)]).toBe(Math.min(127, Math.max(-128, r + zy)));
          }
        },
      ),
      { numRuns: 30 },
    );
  });
  it('QLinearSigmoid is the same in both modes', () => {
    const x = randomIntTensor('int8', [64], 5);
    const inputs = [x, f(0.1), s('int8', 3), f(1 / 256), s('int8', -128)];
    expect(vals(run('QLinearSigmoid', inputs, 'fixed')[0])).toEqual(
      vals(run('QLinearSigmoid', inputs, 'float')[0]),
    );
  });
  it('QLinearConcat copies matching inputs and requantizes the others', () => {
    // input 2: DQ(4 - 2) * 0.5 = 1 -> Q(1 / 0.25) + 1 = 5
    const y = run(
      'QLinearConcat',
      [
        f(0.25),
        s('int8', 1),
        t('int8', [1, 2], [7, -9]),
        f(0.25),
        s('int8', 1),
        t('int8', [1, 1], [4]),
        f(0.5),
        s('int8', 2),
      ],
      'fixed',
      { axis: A.int(1) },
    )[0];
    expect(y.shape).toEqual([1, 3]);
    expect(vals(y)).toEqual([7, -9, 5]);
  });
});

describe('pools', () => {
  it('channels_last equals channels-first on transposed data', () => {
    const x = randomIntTensor('uint8', [1, 3, 4, 5], 9);
    const xl = t(
      'uint8',
      [1, 4, 5, 3],
      Array.from({ length: 60 }, (_, i) => vals(x)[(i % 3) * 20 + Math.floor(i / 3)]),
    );
    for (const mode of ['fixed', 'float'] as const) {
      const a = run(
        'QLinearGlobalAveragePool',
        [x, f(0.1), s('uint8', 100), f(0.05), s('uint8', 90)],
        mode,
      )[0];
      const b = run(
        'QLinearGlobalAveragePool',
        [xl, f(0.1), s('uint8', 100), f(0.05), s('uint8', 90)],
        mode,
        { channels_last: A.int(1) },
      )[0];
      expect(b.shape).toEqual([1, 1, 1, 3]);
      expect(vals(b)).toEqual(vals(a));
      const pa = run(
        'QLinearAveragePool',
        [x, f(0.1), s('uint8', 100), f(0.05), s('uint8', 90)],
        mode,
        { kernel_shape: A.ints([2, 2]) },
      )[0];
      const pb = run(
        'QLinearAveragePool',
        [xl, f(0.1), s('uint8', 100), f(0.05), s('uint8', 90)],
        mode,
        { kernel_shape: A.ints([2, 2]), channels_last: A.int(1) },
      )[0];
      expect(pb.shape).toEqual([1, 3, 4, 3]);
      const pav = vals(pa);
      expect(vals(pb)).toEqual(
        Array.from({ length: 36 }, (_, i) => pav[(i % 3) * 12 + Math.floor(i / 3)]),
      );
    }
  });
  it('fixed QLinearAveragePool with different scales uses MBQM per count', () => {
    // window [1, 2] over [10, 13] (zp 0): sum 23, count 2; m = 1 / (2 * 2) = 0.25 -> (2^30, -1):
    // SRDHM(23, 2^30) = RHU(11.5) = 12; RDBPOT(12, 1) = 6  (exact 5.75)
    const y = run(
      'QLinearAveragePool',
      [t('int8', [1, 1, 1, 2], [10, 13]), f(1), s('int8', 0), f(2), s('int8', 0)],
      'fixed',
      { kernel_shape: A.ints([1, 2]) },
    )[0];
    expect(vals(y)).toEqual([6]);
  });
});

describe('errors are NpuError', () => {
  it('wrong dtype', () => {
    expect(() =>
      run(
        'QLinearMatMul',
        [
          t('float32', [1, 1], [1]),
          f(1),
          s('int8', 0),
          t('int8', [1, 1], [1]),
          f(1),
          s('int8', 0),
          f(1),
          s('int8', 0),
        ],
        'float',
      ),
    ).toThrow(NpuError);
  });
  it('bad per-channel length', () => {
    expect(() =>
      run(
        'QLinearConv',
        [
          t('int8', [1, 1, 1], [1]),
          f(1),
          s('int8', 0),
          t('int8', [2, 1, 1], [1, 1]),
          t('float32', [3], [1, 1, 1]),
          s('int8', 0),
          f(1),
          s('int8', 0),
        ],
        'float',
      ),
    ).toThrow(NpuError);
  });
});
