// Property tests of the quantized kernels against naive re-implementations written independently here.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import type { RequantMode } from '../../reference/kernel.js';
import { makeScaleRequantizer } from '../../reference/quant/requant.js';
import { A } from '../helpers/model-builder.js';
import {
  type ConvGeometry,
  convGeometryArb,
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
  zpArb,
} from '../helpers/arbitraries.js';
import { f, run, s, t, vals } from './quant-harness.js';

const wrap = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** Requantization written straight from the formulas with BigInt (fixed) and Math.fround (float). */
function naiveRequant(mode: RequantMode, acc: number, xs: number, ws: number, ys: number): number {
  if (mode === 'float') {
    const m = Math.fround(Math.fround(xs * ws) / ys);
    const v = Math.fround(Math.fround(acc) * m);
    const fl = Math.floor(v);
    const d = v - fl;
    return d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
  }
  const real = (xs * ws) / ys;
  if (real === 0) return 0;
  let e = Math.floor(Math.log2(real)) + 1;
  while (real / 2 ** e >= 1) e++;
  while (real / 2 ** e < 0.5) e--;
  let q = Math.round(real * 2 ** (31 - e)); // real > 0, so Math.round (half up) = half away from zero
  if (q === 2 ** 31) {
    q /= 2;
    e++;
  }
  if (e < -31) return 0;
  const left = BigInt(Math.max(e, 0));
  const right = BigInt(Math.max(-e, 0));
  const x = BigInt(wrap(BigInt(acc) << left));
  const M = BigInt(q);
  let hi: bigint;
  if (x === -(2n ** 31n) && M === -(2n ** 31n)) hi = 2n ** 31n - 1n;
  else {
    const ab = x * M;
    hi = (ab + (ab >= 0n ? 2n ** 30n : 1n - 2n ** 30n)) / 2n ** 31n; // BigInt / truncates like C
  }
  if (right === 0n) return Number(hi);
  // divide by 2^right rounding half away from zero, on exact rationals
  const den = 2n ** right;
  const abs = hi < 0n ? -hi : hi;
  const r = (2n * abs + den) / (2n * den);
  return Number(hi < 0n ? -r : r);
}

/** The simplest possible grouped 2-D conv, NCHW, explicit loops; SAME pads recomputed here from the spec. */
function naiveConv(
  g: ConvGeometry,
  x: Tensor,
  xZp: number,
  w: Tensor,
  wZp: number[],
): { acc: number[]; shape: number[] } {
  const [H, W] = g.spatial;
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilations;
  let [pt, pl, pb, pr] = g.pads;
  if (g.autoPad === 'SAME_UPPER' || g.autoPad === 'SAME_LOWER') {
    const need = (d: number, k: number, st: number, dl: number): number =>
      Math.max(0, (Math.ceil(d / st) - 1) * st + (k - 1) * dl + 1 - d);
    const nh = need(H, kh, sh, dh);
    const nw = need(W, kw, sw, dw);
    const lower = g.autoPad === 'SAME_LOWER';
    pt = lower ? Math.ceil(nh / 2) : Math.floor(nh / 2);
    pb = nh - pt;
    pl = lower ? Math.ceil(nw / 2) : Math.floor(nw / 2);
    pr = nw - pl;
  }
  const OH = Math.floor((H + pt + pb - (kh - 1) * dh - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - (kw - 1) * dw - 1) / sw) + 1;
  const cg = g.cIn / g.group;
  const mg = g.cOut / g.group;
  const acc: number[] = [];
  const xv = (n: number, c: number, i: number, j: number): number =>
    i < 0 || i >= H || j < 0 || j >= W
      ? xZp
      : (x.data[((n * g.cIn + c) * H + i) * W + j] as number);
  for (let n = 0; n < g.n; n++)
    for (let m = 0; m < g.cOut; m++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let a = 0n;
          const grp = Math.floor(m / mg);
          for (let c = 0; c < cg; c++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const xi = xv(n, grp * cg + c, oh * sh - pt + i * dh, ow * sw - pl + j * dw) - xZp;
                const wi =
                  (w.data[((m * cg + c) * kh + i) * kw + j] as number) -
                  wZp[wZp.length === 1 ? 0 : m];
                a += BigInt(xi * wi);
              }
          acc.push(wrap(a));
        }
  return { acc, shape: [g.n, g.cOut, OH, OW] };
}

function convAttrs(g: ConvGeometry): Record<string, ReturnType<typeof A.ints>> {
  const a: Record<string, ReturnType<typeof A.ints>> = {
    strides: A.ints(g.strides),
    dilations: A.ints(g.dilations),
    group: A.int(g.group),
  };
  if (g.autoPad === 'NOTSET') a.pads = A.ints(g.pads);
  else a.auto_pad = A.string(g.autoPad);
  return a;
}

describe('QLinearConv equals a naive integer conv + formula requant', () => {
  for (const mode of ['fixed', 'float'] as const) {
    it(mode, () => {
      fc.assert(
        fc.property(
          convGeometryArb,
          qtypeArb,
          seedArb,
          scaleArb(-8, -4),
          fc.boolean(),
          fc.integer({ min: -3000, max: 3000 }),
          (g, xType, seed, ys, perChannel, biasBase) => {
            const cg = g.cIn / g.group;
            const x = randomIntTensor(xType, [g.n, g.cIn, ...g.spatial], seed);
            const w = randomIntTensor('int8', [g.cOut, cg, ...g.kernel], seed + 1);
            const xZp = (seed % 256) - (xType === 'int8' ? 128 : 0);
            const ws = Array.from({ length: perChannel ? g.cOut : 1 }, (_, i) =>
              Math.fround(2 ** -(6 + ((seed + i) % 5)) * (1 + i / 7)),
            );
            const wZp = perChannel
              ? Array.from({ length: g.cOut }, (_, i) => (((seed >> 3) + i) % 7) - 3)
              : [(seed % 5) - 2];
            const bias = Array.from({ length: g.cOut }, (_, i) => biasBase * (i + 1));
            const xs = Math.fround(0.02);
            const yZp = xType === 'int8' ? 3 : 131;
            const y = run(
              'QLinearConv',
              [
                x,
                f(xs),
                s(xType, xZp),
                w,
                t('float32', [ws.length], ws),
                t('int8', [wZp.length], wZp),
                f(ys),
                s(xType, yZp),
                t('int32', [g.cOut], bias),
              ],
              mode,
              convAttrs(g),
            )[0];
            const { acc, shape } = naiveConv(g, x, xZp, w, wZp);
            expect(y.shape).toEqual(shape);
            const plane = shape[2] * shape[3];
            const [lo, hi] = xType === 'int8' ? [-128, 127] : [0, 255];
            const expected = acc.map((a, i) => {
              const m = Math.floor(i / plane) % g.cOut;
              const r = naiveRequant(mode, (a + bias[m]) | 0, xs, ws[ws.length === 1 ? 0 : m], ys);
              return Math.min(hi, Math.max(lo, r + yZp));
            });
            expect(vals(y)).toEqual(expected);
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});

describe('float mode on a 1x1 conv equals the formula', () => {
  it('single tap: y = sat(RHE(fround(fround(x*w - ...) * fround(fround(xs*ws)/ys))) + zp)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -128, max: 127 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        scaleArb(-10, 0),
        scaleArb(-10, 0),
        scaleArb(-10, 0),
        zpArb('int8'),
        (xv, wv, b, xs, ws, ys, zp) => {
          const y = run(
            'QLinearConv',
            [
              t('int8', [1, 1, 1, 1], [xv]),
              f(xs),
              s('int8', 0),
              t('int8', [1, 1, 1, 1], [wv]),
              f(ws),
              s('int8', 0),
              f(ys),
              s('int8', zp),
              t('int32', [1], [b]),
            ],
            'float',
          )[0];
          const acc = (xv * wv + b) | 0;
          const v = Math.fround(Math.fround(acc) * Math.fround(Math.fround(xs * ws) / ys));
          // RHE via the float32 magic-bias trick (as MLAS does it): fround(v + 1.5*2^23) - 1.5*2^23, |v| < 2^22.
          // The output saturates anyway, so clamping v to ±1000 first changes nothing.
          const vc = Math.min(1000, Math.max(-1000, v));
          const r = Math.fround(vc + 12582912) - 12582912;
          expect(vals(y)[0]).toBe(Math.min(127, Math.max(-128, r + zp)));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('requantization', () => {
  it('is monotone in acc (both modes)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<RequantMode>('fixed', 'float'),
        fc.double({ min: 1e-6, max: 4, noNaN: true }).map(Math.fround),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 2 }),
        fc.integer({ min: 1, max: 1000 }),
        (mode, w, a, d) => {
          const r = makeScaleRequantizer(mode, { x: 1, w: [w], y: 1 });
          const b = Math.min(2 ** 31 - 1, a + d);
          expect(r(a, 0)).toBeLessThanOrEqual(r(b, 0));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('fixed and float differ by at most 1 LSB when the multiplier < 1 (rate printed)', () => {
    let differ = 0;
    let total = 0;
    fc.assert(
      fc.property(
        scaleArb(-12, 0),
        scaleArb(-8, 0),
        scaleArb(-8, 0),
        fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
        (xs, ws, ys, acc) => {
          const m = (xs * ws) / ys;
          fc.pre(m < 1);
          const a = makeScaleRequantizer('fixed', { x: xs, w: [ws], y: ys })(acc, 0);
          const b = makeScaleRequantizer('float', { x: xs, w: [ws], y: ys })(acc, 0);
          total++;
          if (a !== b) differ++;
          expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 20000 },
    );
    console.log(
      `fixed vs float requant: ${differ}/${total} differ by 1 LSB (${((100 * differ) / total).toFixed(3)}%)`,
    );
    expect(total).toBeGreaterThan(1000);
  });

  it('float mode rounds fround(acc) for |acc| > 2^24', () => {
    // 2^25 + 2 is a tie between 2^25 and 2^25 + 4 as float32: even mantissa -> 2^25; * 0.5 = 2^24 (exact: 2^24 + 1)
    const r = makeScaleRequantizer('float', { x: 1, w: [0.5], y: 1 });
    expect(r(2 ** 25 + 2, 0)).toBe(2 ** 24);
    expect(makeScaleRequantizer('fixed', { x: 1, w: [0.5], y: 1 })(2 ** 25 + 2, 0)).toBe(
      2 ** 24 + 1,
    );
  });
});
