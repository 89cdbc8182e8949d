// vec.softmax, vec.layernorm, vec.gelu (and GELU as a vec.lut table) bit-exact against reference/ibert's int8 kernels.
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { tensor } from '../../common/tensor.js';
import { describe, expect, test } from 'vitest';
import {
  packInt8IGeluParams,
  packInt8ILayerNormParams,
  packInt8ISoftmaxParams,
} from '../../isa/ibert-params.js';
import type { Q8Data, Q8Type } from '../../reference/ibert/int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
  runInt8ILayerNorm,
  runInt8ISoftmax,
} from '../../reference/ibert/int8-kernels.js';
import { qtypeArb, seedArb } from '../helpers/arbitraries.js';
import { modeArb, quantArb, randomCodes, runRows, shapeArb } from './ibert-harness.js';
import { bytesOf, hwWith } from './program-builder.js';
import { runVector } from './vector-harness.js';

// the block is mode-independent: packMode (the params' mode) and the hardware's requant are drawn separately
const cases = [
  ['edge', 120],
  ['warboy-2pe', 10],
] as const;

describe.each(cases)('I-BERT row kernels on %s', (preset, numRuns) => {
  test('vec.softmax = runInt8ISoftmax (random scales, zero points, output bits, shapes, both modes)', () => {
    fc.assert(
      fc.property(
        quantArb(-14, 4),
        qtypeArb.chain((t) => quantArb(-10, 0, t)),
        fc.option(fc.integer({ min: 1, max: 30 })),
        shapeArb(40),
        modeArb,
        modeArb,
        seedArb,
        (x, y, bits, s, packMode, hwMode, seed) => {
          const hw = hwWith(preset, { requant: hwMode });
          const codes = randomCodes(x.dtype, s.rows * s.len, seed);
          const block = packInt8ISoftmaxParams(
            paramsForInt8ISoftmax(x, y, packMode, bits ?? undefined),
          );
          const ref = runInt8ISoftmax(
            codes,
            s.len,
            paramsForInt8ISoftmax(x, y, hwMode, bits ?? undefined),
          );
          const got = runRows(
            hw,
            'vec.softmax',
            codes,
            { in: x.dtype, out: y.dtype },
            strided(s),
            block,
          );
          expect(got.y).toEqual(Array.from(ref));
        },
      ),
      { numRuns },
    );
  });

  test('vec.layernorm = runInt8ILayerNorm (random gamma, beta, scales, shapes, both modes)', () => {
    fc.assert(
      fc.property(
        quantArb(-12, 2),
        qtypeArb.chain((t) => quantArb(-10, 0, t)),
        shapeArb(40),
        modeArb,
        modeArb,
        seedArb,
        (x, y, s, packMode, hwMode, seed) => {
          const hw = hwWith(preset, { requant: hwMode });
          const rng = seedrandom(`ln-sim:${seed}`);
          const gamma = Float32Array.from(
            { length: s.len },
            () => (rng() < 0.3 ? -1 : 1) * (0.05 + 2 * rng()),
          );
          const beta = Float32Array.from({ length: s.len }, () => 4 * rng() - 2);
          const codes = randomCodes(x.dtype, s.rows * s.len, seed);
          const block = packInt8ILayerNormParams(
            paramsForInt8ILayerNorm(x, y, packMode, gamma, beta),
          );
          const ref = runInt8ILayerNorm(codes, paramsForInt8ILayerNorm(x, y, hwMode, gamma, beta));
          const got = runRows(
            hw,
            'vec.layernorm',
            codes,
            { in: x.dtype, out: y.dtype },
            strided(s),
            block,
          );
          expect(got.y).toEqual(Array.from(ref));
        },
      ),
      { numRuns },
    );
  });

  test('vec.layernorm on rows with a small spread and large dims (constant rows, variance shifts)', () => {
    fc.assert(
      fc.property(
        quantArb(-12, 2),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 3 }),
        modeArb,
        seedArb,
        (x, len, spread, mode, seed) => {
          const hw = hwWith(preset, { requant: mode });
          const rng = seedrandom(`ln-small:${seed}`);
          const base = Math.floor(rng() * 256);
          const lo = x.dtype === 'int8' ? -128 : 0;
          const codes = codesOf(
            x.dtype,
            Array.from({ length: 2 * len }, () =>
              Math.min(lo + 255, lo + base + Math.floor(rng() * (spread + 1))),
            ),
          );
          const gamma = new Float32Array(len).fill(1.5);
          const beta = Float32Array.from({ length: len }, () => rng() - 0.5);
          const y = { scale: Math.fround(0.05), zeroPoint: 0, dtype: 'int8' as Q8Type };
          const p = paramsForInt8ILayerNorm(x, y, mode, gamma, beta);
          const ref = runInt8ILayerNorm(codes, p);
          const got = runRows(
            hw,
            'vec.layernorm',
            codes,
            { in: x.dtype, out: 'int8' },
            { rows: 2, len },
            packInt8ILayerNormParams(p),
          );
          expect(got.y).toEqual(Array.from(ref));
        },
      ),
      { numRuns: Math.ceil(numRuns / 2) },
    );
  });

  test('vec.gelu = runInt8IGelu, and vec.lut with the table of runInt8IGelu over all codes equals it too', () => {
    fc.assert(
      fc.property(
        quantArb(-12, 2),
        qtypeArb.chain((t) => quantArb(-10, 0, t)),
        shapeArb(64),
        modeArb,
        modeArb,
        seedArb,
        (x, y, s, packMode, hwMode, seed) => {
          const hw = hwWith(preset, { requant: hwMode });
          const codes = randomCodes(x.dtype, s.rows * s.len, seed);
          const p = paramsForInt8IGelu(x, y, hwMode);
          const ref = Array.from(runInt8IGelu(codes, p));
          const block = packInt8IGeluParams(paramsForInt8IGelu(x, y, packMode));
          const got = runRows(
            hw,
            'vec.gelu',
            codes,
            { in: x.dtype, out: y.dtype },
            strided(s),
            block,
          );
          expect(got.y).toEqual(ref);
          // the LUT lowering: entry k is GELU of code min(type) + k
          const all = codesOf(
            x.dtype,
            Array.from({ length: 256 }, (_, k) => (x.dtype === 'int8' ? k - 128 : k)),
          );
          const table = runInt8IGelu(all, p);
          const n = s.rows * s.len;
          const lut = runVector(
            hw,
            [{ t: tensor(x.dtype, [n], codes) }],
            [bytesOf(table)],
            { shape: [n], dtype: y.dtype },
            {},
            { typeA: x.dtype, typeOut: y.dtype },
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
          expect(lut).toEqual(ref);
        },
      ),
      { numRuns },
    );
  });
});

describe('overlapping rows (output row r over input row r + 1): all rows are read before any is written', () => {
  test.each(['vec.softmax', 'vec.layernorm', 'vec.gelu'] as const)('%s', (op) => {
    const hw = hwWith('edge', { requant: 'fixed' });
    const x = { scale: Math.fround(0.07), zeroPoint: 5, dtype: 'int8' as Q8Type };
    const y = { scale: Math.fround(1 / 200), zeroPoint: -20, dtype: 'int8' as Q8Type };
    const [rows, len] = [3, 11];
    const codes = randomCodes('int8', rows * len, 42);
    const gamma = Float32Array.from({ length: len }, (_, k) => 0.5 + k / 8);
    const beta = Float32Array.from({ length: len }, (_, k) => k / 16 - 0.3);
    let ref: Q8Data;
    let block: Uint8Array;
    if (op === 'vec.softmax') {
      const p = paramsForInt8ISoftmax(x, y, 'fixed');
      [ref, block] = [runInt8ISoftmax(codes, len, p), packInt8ISoftmaxParams(p)];
    } else if (op === 'vec.layernorm') {
      const p = paramsForInt8ILayerNorm(x, y, 'fixed', gamma, beta);
      [ref, block] = [runInt8ILayerNorm(codes, p), packInt8ILayerNormParams(p)];
    } else {
      const p = paramsForInt8IGelu(x, y, 'fixed');
      [ref, block] = [runInt8IGelu(codes, p), packInt8IGeluParams(p)];
    }
    const io = { in: 'int8', out: 'int8' } as const;
    const got = runRows(hw, op, codes, io, { rows, len, inStride: len + 3, overlap: true }, block);
    expect(got.y).toEqual(Array.from(ref));
  });
});

const strided = (s: { rows: number; len: number; inPad: number; outPad: number }) => ({
  rows: s.rows,
  len: s.len,
  inStride: s.len + s.inPad,
  outStride: s.len + s.outPad,
});

const codesOf = (t: Q8Type, v: number[]): Q8Data =>
  t === 'int8' ? Int8Array.from(v) : Uint8Array.from(v);
