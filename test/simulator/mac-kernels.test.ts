// The WebAssembly MAC kernels give exactly the scalar loops' int32 accumulators (wrap-around included).
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  convAccumulatorsScalar,
  gemmAccumulatorsScalar,
  requantizeScalar,
} from '../../simulator/execute/mac-scalar.js';
import { convAccumulators, gemmAccumulators } from '../../simulator/wasm/mac-kernels.js';
import { requantizeAccumulators, stageAccumulators } from '../../simulator/wasm/requant-kernel.js';

const randomBytes = (n: number, seed: string): Uint8Array => {
  const rng = seedrandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
};

const operand = fc.record({ signed: fc.boolean(), zp: fc.integer({ min: -256, max: 255 }) });

const convCase = fc
  .record({
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 9 }),
    kg: fc.integer({ min: 1, max: 9 }),
    inH: fc.integer({ min: 1, max: 9 }),
    inW: fc.integer({ min: 1, max: 9 }),
    kH: fc.integer({ min: 1, max: 3 }),
    kW: fc.integer({ min: 1, max: 3 }),
    strideH: fc.integer({ min: 1, max: 3 }),
    strideW: fc.integer({ min: 1, max: 3 }),
    dilH: fc.integer({ min: 1, max: 2 }),
    dilW: fc.integer({ min: 1, max: 2 }),
    pads: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 4, maxLength: 4 }),
    gap: fc.integer({ min: 0, max: 5 }),
    x: operand,
    w: operand,
    seed: fc.string(),
  })
  .filter(
    (c) =>
      c.inH + c.pads[0] + c.pads[2] > c.dilH * (c.kH - 1) &&
      c.inW + c.pads[1] + c.pads[3] > c.dilW * (c.kW - 1),
  );

describe('WebAssembly MAC kernels', () => {
  it('conv accumulators equal the scalar loops (groups, strides, dilations, padding, channel gaps)', () => {
    fc.assert(
      fc.property(convCase, (c) => {
        const [padT, padL, padB, padR] = c.pads;
        const outH = Math.floor((c.inH + padT + padB - c.dilH * (c.kH - 1) - 1) / c.strideH) + 1;
        const outW = Math.floor((c.inW + padL + padR - c.dilW * (c.kW - 1) - 1) / c.strideW) + 1;
        const inC = c.groups * c.cg;
        const outC = c.groups * c.kg;
        const g = {
          inC,
          outC,
          groups: c.groups,
          inH: c.inH,
          inW: c.inW,
          inCStride: c.inH * c.inW + c.gap,
          outH,
          outW,
          kH: c.kH,
          kW: c.kW,
          strideH: c.strideH,
          strideW: c.strideW,
          dilH: c.dilH,
          dilW: c.dilW,
          padT,
          padL,
        };
        const inAddr = 3;
        const wAddr = inAddr + inC * g.inCStride + 7;
        const sram = randomBytes(wAddr + outC * c.cg * c.kH * c.kW + 5, c.seed);
        const fast = convAccumulators(sram, inAddr, wAddr, g, c.x, c.w).slice();
        const slow = convAccumulatorsScalar(sram, inAddr, wAddr, g, c.x, c.w);
        expect(fast).toEqual(slow);
      }),
      { numRuns: 300 },
    );
  });

  it('depthwise accumulators (vectorised rows of 8 pixels and the edges) equal the scalar loops', () => {
    fc.assert(
      fc.property(
        fc.record({
          c: fc.integer({ min: 1, max: 4 }),
          inH: fc.integer({ min: 1, max: 6 }),
          inW: fc.integer({ min: 1, max: 40 }),
          kH: fc.integer({ min: 1, max: 3 }),
          kW: fc.integer({ min: 1, max: 5 }),
          strideH: fc.integer({ min: 1, max: 2 }),
          strideW: fc.integer({ min: 1, max: 2 }),
          dilH: fc.integer({ min: 1, max: 2 }),
          dilW: fc.integer({ min: 1, max: 2 }),
          pads: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
          gap: fc.integer({ min: 0, max: 3 }),
          x: operand,
          w: operand,
          seed: fc.string(),
        }),
        (d) => {
          const [padT, padL, padB, padR] = d.pads;
          const outH = Math.floor((d.inH + padT + padB - d.dilH * (d.kH - 1) - 1) / d.strideH) + 1;
          const outW = Math.floor((d.inW + padL + padR - d.dilW * (d.kW - 1) - 1) / d.strideW) + 1;
          fc.pre(outH > 0 && outW > 0);
          const g = {
            inC: d.c,
            outC: d.c,
            groups: d.c,
            inH: d.inH,
            inW: d.inW,
            inCStride: d.inH * d.inW + d.gap,
            outH,
            outW,
            kH: d.kH,
            kW: d.kW,
            strideH: d.strideH,
            strideW: d.strideW,
            dilH: d.dilH,
            dilW: d.dilW,
            padT,
            padL,
          };
          const wAddr = 5 + d.c * g.inCStride;
          const sram = randomBytes(wAddr + d.c * d.kH * d.kW, d.seed);
          const fast = convAccumulators(sram, 5, wAddr, g, d.x, d.w).slice();
          expect(fast).toEqual(convAccumulatorsScalar(sram, 5, wAddr, g, d.x, d.w));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('gemm accumulators equal the scalar loops (row strides, k not a multiple of 8)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 13 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 9 }),
        operand,
        operand,
        fc.string(),
        (m, n, k, gap, a, b, seed) => {
          const stride = k + gap;
          const bAddr = 1 + m * stride;
          const sram = randomBytes(bAddr + n * k, seed);
          const dims = { m, n, k };
          const fast = gemmAccumulators(sram, 1, stride, bAddr, dims, a, b).slice();
          expect(fast).toEqual(gemmAccumulatorsScalar(sram, 1, stride, bAddr, dims, a, b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accumulators wrap modulo 2^32 like the int32 accumulator', () => {
    // 2 rows of k = 40000 products of (255 - (-256)) * (255 - (-256)) = 261121: the sum passes 2^31 many times
    const k = 40000;
    const sram = new Uint8Array(3 * k).fill(255);
    const op = { signed: false, zp: -256 };
    const dims = { m: 2, n: 1, k };
    const fast = gemmAccumulators(sram, 0, k, 2 * k, dims, op, op).slice();
    const exact = BigInt.asIntN(32, BigInt(k) * 261121n);
    expect(fast).toEqual(Int32Array.from([Number(exact), Number(exact)]));
    expect(fast).toEqual(gemmAccumulatorsScalar(sram, 0, k, 2 * k, dims, op, op));
  });
});

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const epilogue = fc
  .record({
    channels: fc.integer({ min: 1, max: 5 }),
    count: fc.integer({ min: 1, max: 9 }),
    fixed: fc.boolean(),
    outType: fc.constantFrom('int8', 'uint8'),
    outZp: fc.integer({ min: -256, max: 255 }),
    act: fc.constantFrom('none', 'relu', 'clip', 'lut'),
    clipLo: fc.integer({ min: -256, max: 255 }),
    clipHi: fc.integer({ min: -256, max: 255 }),
    seed: fc.string(),
  })
  .chain((r) =>
    fc.record({
      r: fc.constant(r),
      acc: fc.array(
        fc.oneof(
          int32,
          fc.integer({ min: -5000, max: 5000 }),
          fc.constantFrom(-(2 ** 31), 2 ** 31 - 1),
        ),
        { minLength: r.channels * r.count, maxLength: r.channels * r.count },
      ),
      bias: fc.array(fc.oneof(int32, fc.integer({ min: -300, max: 300 })), {
        minLength: r.channels,
        maxLength: r.channels,
      }),
      multF: fc.array(
        fc.oneof(
          fc.float({ min: Math.fround(1e-6), max: 2, noNaN: true }),
          fc.float(), // NaN, infinities, subnormals, huge
        ),
        { minLength: r.channels, maxLength: r.channels },
      ),
      multI: fc.array(fc.oneof(int32, fc.integer({ min: 2 ** 30, max: 2 ** 31 - 1 })), {
        minLength: r.channels,
        maxLength: r.channels,
      }),
      shift: fc.array(fc.integer({ min: -31, max: 40 }), {
        minLength: r.channels,
        maxLength: r.channels,
      }),
    }),
  );

describe('WebAssembly requantization unit', () => {
  it('equals the scalar reference formulas (both modes, saturation, NaN/inf multipliers, activations)', () => {
    fc.assert(
      fc.property(epilogue, ({ r, acc, bias, multF, multI, shift }) => {
        const [lo, hi] = r.outType === 'int8' ? [-128, 127] : [0, 255];
        const e = {
          bias: Int32Array.from(bias),
          fixed: r.fixed,
          multF: Float32Array.from(multF),
          multI: Int32Array.from(multI),
          shift: Int32Array.from(shift),
          outZp: r.outZp,
          lo,
          hi,
          act: r.act,
          clipLo: r.clipLo,
          clipHi: r.clipHi,
          lut: randomBytes(256, r.seed),
        } as const;
        const values = Int32Array.from(acc);
        const slow = requantizeScalar(values, r.channels, r.count, e);
        const fast = requantizeAccumulators(stageAccumulators(values), r.channels, r.count, e);
        expect(Array.from(fast)).toEqual(Array.from(slow));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('WebAssembly requantization unit, fixed-point corner cases', () => {
  it('equals the scalar formulas on rounding ties and extremes of SRDHM and the rounding shift', () => {
    const accs = [
      0,
      1,
      -1,
      2 ** 30 - 1,
      -(2 ** 30 - 1),
      2 ** 30,
      -(2 ** 30),
      2 ** 31 - 1,
      -(2 ** 31),
      3,
      -3,
    ];
    const mults = [1, -1, 2, 2 ** 30, 2 ** 30 + 1, 2 ** 31 - 1, -(2 ** 31), 1518500250];
    const shifts = [-31, -30, -1, 0, 1, 2, 30, 31, 32, 40];
    const values: number[] = [];
    const multI: number[] = [];
    const shift: number[] = [];
    for (let k = 0; k < mults.length * shifts.length; k++) values.push(...accs);
    for (const m of mults)
      for (const s of shifts) {
        multI.push(m);
        shift.push(s);
      }
    const channels = multI.length;
    const count = accs.length;
    const e = {
      bias: new Int32Array(channels),
      fixed: true,
      multF: new Float32Array(channels),
      multI: Int32Array.from(multI),
      shift: Int32Array.from(shift),
      outZp: 0,
      lo: -128,
      hi: 127,
      act: 'none',
      clipLo: 0,
      clipHi: 0,
      lut: undefined,
    } as const;
    // the low byte of a saturated int8 hides most of the value: compare 256 shifted views of each result
    for (const zp of [-256, -128, 0, 127, 255]) {
      const ez = { ...e, outZp: zp, lo: -(2 ** 31), hi: 2 ** 31 - 1 };
      const acc = Int32Array.from(values);
      const slow = requantizeScalar(acc, channels, count, ez);
      const fast = requantizeAccumulators(stageAccumulators(acc), channels, count, ez);
      expect(Array.from(fast)).toEqual(Array.from(slow));
    }
  });
});
