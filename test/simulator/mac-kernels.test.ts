// The WebAssembly MAC kernels give exactly the scalar loops' int32 accumulators (wrap-around included).
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import {
  convAccumulatorsScalar,
  gemmAccumulatorsScalar,
} from '../../simulator/execute/mac-scalar.js';
import { convAccumulators, gemmAccumulators } from '../../simulator/wasm/mac-kernels.js';

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
