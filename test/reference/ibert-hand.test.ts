// Hand-computed cases of the I-BERT integer kernels: every expected integer is derived in the comments.

import { describe, expect, it } from 'vitest';
import { fixedpointMul, ibertFrexp } from '../../reference/ibert/fixedpoint-mul.js';
import { iExp, paramsForIExp } from '../../reference/ibert/i-exp.js';
import { iGelu, paramsForIGelu } from '../../reference/ibert/i-gelu.js';
import { paramsForILayerNorm, runILayerNorm } from '../../reference/ibert/i-layernorm.js';
import { paramsForISoftmax, runISoftmax } from '../../reference/ibert/i-softmax.js';
import { iSqrt } from '../../reference/ibert/i-sqrt.js';

describe('i-GELU by hand', () => {
  // S = 1.4142/256 makes the erf input scale S' = S/1.4142 = 2^-8 exactly (x·2^-8 / x is exact in IEEE).
  //   bInt = ⌊−1.769·256⌋ = ⌊−452.864⌋ = −453,  clip = 453
  //   cInt = ⌊(1/−0.2888)·2^16⌋ = ⌊−226925.2078⌋ = −226926
  //   erf scale = 2^-16·(−0.2888)·2^14 = −0.0722,  one = ⌊1/−0.0722⌋ = ⌊−13.8504⌋ = −14
  const p = paramsForIGelu(1.4142 / 256);
  it('derives the constants', () => {
    expect(p.erf.poly.bInt).toBe(-453);
    expect(p.erf.clip).toBe(453);
    expect(p.erf.poly.cInt).toBe(-226926);
    expect(p.erf.scale).toBeCloseTo(-0.0722, 15);
    expect(p.one).toBe(-14);
    expect(p.scale).toBeCloseTo((1.4142 / 256) * -0.0361, 15);
  });
  it('q = 256 (x = 1.4142, erf input 1.0)', () => {
    // (256 − 453)² = 38809; 38809 − 226926 = −188117; ⌊−188117 / 16384⌋ = ⌊−11.48⌋ = −12
    // out = 256·(−12 − 14) = −6656
    expect(iGelu(256, p)).toBe(-6656);
  });
  it('q = −256: the sign flips before the floor', () => {
    // y = +188117, ⌊188117 / 16384⌋ = 11, out = −256·(11 − 14) = 768
    expect(iGelu(-256, p)).toBe(768);
  });
  it('q = 1000 is clipped at 453 and q = 0 gives 0', () => {
    // (453 − 453)² − 226926 = −226926, ⌊−226926 / 16384⌋ = ⌊−13.85⌋ = −14, out = 1000·(−14 − 14) = −28000
    expect(iGelu(1000, p)).toBe(-28000);
    expect(iGelu(0, p)).toBe(0);
  });
});

describe('i-exp by hand', () => {
  // S = 2^-10: x0Int = ⌊−0.6931·1024⌋ = ⌊−709.73⌋ = −710
  //   bInt = ⌊(0.96963238/0.35815147)·1024⌋ = ⌊2772.30⌋ = 2772
  //   cInt = ⌊(1/0.35815147)·2^20⌋ = ⌊2927744.51⌋ = 2927744
  //   outShift: 2927744·2^9 = 1499004928 <= 2^31 − 1 < 2927744·2^10, so 9
  const p = paramsForIExp(2 ** -10);
  it('derives the constants', () => {
    expect([p.x0Int, p.poly.bInt, p.poly.cInt, p.outShift, p.minInput]).toEqual([
      -710, 2772, 2927744, 9, -21300,
    ]);
  });
  it('evaluates the decomposition', () => {
    // q = 0: z = 0, r = 0, p = cInt; out = 2927744·2^9
    expect(iExp(0, p)).toBe(1499004928);
    // q = −710: z = 1, r = 0; out = 2927744·2^8 (exactly half)
    expect(iExp(-710, p)).toBe(749502464);
    // q = −355: z = 0, r = −355; p = −355·(−355 + 2772) + 2927744 = −858035 + 2927744 = 2069709; out = p·2^9
    expect(iExp(-355, p)).toBe(2069709 * 512);
    // q = −21305 < 30·x0Int = −21300 is clamped: z = 30, r = 0; out = ⌊2927744 / 2^21⌋ = 1
    expect(iExp(-21305, p)).toBe(1);
  });
});

describe('i-Softmax by hand', () => {
  it('a tie gives 127 + 127 out of 256 (I-BERT floors twice)', () => {
    // Both exponentials are the row maximum: e = RHE(cInt·2^30 · 32767/(cInt·2^30)) = 32767 (the multiplier is
    // 31-bit exact to 2^-31 relative, far below the 0.5 rounding margin).
    // sum = 65534, f = ⌊2^32 / 65534⌋ = 65538 (65534·65538 = 4294967292 <= 2^32)
    // out = ⌊32767·65538 / 2^24⌋ = ⌊2147483646 / 16777216⌋ = 127
    const out = runISoftmax(Int32Array.from([5, 5]), 2, paramsForISoftmax(0.01));
    expect(Array.from(out)).toEqual([127, 127]);
  });
  it('a dominant element gets 255, not 256', () => {
    // S = 1e-3: x0Int = ⌊−693.1⌋ = −694; −100000 is clamped to 30·(−694): z = 30, e = RHE(32767·2^-30) = 0
    // sum = 32767, f = ⌊2^32 / 32767⌋ = 131076, out = ⌊32767·131076 / 2^24⌋ = ⌊255.9999998⌋ = 255
    const out = runISoftmax(Int32Array.from([0, -100000]), 2, paramsForISoftmax(1e-3));
    expect(Array.from(out)).toEqual([255, 0]);
  });
});

describe('i-LayerNorm by hand', () => {
  it('[1, 2, 3, 4]: the mean 2.5 rounds half to even', () => {
    // mean = RHE(10/4) = 2, y = [−1, 0, 1, 2], Σy² = 6 < 2^31 (shift 0), std = iSqrt(6) = 2
    // f = ⌊(2^31 − 1)/2⌋ = 1073741823, out = ⌊y·f/2⌋ = [⌊−536870911.5⌋, 0, ⌊536870911.5⌋, 1073741823]
    // normScale = √4 / 2^30 = 2^-29; β_0 = 0.5 gives biasInt_0 = ⌊0.5 / 2^-29⌋ = 2^28
    const p = paramsForILayerNorm(4, [1, 1, 1, 1], [0.5, 0, 0, 0]);
    expect(p.normScale).toBe(2 ** -29);
    expect(p.headroom).toBe(0);
    const out = runILayerNorm(Int32Array.from([1, 2, 3, 4]), p);
    expect(Array.from(out)).toEqual([-536870912 + 2 ** 28, 0, 536870911, 1073741823]);
  });
  it('[−40000, 40000]: the variance needs a shift of 1', () => {
    // Σy² = 3.2e9 >= 2^31; shift 1: 20000² + 20000² = 8e8 < 2^31; iSqrt(8e8) = 28284 (28284² = 799984656,
    // 28285² = 800041225); std = 56568; f = ⌊2147483647 / 56568⌋ = 37962; out = ±⌊40000·37962 / 2⌋ = ±759240000
    const p = paramsForILayerNorm(2, [1, 1], [0, 0]);
    const out = runILayerNorm(Int32Array.from([-40000, 40000]), p);
    expect(Array.from(out)).toEqual([-759240000, 759240000]);
  });
});

describe('i-sqrt and fixed-point multipliers by hand', () => {
  it('Newton from 2^⌈bits/2⌉', () => {
    // 15: bits 4, x = 4 → ⌊(4 + 3)/2⌋ = 3 → ⌊(3 + 5)/2⌋ = 4 >= 3: return 3
    // 16: bits 5, x = 8 → 5 → 4 → ⌊(4 + 4)/2⌋ = 4 >= 4: return 4
    expect([0, 1, 15, 16, 2 ** 32 - 1].map((n) => iSqrt(n))).toEqual([0, 1, 3, 4, 65535]);
  });
  it('frexp, half-up mantissa and the 2^31 fix-up', () => {
    // 0.75 = 0.75·2^0: m = 0.75·2^31 = 1610612736, shift = 31 − 0
    expect(ibertFrexp(0.75)).toEqual({ m: 1610612736, shift: 31 });
    // 1 − 2^-40: q·2^31 = 2^31 − 2^-9 rounds up to 2^31, returned as 2^30 with shift 30
    expect(ibertFrexp(1 - 2 ** -40)).toEqual({ m: 2 ** 30, shift: 30 });
  });
  it('fixedpoint_mul rounds half to even and clamps', () => {
    const half = { m: 2 ** 30, shift: 31 }; // 0.5
    // 3·0.5 = 1.5 → 2, 5·0.5 = 2.5 → 2, −3·0.5 = −1.5 → −2; 70000·0.5 = 35000 → clamp 32767 (16 bits)
    expect([3, 5, -3, 70000].map((z) => fixedpointMul(z, half, 16))).toEqual([2, 2, -2, 32767]);
  });
});
