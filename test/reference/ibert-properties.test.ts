// Property tests of the I-BERT kernels: integer-only in int32 (check mode), exact helpers, softmax, exp, LayerNorm invariants.

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { ibertFrexp } from '../../reference/ibert/fixedpoint-mul.js';
import { floorDiv, mulRheShift, recordingCheck, rheDiv } from '../../reference/ibert/int-arith.js';
import type { QuantInfo } from '../../reference/ibert/int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
  runInt8ILayerNorm,
  runInt8ISoftmax,
} from '../../reference/ibert/int8-kernels.js';
import { iExp, iExpParts, paramsForIExp } from '../../reference/ibert/i-exp.js';
import { paramsForIGelu, runIGelu } from '../../reference/ibert/i-gelu.js';
import { paramsForILayerNorm, runILayerNorm } from '../../reference/ibert/i-layernorm.js';
import { paramsForISoftmax, runISoftmax } from '../../reference/ibert/i-softmax.js';
import { iSqrt } from '../../reference/ibert/i-sqrt.js';
import { qtypeArb, scaleArb, seedArb, zpArb } from '../helpers/arbitraries.js';

const modeArb = fc.constantFrom('fixed' as const, 'float' as const);
const quantArb = (lo: number, hi: number): fc.Arbitrary<QuantInfo> =>
  qtypeArb.chain((dtype) =>
    fc.record({ scale: scaleArb(lo, hi), zeroPoint: zpArb(dtype), dtype: fc.constant(dtype) }),
  );
/** Two quantizations of the same dtype (the ops keep the input dtype). */
const ioArb = (lo: number, hi: number): fc.Arbitrary<[QuantInfo, QuantInfo]> =>
  quantArb(lo, hi).chain((x) =>
    fc.tuple(
      fc.constant(x),
      fc.record({
        scale: scaleArb(-10, 0),
        zeroPoint: zpArb(x.dtype),
        dtype: fc.constant(x.dtype),
      }),
    ),
  );
function randomCodes(x: QuantInfo, n: number, seed: number): Int8Array | Uint8Array {
  const rng = seedrandom(`ibert:${seed}`);
  const lo = x.dtype === 'int8' ? -128 : 0;
  const out = x.dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rng() * 256);
  return out;
}
const exactSqrt = (n: bigint): bigint => {
  let x = 0n;
  for (let b = 1n << 32n; b > 0n; b >>= 1n) if ((x + b) * (x + b) <= n) x += b;
  return x;
};

describe('integer-only: every intermediate is an integer within its declared width', () => {
  it('int8 i-GELU, every input code, random scales (2^-12 .. 2^2)', () => {
    fc.assert(
      fc.property(ioArb(-12, 2), modeArb, ([x, y], mode) => {
        const rc = recordingCheck();
        runInt8IGelu(allCodes(x), paramsForInt8IGelu(x, y, mode), rc.check);
        expect(rc.violations).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });
  it('int8 i-Softmax, random rows and output bits', () => {
    fc.assert(
      fc.property(
        ioArb(-14, 4),
        modeArb,
        fc.integer({ min: 1, max: 48 }),
        fc.integer({ min: 1, max: 30 }),
        seedArb,
        ([x, y], mode, len, bits, seed) => {
          const rc = recordingCheck();
          const p = paramsForInt8ISoftmax(x, y, mode, bits);
          runInt8ISoftmax(randomCodes(x, len * 3, seed), len, p, rc.check);
          expect(rc.violations).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
  it('int8 i-LayerNorm, random rows, gamma and beta', () => {
    fc.assert(
      fc.property(
        ioArb(-12, 2),
        modeArb,
        fc.integer({ min: 1, max: 96 }),
        seedArb,
        ([x, y], mode, dim, seed) => {
          const rng = seedrandom(`g:${seed}`);
          const gamma = Float32Array.from(
            { length: dim },
            () => (rng() < 0.5 ? -1 : 1) * (0.05 + 2 * rng()),
          );
          const beta = Float32Array.from({ length: dim }, () => 4 * rng() - 2);
          const rc = recordingCheck();
          const p = paramsForInt8ILayerNorm(x, y, mode, gamma, beta);
          runInt8ILayerNorm(randomCodes(x, dim * 3, seed), p, rc.check);
          expect(rc.violations).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });
  it('int32 i-GELU up to maxAbsInput and int32 i-LayerNorm rows up to 2^24', () => {
    fc.assert(
      fc.property(scaleArb(-12, 2), fc.integer({ min: 2, max: 64 }), seedArb, (S, dim, seed) => {
        const rc = recordingCheck();
        const g = paramsForIGelu(S);
        const m = g.maxAbsInput;
        runIGelu(Int32Array.from([-m, -1, 0, 1, m, Math.floor(m / 3)]), g, rc.check);
        const rng = seedrandom(`ln:${seed}`);
        const big = 2 ** Math.floor(rng() * 24);
        const row = Int32Array.from({ length: dim }, () => Math.round((rng() - 0.5) * big));
        const p = paramsForILayerNorm(dim, new Float64Array(dim).fill(1), new Float64Array(dim));
        runILayerNorm(row, p, rc.check);
        expect(rc.violations).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});

function allCodes(x: QuantInfo): Int8Array | Uint8Array {
  return x.dtype === 'int8'
    ? Int8Array.from({ length: 256 }, (_, i) => i - 128)
    : Uint8Array.from({ length: 256 }, (_, i) => i);
}

describe('exact integer helpers', () => {
  const big = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
  const divisor = fc.integer({ min: -(2 ** 20), max: 2 ** 20 }).filter((b) => b !== 0);
  it('floorDiv and rheDiv agree with BigInt arithmetic', () => {
    fc.assert(
      fc.property(big, divisor, (a, b) => {
        const A = BigInt(a);
        const B = BigInt(b);
        let q = A / B; // truncates
        if (A % B !== 0n && A < 0n !== B < 0n) q -= 1n;
        expect(floorDiv(a, b)).toBe(Number(q));
        if (b > 0) {
          // half to even on exact rationals: compare 2·remainder with b
          const f = q;
          const twice = 2n * (A - f * B);
          const want = twice > B || (twice === B && f % 2n !== 0n) ? f + 1n : f;
          expect(rheDiv(a, b)).toBe(Number(want));
        }
      }),
    );
  });
  it('mulRheShift rounds the exact product half to even', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 70 }),
        (a, m, s) => {
          const p = BigInt(a) * BigInt(m);
          const den = 1n << BigInt(s);
          // round(p / den) half to even via floor((2p + den) / 2den) with the tie fixed to even
          const fl = (x: bigint, d: bigint): bigint => (x >= 0n ? x / d : -((-x + d - 1n) / d));
          let r = fl(2n * p + den, 2n * den);
          if ((2n * p + den) % (2n * den) === 0n && r % 2n !== 0n) r -= 1n;
          expect(mulRheShift(a, m, s)).toBe(Number(r));
        },
      ),
    );
  });
  it('iSqrt is ⌊√n⌋ for every n < 2^32 tried, including squares and their neighbours', () => {
    const n = fc.oneof(
      fc.integer({ min: 0, max: 2 ** 32 - 1 }),
      fc
        .integer({ min: 0, max: 65535 })
        .chain((k) => fc.constantFrom(k * k, Math.max(k * k - 1, 0), k * k + 1)),
    );
    fc.assert(
      fc.property(n, (v) => {
        expect(iSqrt(v)).toBe(Number(exactSqrt(BigInt(v))));
      }),
      { numRuns: 2000 },
    );
  });
  it('ibertFrexp: m in [2^30, 2^31), m / 2^shift within 2^-31 relative of the real multiplier', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-30, max: 1e6, noNaN: true }), (r) => {
        const { m, shift } = ibertFrexp(r);
        expect(m).toBeGreaterThanOrEqual(2 ** 30);
        expect(m).toBeLessThan(2 ** 31);
        expect(Math.abs(m / 2 ** shift - r) / r).toBeLessThanOrEqual(2 ** -31);
      }),
    );
  });
});

describe('invariants', () => {
  it('i-Softmax: outputs in [0, 2^b], row sums in (2^b − len·(1 + 2^(b−17)), 2^b]', () => {
    fc.assert(
      fc.property(
        scaleArb(-14, 0),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 30 }),
        seedArb,
        (S, len, bits, seed) => {
          const rng = seedrandom(`sm:${seed}`);
          const spread = 2 ** Math.floor(rng() * 20);
          const row = Int32Array.from({ length: len }, () => Math.round((rng() - 0.5) * spread));
          const out = runISoftmax(row, len, paramsForISoftmax(S, bits));
          const sum = out.reduce((a, b) => a + b, 0);
          // Σ⌊e_i·f/2^(32−b)⌋ <= Σe·⌊2^32/Σe⌋/2^(32−b) <= 2^b; each floor loses < 1 and ⌊2^32/Σe⌋ loses
          // < Σe/2^32 of the total, Σe <= len·2^15
          expect(sum).toBeLessThanOrEqual(2 ** bits);
          expect(sum).toBeGreaterThan(2 ** bits - len * (1 + 2 ** (bits - 17)));
          for (const v of out) expect(v >= 0 && v <= 2 ** bits).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
  it('i-exp is monotone: every code of 31 ln2-periods, and random pairs', () => {
    fc.assert(
      fc.property(scaleArb(-10, -1), (S) => {
        const p = paramsForIExp(S);
        let prev = -1;
        let prevValue = -1;
        for (let q = 31 * p.x0Int; q <= 0; q++) {
          const e = iExp(q, p);
          expect(e).toBeGreaterThanOrEqual(prev);
          // the exact value p·2^-z (before the output shift) is monotone too
          const parts = iExpParts(q, p);
          const value = parts.p * 2 ** -parts.z;
          expect(value).toBeGreaterThanOrEqual(prevValue);
          prev = e;
          prevValue = value;
        }
      }),
      { numRuns: 25 },
    );
    fc.assert(
      fc.property(
        scaleArb(-14, 0),
        fc.integer({ min: -(2 ** 30), max: 0 }),
        fc.integer({ min: -(2 ** 30), max: 0 }),
        (S, a, b) => {
          const p = paramsForIExp(S);
          expect(iExp(Math.min(a, b), p)).toBeLessThanOrEqual(iExp(Math.max(a, b), p));
        },
      ),
      { numRuns: 500 },
    );
  });
  it('i-LayerNorm (γ = 1, β = 0): mean ≈ 0 up to the integer mean, mean square ≈ 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 256 }), seedArb, (dim, seed) => {
        const rng = seedrandom(`lnm:${seed}`);
        const sigma = 2 ** (rng() * 14);
        const offset = Math.round((rng() - 0.5) * 2 ** 20);
        const row = Int32Array.from(
          { length: dim },
          () => offset + Math.round((rng() - 0.5) * sigma * 3.4),
        );
        const mu = row.reduce((a, b) => a + b, 0) / dim;
        const sd = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / dim);
        fc.pre(sd >= 1);
        const p = paramsForILayerNorm(dim, new Float64Array(dim).fill(1), new Float64Array(dim));
        const out = Array.from(runILayerNorm(row, p), (v) => v * p.normScale);
        // y = x − RHE(mean) has ||y||² = d·sd² + d·(rounding)² in [d·sd², d·sd² + d/4]; the kernel's std is
        // ⌊√Σ⌊y/2^s⌋²⌋·2^s, where the shift s keeps Σ⌊y/2^s⌋² >= 2^29, so it is within ||y||·√d·2^-13 + 1
        const yLo = sd * Math.sqrt(dim);
        const yHi = Math.sqrt(dim * sd * sd + dim / 4);
        const stdLo = yLo * (1 - Math.sqrt(dim) * 2 ** -13) - 1;
        const stdHi = yHi * (1 + Math.sqrt(dim) * 2 ** -13);
        // out_i ≈ y_i·√d/std: the mean of y is the mean's rounding (<= 1/2 code); each floor adds < 1 code
        const mean = out.reduce((a, b) => a + b, 0) / dim;
        expect(Math.abs(mean)).toBeLessThanOrEqual((0.5 * Math.sqrt(dim)) / stdLo + p.normScale);
        // mean square = ||y||²/std², with f = ⌊(2^31 − 1)/std⌋ losing < std/2^31 relative
        const ms = out.reduce((a, b) => a + b * b, 0) / dim;
        expect(ms).toBeLessThanOrEqual((yHi / stdLo) ** 2 + 1e-9);
        expect(ms).toBeGreaterThanOrEqual(
          (yLo / stdHi) ** 2 * (1 - stdHi * 2 ** -29) - 4 * p.normScale,
        );
      }),
      { numRuns: 200 },
    );
  });
});
