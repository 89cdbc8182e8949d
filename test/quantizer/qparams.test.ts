// Scale / zero point, int8 weights and int32 biases: hand-computed cases and properties.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { activationParams, computeScaleZp } from '../../quantizer/quantize/qparams.js';
import { quantizeBias, quantizeWeight } from '../../quantizer/quantize/weights.js';

describe('computeScaleZp (onnxruntime quant_utils)', () => {
  it('asymmetric int8: range widened to contain 0, zp = RHE(-128 - rmin / scale)', () => {
    expect(computeScaleZp(0, 1, false)).toEqual({ scale: Math.fround(1 / 255), zeroPoint: -128 });
    expect(computeScaleZp(1, 2, false)).toEqual({ scale: Math.fround(2 / 255), zeroPoint: -128 });
    expect(computeScaleZp(-1, 0, false)).toEqual({ scale: Math.fround(1 / 255), zeroPoint: 127 });
    // scale 0.01, zp = -128 + 1 / 0.01 = -28
    const p = computeScaleZp(-1, 1.55, false);
    expect(p.scale).toBe(Math.fround(2.55 / 255));
    expect(p.zeroPoint).toBe(-28);
  });

  it('symmetric int8: [-a, a] over [-127, 127], zp 0; an empty range gives scale 1', () => {
    expect(computeScaleZp(-0.5, 2, true)).toEqual({ scale: Math.fround(4 / 254), zeroPoint: 0 });
    expect(computeScaleZp(0, 0, true)).toEqual({ scale: 1, zeroPoint: 0 });
    expect(computeScaleZp(0, 0, false)).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('activationParams: symmetric mode keeps a one-signed range [0, a] on all 256 levels', () => {
    expect(activationParams([0, 2.55], true)).toEqual({
      scale: Math.fround(0.01),
      zeroPoint: -128,
    });
    expect(activationParams([-1, 2], true)).toEqual({ scale: Math.fround(4 / 254), zeroPoint: 0 });
  });

  it('every range maps 0 to an integer code and both ends inside int8', () => {
    fc.assert(
      fc.property(
        fc.float({ min: -1e3, max: 1e3, noNaN: true }),
        fc.float({ min: -1e3, max: 1e3, noNaN: true }),
        fc.boolean(),
        (a, b, sym) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const p = computeScaleZp(lo, hi, sym);
          expect(p.zeroPoint).toBeGreaterThanOrEqual(-128);
          expect(p.zeroPoint).toBeLessThanOrEqual(127);
          expect(Number.isInteger(p.zeroPoint)).toBe(true);
          // lo and hi are representable within half a step (plus float32 slack)
          const slack = 0.5 * p.scale + 1e-6 * Math.max(Math.abs(lo), Math.abs(hi), 1);
          expect((-128 - p.zeroPoint) * p.scale).toBeLessThanOrEqual(Math.min(lo, 0) + slack);
          expect((127 - p.zeroPoint) * p.scale).toBeGreaterThanOrEqual(Math.max(hi, 0) - slack);
        },
      ),
    );
  });
});

describe('weights and bias', () => {
  it('per output channel: scale = max|w_c| / 127, values in [-127, 127]', () => {
    const w = tensor('float32', [2, 1, 1, 3], [1, -2, 0.5, 0, 0, 0]);
    const q = quantizeWeight(w, 0);
    expect(Array.from(q.scales)).toEqual([Math.fround(4 / 254), 1]);
    expect(Array.from(q.q.data)).toEqual([64, -127, 32, 0, 0, 0]); // 63.5 -> 64 (RHE), 31.75 -> 32
    const t = quantizeWeight(w, undefined);
    expect(Array.from(t.scales)).toEqual([Math.fround(4 / 254)]);
  });

  it('Gemm weights without transB are per column (axis 1)', () => {
    const w = tensor('float32', [2, 2], [1, 10, -1, 5]);
    const q = quantizeWeight(w, 1);
    expect(Array.from(q.scales)).toEqual([Math.fround(2 / 254), Math.fround(20 / 254)]);
    expect(Array.from(q.q.data)).toEqual([127, 127, -127, 64]);
  });

  it('widens the weight scale where the int32 bias would overflow, and then fits', () => {
    fc.assert(
      fc.property(
        fc.float({ min: Math.fround(1e-9), max: 1, noNaN: true }),
        fc.float({ min: Math.fround(1e-9), max: 1, noNaN: true }),
        fc.float({ min: -1e6, max: 1e6, noNaN: true }),
        (wmax, sIn, b) => {
          const w = tensor('float32', [1, 2], [wmax, -wmax / 3]);
          const qw = quantizeWeight(w, 0, { values: Float32Array.of(b), inputScale: sIn });
          const qb = quantizeBias(Float32Array.of(b), sIn, qw.scales, 1);
          const v = qb.q.data[0];
          expect(Math.abs(v)).toBeLessThan(2 ** 31 - 1);
          // the bias is represented to within half a step
          expect(Math.abs(v * qb.scales[0] - b)).toBeLessThanOrEqual(
            0.5 * qb.scales[0] * (1 + 1e-6) + 1e-3 * Math.abs(b) * 1e-3,
          );
          if (qw.widened === 0) expect(qw.scales[0]).toBe(Math.fround((2 * wmax) / 254));
        },
      ),
    );
  });
});
