// vec.lut vs QLinearSigmoid, vec.clamp vs Clip, vec.move vs Transpose.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { buildUnaryLut, sigmoid } from '../../reference/quant/lut.js';
import { qtypeArb, randomIntTensor, scaleArb, seedArb } from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import { runOp } from '../reference/float-kernel-harness.js';
import { run, vals } from '../reference/quant-harness.js';
import { bytesOf, hwWith } from './program-builder.js';
import { f, PRESETS, q, runVector, zpOf } from './vector-harness.js';

describe.each(PRESETS)('vector moves and tables on %s', (preset) => {
  test('vec.lut bit-exact against QLinearSigmoid, vec.clamp against Clip, vec.move against Transpose', () => {
    const hw = hwWith(preset);
    fc.assert(
      fc.property(
        qtypeArb,
        qtypeArb,
        scaleArb(-6, -1),
        fc.nat(255),
        fc.nat(255),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        seedArb,
        (inT, outT, sx, zxr, zyr, h, w, seed) => {
          const x = randomIntTensor(inT, [1, 1, h, w], seed);
          const zx = zpOf(inT, zxr);
          const zy = zpOf(outT, zyr);
          const sy = 1 / 256;
          const ref = run('QLinearSigmoid', [x, f(sx), q(inT, zx), f(sy), q(outT, zy)], 'float')[0];
          const table = buildUnaryLut(sigmoid, sx, zx, inT, sy, zy, outT);
          const n = h * w;
          const lut = runVector(
            hw,
            [{ t: x }],
            [bytesOf(table)],
            { shape: ref.shape, dtype: outT },
            {},
            { typeA: inT, typeOut: outT },
            (b, [xA], [tA], outAddr) =>
              b.emit('vec.lut', {
                inAddr: xA,
                outAddr,
                lutAddr: tA,
                n,
                wait: 0b111,
                signal: 0b1000,
              }),
          );
          expect(lut).toEqual(vals(ref));

          const z2 = zpOf(inT, zyr);
          const [lo, hi] = [Math.min(zx, z2), Math.max(zx, z2)];
          const clip = runOp('Clip', [x, q(inT, lo), q(inT, hi)], { opset: 13 })[0];
          const clamped = runVector(
            hw,
            [{ t: x }],
            [],
            { shape: x.shape, dtype: inT },
            {},
            {},
            (b, [xA], _, outAddr) =>
              b.emit('vec.clamp', {
                inAddr: xA,
                outAddr,
                n,
                type: inT,
                lo,
                hi,
                wait: 0b111,
                signal: 0b1000,
              }),
          );
          expect(clamped).toEqual(vals(clip));

          const x2 = { ...x, shape: [h, w] };
          const tr = runOp('Transpose', [x2], { attrs: { perm: A.ints([1, 0]) } })[0];
          const moved = runVector(
            hw,
            [{ t: x2 }],
            [],
            { shape: [w, h], dtype: inT },
            {},
            {},
            (b, [xA], _, outAddr) => {
              b.emit('vec.movecfg', { srcStride1: w, srcStride2: 1, dstStride1: 1, dstStride2: h });
              b.emit('vec.move', {
                srcAddr: xA,
                dstAddr: outAddr,
                size0: 1,
                size1: h,
                size2: w,
                size3: 1,
                wait: 0b111,
                signal: 0b1000,
              });
            },
          );
          expect(moved).toEqual(vals(tr));
        },
      ),
      { numRuns: 30 },
    );
  });
});
