// Error of the I-BERT kernels against float math: the paper's approximation error plus bounds derived per kernel.

import { describe, expect, it } from 'vitest';
import {
  expPoly,
  geluFloat,
  geluPoly,
  gridError,
  iExpError,
  iGeluError,
  iLayerNormError,
  int8GeluError,
  int8LayerNormError,
  int8SoftmaxError,
} from '../../reference/ibert/accuracy.js';
import { paramsForIGelu } from '../../reference/ibert/i-gelu.js';
import type { QuantInfo } from '../../reference/ibert/int8-io.js';
import { paramsForInt8IGelu } from '../../reference/ibert/int8-kernels.js';

const q = (scale: number, zeroPoint: number): QuantInfo => ({
  scale: Math.fround(scale),
  zeroPoint,
  dtype: 'int8',
});
const modes = ['fixed', 'float'] as const;

// I-BERT (Kim et al., ICML 2021), Table 1: i-GELU's L∞ distance from GELU on [−4, 4] is 0.018 (L2 0.0082).
const PAPER_GELU_LINF = 0.018;
const polyGelu = gridError(geluPoly, geluFloat, -4, 4, 1e-4);
// the exp polynomial's own error on (−ln2, 0]; it is the relative error bound ε·exp(x) after the 2^−z shift
const polyExp = gridError(expPoly, Math.exp, -0.6931, 0, 1e-6);

describe('the float approximations (no quantization)', () => {
  it('GELU polynomial: L∞ on [−4, 4] matches the paper', () => {
    expect(Math.abs(polyGelu.max - PAPER_GELU_LINF)).toBeLessThan(0.0005);
  });
  it('exp polynomial: L∞ on (−ln2, 0] is below 2e−3', () => {
    expect(polyExp.max).toBeGreaterThan(0.0018);
    expect(polyExp.max).toBeLessThan(0.002);
  });
});

describe('int32 kernels on every code of the range', () => {
  it.each([2e-4, 1e-3])('i-GELU at S = %f: the polynomial error plus 4 erf units', (S) => {
    // the erf result y and the constant `one` are floored to units of |erf.scale|: GELU = x/2·(erf + 1) moves by
    // at most |x|/2·2 units = 4 units on [−4, 4]; ⌊b/S'⌋ and ⌊c/S'²⌋ move it by O(S)
    const unit = Math.abs(paramsForIGelu(S).erf.scale);
    const e = iGeluError(S, 4);
    expect(e.max).toBeLessThanOrEqual(polyGelu.max + 4 * unit + 2 * S);
    // every code of the range is tested, so the polynomial's worst point is (nearly) hit
    expect(e.max).toBeGreaterThanOrEqual(polyGelu.max - 2 * S);
  });
  it('i-GELU degrades at coarse scales (the fixed 2^14 shift leaves few bits): why int8 inputs are widened', () => {
    expect(iGeluError(1e-2, 4).max).toBeGreaterThan(0.1);
  });
  it.each([1e-4, 1e-3, 1e-2])('i-exp at S = %f on [−8, 0]: the polynomial error plus O(S)', (S) => {
    // ⌊−0.6931/S⌋·S is −ln2 to within S + 5e−5, costing z·2^−z·(S + 5e−5) <= (S + 5e−5)/2; ⌊(b/a)/S⌋ costs
    // <= a·ln2·S; the output floor costs one unit of scale (< S² here)
    const e = iExpError(S, 8);
    expect(e.max).toBeLessThanOrEqual(polyExp.max + 0.5 * (S + 5e-5) + 0.3 * S + S * S);
  });
  it.each([16, 256, 4096])(
    'i-LayerNorm, dim 768, σ = %i codes: the mean rounding dominates',
    (sigma) => {
      // |Δ| <= 0.5/σ (integer mean) + |y/σ|·(1/std + std/2^31) with std ≈ σ·√768 and |y/σ| <= 5
      const std = sigma * Math.sqrt(768);
      const bound = (0.5 / sigma) * 1.15 + 5 * (1 / std + std / 2 ** 31);
      expect(iLayerNormError(768, 64, sigma, `ln${sigma}`).max).toBeLessThanOrEqual(bound);
    },
  );
});

describe('int8 wrappers (both requantization modes)', () => {
  it.each(modes)('i-GELU (%s): kernel error plus half an output step', (mode) => {
    const x = q(4 / 127, 0);
    const y = q(4.2 / 255, -118);
    const unit = Math.abs(paramsForInt8IGelu(x, y, mode).kernel.erf.scale);
    const e = int8GeluError(x, y, mode);
    expect(e.kernel.max).toBeLessThanOrEqual(polyGelu.max + 4 * unit + 0.51 * y.scale);
    expect(e.ideal.max).toBeLessThanOrEqual(0.5 * y.scale + 1e-12);
  });
  it.each(modes)('i-Softmax (%s): 2^−b floor, exp error and output rounding', (mode) => {
    const x = q(0.1, 0);
    const y = q(1 / 256, -128);
    // p̂ − p ≈ p·(δ_i − δ̄) with |δ| <= ε = polyExp.max/0.5 (relative error of exp), so |Δ| <= 2ε·p(1−p) <= ε/2
    const eps = polyExp.max / 0.5;
    const b8 = int8SoftmaxError(x, y, mode, 8, 128, 64, 'sm');
    const b16 = int8SoftmaxError(x, y, mode, 16, 128, 64, 'sm');
    // output_bits 8 with y = 1/256: the output is the kernel's ⌊·⌋ directly (multiplier exactly 1)
    expect(b8.kernel.max).toBeLessThanOrEqual(2 ** -8 + eps / 2 + 2 ** -15);
    // output_bits 16: a 2^−16 floor, then rounding to 1/256
    expect(b16.kernel.max).toBeLessThanOrEqual(0.5 * y.scale + 2 ** -16 + eps / 2 + 2 ** -15);
    expect(b16.kernel.mean).toBeLessThan(b8.kernel.mean);
  });
  it.each(modes)('i-LayerNorm (%s): half an output step plus the kernel error', (mode) => {
    const x = q(0.05, 3);
    const y = q(6 / 127, 0);
    const e = int8LayerNormError(x, y, mode, 768, 16, 'ln');
    // σ = 24 codes widened by 2^9: kernel error ~ 0.5/(24·512)·|γ| + |β|-free; far below one output step
    expect(e.kernel.max).toBeLessThanOrEqual(0.5 * y.scale + 2e-3);
  });
});
