// vec.add and vec.mul vs the reference QLinearAdd / QLinearMul (elementwise, scalar and per-channel broadcast of B).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  quantizeMultiplier,
  quantizeMultiplierSmallerThanOneExp,
} from '../../reference/quant/gemmlowp.js';
import { Q_RANGE } from '../../reference/quant/requant.js';
import { qtypeArb, randomIntTensor, scaleArb, seedArb } from '../helpers/arbitraries.js';
import { run, vals } from '../reference/quant-harness.js';
import { hwWith } from './program-builder.js';
import { f, MODES, PRESETS, q, runVector, zpOf, type Fields } from './vector-harness.js';

const binaryCase = fc.record({
  op: fc.constantFrom('add', 'mul'),
  type: qtypeArb,
  outType: qtypeArb,
  c: fc.integer({ min: 1, max: 4 }),
  h: fc.integer({ min: 1, max: 5 }),
  w: fc.integer({ min: 1, max: 6 }),
  bMode: fc.constantFrom('elementwise', 'scalar', 'perrow'),
  sa: scaleArb(-8, -1),
  sb: scaleArb(-8, -1),
  scFactor: fc.double({ min: -3, max: 3, noNaN: true }),
  zps: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)),
  relu: fc.boolean(),
  seed: seedArb,
});

describe.each(PRESETS)('vector engine on %s', (preset) => {
  test.each(MODES)(
    'vec.add / vec.mul bit-exact against QLinearAdd / QLinearMul, requant %s',
    (mode) => {
      const hw = hwWith(preset, { requant: mode });
      fc.assert(
        fc.property(binaryCase, (c) => {
          const shape = [1, c.c, c.h, c.w];
          const bShape =
            c.bMode === 'elementwise' ? shape : c.bMode === 'scalar' ? [1] : [1, c.c, 1, 1];
          const a = randomIntTensor(c.type, shape, c.seed);
          const bt = randomIntTensor(c.type, bShape, c.seed + 1);
          const [za, zb] = [zpOf(c.type, c.zps[0]), zpOf(c.type, c.zps[1])];
          const zc = zpOf(c.outType, c.zps[2]);
          const base = c.op === 'add' ? Math.max(c.sa, c.sb) : c.sa * c.sb * 128;
          const sc = Math.fround(base * 2 ** c.scFactor);
          const opType = c.op === 'add' ? 'QLinearAdd' : 'QLinearMul';
          const ref = vals(
            run(
              opType,
              [a, f(c.sa), q(c.type, za), bt, f(c.sb), q(c.type, zb), f(sc), q(c.outType, zc)],
              mode,
            )[0],
          );
          const expected = c.relu ? ref.map((v) => Math.max(v, zc)) : ref;
          let scale: Fields<'vec.scale'>;
          if (mode === 'float')
            // the compiler folds 1/scaleOut into the input scales for add (ORT computes sA/sC and sB/sC)
            scale =
              c.op === 'add'
                ? { scaleA: Math.fround(c.sa / sc), scaleB: Math.fround(c.sb / sc), scaleOut: 1 }
                : { scaleA: c.sa, scaleB: c.sb, scaleOut: sc };
          else if (c.op === 'add') {
            const twiceMax = 2 * Math.max(c.sa, c.sb);
            const q1 = quantizeMultiplierSmallerThanOneExp(c.sa / twiceMax);
            const q2 = quantizeMultiplierSmallerThanOneExp(c.sb / twiceMax);
            const qo = quantizeMultiplierSmallerThanOneExp(twiceMax / (2 ** 20 * sc));
            scale = {
              multA: q1.multiplier,
              shiftA: q1.shift,
              multB: q2.multiplier,
              shiftB: q2.shift,
              multOut: qo.multiplier,
              shiftOut: qo.shift,
              leftShift: 20,
            };
          } else {
            const qo = quantizeMultiplier((c.sa * c.sb) / sc);
            scale = { multOut: qo.multiplier, shiftOut: qo.shift };
          }
          const [lo, hi] = Q_RANGE[c.outType];
          const n = c.c * c.h * c.w;
          const got = runVector(
            hw,
            [{ t: a }, { t: bt }],
            [],
            { shape, dtype: c.outType },
            scale,
            {
              typeA: c.type,
              typeB: c.type,
              typeOut: c.outType,
              zpA: za,
              zpB: zb,
              zpOut: zc,
              clipLo: c.relu ? zc : lo,
              clipHi: hi,
            },
            (b, [aA, bA], _, outAddr) => {
              const op = c.op === 'add' ? 'vec.add' : 'vec.mul';
              b.emit(
                op,
                {
                  aAddr: aA,
                  bAddr: bA,
                  outAddr,
                  n,
                  bMode: c.bMode,
                  rowLen: c.h * c.w,
                  wait: 0b111,
                  signal: 0b1000,
                },
                opType,
              );
            },
          );
          expect(got).toEqual(expected);
        }),
        { numRuns: 40 },
      );
    },
  );
});
