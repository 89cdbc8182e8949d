// The I-BERT row instructions' parameter blocks, integer primitives, faults and cycle costs.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import {
  decodeIbertParams,
  packInt8IGeluParams,
  packInt8ILayerNormParams,
  packInt8ISoftmaxParams,
  type IbertKind,
} from '../../isa/ibert-params.js';
import type { HwConfig } from '../../isa/hw-config.js';
import { mulRheShift } from '../../reference/ibert/int-arith.js';
import type { QuantInfo } from '../../reference/ibert/int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
} from '../../reference/ibert/int8-kernels.js';
import { iSqrt } from '../../reference/ibert/i-sqrt.js';
import { quantizeMultiplier } from '../../reference/quant/gemmlowp.js';
import { iSqrtSteps, mulRheShiftFast } from '../../simulator/execute/ibert.js';
import { modeArb, quantArb, randomCodes, runRows, type RowOp } from './ibert-harness.js';
import { hwWith } from './program-builder.js';

const words = (b: Uint8Array): Int32Array => {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Int32Array.from({ length: b.length / 4 }, (_, k) => v.getInt32(4 * k, true));
};
const X: QuantInfo = { scale: Math.fround(0.05), zeroPoint: 3, dtype: 'int8' };
const Y: QuantInfo = { scale: Math.fround(6 / 127), zeroPoint: -2, dtype: 'int8' };
const GAMMA = Float32Array.from([1, -0.5, 2, 0.25, 1.5]);
const BETA = Float32Array.from([0, 0.5, -1, 2, 0.1]);
const BLOCKS: Record<IbertKind, Uint8Array> = {
  softmax: packInt8ISoftmaxParams(paramsForInt8ISoftmax(X, Y, 'fixed')),
  layernorm: packInt8ILayerNormParams(paramsForInt8ILayerNorm(X, Y, 'fixed', GAMMA, BETA)),
  gelu: packInt8IGeluParams(paramsForInt8IGelu(X, Y, 'fixed')),
};
const OPS: Record<IbertKind, RowOp> = {
  softmax: 'vec.softmax',
  layernorm: 'vec.layernorm',
  gelu: 'vec.gelu',
};

describe('parameter blocks', () => {
  test('decode(pack(params)) gives back the integer constants and both requantizations', () => {
    fc.assert(
      fc.property(quantArb(-12, 2), quantArb(-10, 0), modeArb, (x, y, mode) => {
        const s = paramsForInt8ISoftmax(x, y, mode, 12);
        const d = decodeIbertParams('softmax', words(packInt8ISoftmaxParams(s)));
        if (typeof d === 'string' || d.kind !== 'softmax') throw new Error(JSON.stringify(d));
        expect([d.inType, d.outType, d.xZp, d.yZp, d.expand]).toEqual([
          x.dtype,
          y.dtype,
          x.zeroPoint,
          y.zeroPoint,
          s.expand,
        ]);
        expect([d.x0Int, d.bInt, d.cInt, d.expM, d.expShift, d.outputBits]).toEqual([
          s.kernel.exp.x0Int,
          s.kernel.exp.poly.bInt,
          s.kernel.exp.poly.cInt,
          s.kernel.exp16.m,
          s.kernel.exp16.shift,
          12,
        ]);
        const q = quantizeMultiplier(s.out.multipliers[0]);
        expect(d.out.floatMult[0]).toBe(Math.fround(s.out.multipliers[0]));
        expect([d.out.fixedMult[0], d.out.fixedShift[0], d.out.negate[0]]).toEqual([
          q.multiplier,
          q.shift,
          0,
        ]);
        const g = paramsForInt8IGelu(x, y, mode);
        const dg = decodeIbertParams('gelu', words(packInt8IGeluParams(g)));
        if (typeof dg === 'string' || dg.kind !== 'gelu') throw new Error(JSON.stringify(dg));
        expect([dg.bInt, dg.cInt, dg.clip, dg.shift, dg.one, dg.out.negate[0]]).toEqual([
          g.kernel.erf.poly.bInt,
          g.kernel.erf.poly.cInt,
          g.kernel.erf.clip,
          g.kernel.erf.shift,
          g.kernel.one,
          1,
        ]);
        const l = paramsForInt8ILayerNorm(x, y, mode, GAMMA, BETA);
        const dl = decodeIbertParams('layernorm', words(packInt8ILayerNormParams(l)));
        if (typeof dl === 'string' || dl.kind !== 'layernorm') throw new Error(JSON.stringify(dl));
        expect([dl.dim, dl.headroom, ...dl.biasInt]).toEqual([
          5,
          l.kernel.headroom,
          ...l.kernel.biasInt,
        ]);
        expect(Array.from(dl.out.negate)).toEqual([0, 1, 0, 0, 0]);
      }),
      { numRuns: 100 },
    );
  });

  test('validation names the problem', () => {
    const w = words(BLOCKS.softmax);
    expect(decodeIbertParams('gelu', w)).toMatch(/not the gelu magic/);
    expect(decodeIbertParams('softmax', w.slice(0, 5))).toMatch(/at least 8 words/);
    const bad = (k: number, v: number): Int32Array => {
      const c = w.slice();
      c[k] = v;
      return c;
    };
    expect(decodeIbertParams('softmax', bad(1, 99))).toMatch(/length 99 words/);
    expect(decodeIbertParams('softmax', bad(2, 2))).toMatch(/element type/);
    expect(decodeIbertParams('softmax', bad(6, 25))).toMatch(/expand 25/);
    expect(decodeIbertParams('softmax', bad(8, 0))).toMatch(/x0Int 0/);
    expect(decodeIbertParams('softmax', bad(13, 31))).toMatch(/output bits 31/);
    expect(decodeIbertParams('softmax', bad(w.length - 4, 2))).toMatch(/negate flag 2/);
  });
});

describe('integer primitives of the vector unit', () => {
  test('mulRheShiftFast = exact round-half-even(a*m / 2^s) (BigInt reference)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: 0, max: 100 }),
        (a, m, s) => {
          expect(mulRheShiftFast(a, m, s)).toBe(mulRheShift(a, m, s));
          // ties: a*m an odd multiple of 2^(s-1)
          if (s >= 1 && s <= 40) {
            const t = 2 ** (s - 1) * (2 * (a % 1000) + 1);
            expect(mulRheShiftFast(t, 1, s)).toBe(mulRheShift(t, 1, s));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('iSqrtSteps = the reference i-sqrt, in at most 6 Newton steps below 2^31', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.nat(300)), (n) => {
        const [root, steps] = iSqrtSteps(n);
        expect(root).toBe(iSqrt(n));
        expect(steps).toBeLessThanOrEqual(6);
        expect(steps === 0).toBe(n === 0);
      }),
      { numRuns: 3000 },
    );
  });
});

const faultOf = (f: () => unknown): NpuError => {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected a fault');
};

describe('faults', () => {
  const hw = hwWith('edge');
  const x = randomCodes('int8', 10, 1);
  const run = (kind: IbertKind, block: Uint8Array, over: Parameters<typeof runRows>[6] = {}) =>
    runRows(hw, OPS[kind], x, { in: 'int8', out: 'int8' }, { rows: 2, len: 5 }, block, over);
  const corrupt = (b: Uint8Array, k: number, v: number): Uint8Array => {
    const c = b.slice();
    new DataView(c.buffer).setInt32(4 * k, v, true);
    return c;
  };

  test.each(['softmax', 'layernorm', 'gelu'] as const)(
    '%s: operands and parameter block',
    (kind) => {
      const b = BLOCKS[kind];
      expect(() => run(kind, b)).not.toThrow();
      const cases: [string, () => unknown, string, RegExp][] = [
        ['len 0', () => run(kind, b, { len: 0 }), 'simBadOperand', /len 0/],
        [
          'input past the SRAM',
          () => run(kind, b, { inAddr: 4 * 32768 - 6 }),
          'simSramRange',
          /input rows/,
        ],
        [
          'output past the SRAM',
          () => run(kind, b, { outRowStride: 2 ** 31 }),
          'simSramRange',
          /output rows/,
        ],
        [
          'misaligned block',
          () => run(kind, b, (a) => ({ paramAddr: a.paramAddr + 2 })),
          'simMisaligned',
          /parameter block/,
        ],
        [
          'block past the SRAM',
          () => run(kind, b, { paramAddr: 4 * 32768 - 8 }),
          'simSramRange',
          /parameter block/,
        ],
        [
          'another kind',
          () => run(kind, BLOCKS[kind === 'gelu' ? 'softmax' : 'gelu']),
          'simBadParams',
          /magic/,
        ],
        ['bad expand', () => run(kind, corrupt(b, 6, 99)), 'simBadParams', /expand 99/],
        ['bad length', () => run(kind, corrupt(b, 1, 3)), 'simBadParams', /length 3 words/],
      ];
      for (const [what, f, id, msg] of cases) {
        const e = faultOf(f);
        expect(e.id, what).toBe(id);
        expect(e.format(), what).toMatch(msg);
        expect(e.format(), what).toMatch(new RegExp(`pc \\d+ \\(${OPS[kind]}\\)`));
        expect(e.format(), what).toMatch(/node 'node0'/);
      }
    },
  );

  test('layernorm len must equal the block dim; softmax rows are at most 32767 long', () => {
    expect(faultOf(() => run('layernorm', BLOCKS.layernorm, { len: 4 })).format()).toMatch(
      /len 4 differs from the parameter block's dim 5/,
    );
    expect(faultOf(() => run('softmax', BLOCKS.softmax, { len: 32768, rows: 1 })).id).toBe(
      'simBadOperand',
    );
  });
});

describe('cycle costs (docs/hardware-model.md, I-BERT row kernels)', () => {
  const chunks = (hw: HwConfig, len: number): number => Math.ceil(len / hw.vector.lanesPerSlice);
  test.each(['edge', 'warboy'] as const)(
    '%s: the documented formulas, growing with len',
    (preset) => {
      const hw = hwWith(preset);
      const { reduceCycles: red, divCycles: div } = hw.vector;
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 9 }),
          fc.integer({ min: 1, max: 200 }),
          fc.integer({ min: -128, max: 127 }),
          (rows, len, c) => {
            const rounds = Math.ceil(rows / hw.slices);
            const sm = packInt8ISoftmaxParams(paramsForInt8ISoftmax(X, Y, 'fixed'));
            const x = randomCodes('int8', rows * len, len);
            const io = { in: 'int8', out: 'int8' } as const;
            const softmax = runRows(hw, 'vec.softmax', x, io, { rows, len }, sm).cycles;
            expect(softmax).toBe(rounds * (3 * chunks(hw, len) + 2 * red + div));
            // constant rows: variance 0, one variance pass, no Newton step
            const ones = new Float32Array(len).fill(1);
            const ln = packInt8ILayerNormParams(
              paramsForInt8ILayerNorm(X, Y, 'fixed', ones, new Float32Array(len)),
            );
            const flat = new Int8Array(rows * len).fill(c);
            const layernorm = runRows(hw, 'vec.layernorm', flat, io, { rows, len }, ln).cycles;
            expect(layernorm).toBe(rounds * (3 * chunks(hw, len) + 2 * red + 2 * div));
            // random rows: at least that (Newton steps and variance passes are the row's own)
            const lnRandom = runRows(hw, 'vec.layernorm', x, io, { rows, len }, ln).cycles;
            expect(lnRandom).toBeGreaterThanOrEqual(layernorm);
            const gelu = packInt8IGeluParams(paramsForInt8IGelu(X, Y, 'fixed'));
            const g = runRows(hw, 'vec.gelu', x, io, { rows, len }, gelu).cycles;
            expect(g).toBe(Math.ceil((rows * len) / (hw.vector.lanesPerSlice * hw.slices)));
            // one more lane-chunk per row costs one more cycle per pass
            const longer = runRows(
              hw,
              'vec.softmax',
              randomCodes('int8', rows * (len + hw.vector.lanesPerSlice), 1),
              io,
              { rows, len: len + hw.vector.lanesPerSlice },
              sm,
            ).cycles;
            expect(longer).toBe(softmax + 3 * rounds);
          },
        ),
        { numRuns: preset === 'edge' ? 25 : 8 },
      );
    },
  );
});
