// vec.pool vs the reference MaxPool, QLinearAveragePool and QLinearGlobalAveragePool.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { quantizeMultiplier } from '../../reference/quant/gemmlowp.js';
import { Q_RANGE } from '../../reference/quant/requant.js';
import { qtypeArb, randomIntTensor, scaleArb, seedArb } from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import { runOp } from '../reference/float-kernel-harness.js';
import { run, vals } from '../reference/quant-harness.js';
import { hwWith } from './program-builder.js';
import { f, MODES, PRESETS, q, runVector, zpOf } from './vector-harness.js';

describe.each(PRESETS)('vec.pool on %s', (preset) => {
  const poolCase = fc
    .record({
      kind: fc.constantFrom('max', 'avg', 'gavg'),
      type: qtypeArb,
      c: fc.integer({ min: 1, max: 4 }),
      h: fc.integer({ min: 1, max: 7 }),
      w: fc.integer({ min: 1, max: 7 }),
      kH: fc.integer({ min: 1, max: 3 }),
      kW: fc.integer({ min: 1, max: 3 }),
      sH: fc.integer({ min: 1, max: 2 }),
      sW: fc.integer({ min: 1, max: 2 }),
      pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
      countPad: fc.boolean(),
      sx: scaleArb(-8, -2),
      syFactor: fc.double({ min: -1, max: 1, noNaN: true }),
      zps: fc.tuple(fc.nat(255), fc.nat(255)),
      seed: seedArb,
    })
    .filter(
      (c) =>
        c.pads[0] < c.kH &&
        c.pads[2] < c.kH &&
        c.pads[1] < c.kW &&
        c.pads[3] < c.kW &&
        c.h + c.pads[0] + c.pads[2] >= c.kH &&
        c.w + c.pads[1] + c.pads[3] >= c.kW,
    );

  test.each(MODES)(
    'vec.pool bit-exact against MaxPool / QLinearAveragePool / QLinearGlobalAveragePool, requant %s',
    (mode) => {
      const hw = hwWith(preset, { requant: mode });
      fc.assert(
        fc.property(poolCase, (c) => {
          const x = randomIntTensor(c.type, [1, c.c, c.h, c.w], c.seed);
          const zx = zpOf(c.type, c.zps[0]);
          // fixed-mode average pooling is TFLite's raw average: input and output share their parameters
          const same = mode === 'fixed' && c.kind === 'avg';
          const zy = same ? zx : zpOf(c.type, c.zps[1]);
          const sy = same ? c.sx : Math.fround(c.sx * 2 ** c.syFactor);
          const pads = c.kind === 'gavg' ? [0, 0, 0, 0] : c.pads;
          const win = {
            kernel_shape: A.ints([c.kH, c.kW]),
            strides: A.ints([c.sH, c.sW]),
            pads: A.ints(pads),
          };
          const ref =
            c.kind === 'max'
              ? runOp('MaxPool', [x], { attrs: win })[0]
              : c.kind === 'avg'
                ? run(
                    'QLinearAveragePool',
                    [x, f(c.sx), q(c.type, zx), f(sy), q(c.type, zy)],
                    mode,
                    { ...win, count_include_pad: A.int(c.countPad ? 1 : 0) },
                  )[0]
                : run(
                    'QLinearGlobalAveragePool',
                    [x, f(c.sx), q(c.type, zx), f(sy), q(c.type, zy)],
                    mode,
                  )[0];
          const size = c.h * c.w;
          const qm = quantizeMultiplier(c.sx / (sy * size));
          const [lo, hi] = Q_RANGE[c.type];
          const got = runVector(
            hw,
            [{ t: x }],
            [],
            { shape: ref.shape, dtype: c.type },
            { scaleA: c.sx, scaleOut: sy, multOut: qm.multiplier, shiftOut: qm.shift },
            {
              typeA: c.type,
              typeOut: c.type,
              zpA: zx,
              zpOut: c.kind === 'max' ? zx : zy,
              clipLo: lo,
              clipHi: hi,
              countPad: c.countPad ? 1 : 0,
            },
            (b, [xA], _, outAddr) => {
              b.emit('vec.pool', {
                kind: c.kind,
                inAddr: xA,
                outAddr,
                c: c.c,
                h: c.h,
                w: c.w,
                kH: c.kH,
                kW: c.kW,
                strideH: c.sH,
                strideW: c.sW,
                padT: pads[0],
                padL: pads[1],
                padB: pads[2],
                padR: pads[3],
                wait: 0b111,
                signal: 0b1000,
              });
            },
          );
          expect(got).toEqual(vals(ref));
        }),
        { numRuns: 40 },
      );
    },
  );
});
