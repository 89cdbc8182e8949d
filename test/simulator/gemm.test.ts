// gemm on the simulator vs the reference QLinearMatMul and com.microsoft QGemm (bias, per-column scales, alpha).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tensor, type Tensor } from '../../common/tensor.js';
import { Q_RANGE } from '../../reference/quant/requant.js';
import { simulate } from '../../simulator/simulate.js';
import {
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
  type QType,
} from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import { run, vals } from '../reference/quant-harness.js';
import { bytesOf, hwWith, ProgramBuilder, requantTable } from './program-builder.js';

const f = (v: number): Tensor => tensor('float32', [], [v]);
const q = (dtype: QType, v: number): Tensor => tensor(dtype, [], [v]);

const gemmCase = fc.record({
  qgemm: fc.boolean(),
  m: fc.integer({ min: 1, max: 9 }),
  n: fc.integer({ min: 1, max: 11 }),
  k: fc.integer({ min: 1, max: 40 }),
  aRowPad: fc.nat(5),
  aType: qtypeArb,
  bType: qtypeArb,
  outType: qtypeArb,
  zps: fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)),
  as: scaleArb(-8, -2),
  bs: scaleArb(-9, -4),
  perColumn: fc.boolean(),
  alpha: fc.constantFrom(1, 0.5, 1.75),
  yFactor: fc.double({ min: 0, max: 4, noNaN: true }),
  seed: seedArb,
});

function transpose(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = new (t.data.constructor as Int8ArrayConstructor)(r * c);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < c; j++) out[j * r + i] = (t.data as Int8Array)[i * c + j];
  return { dtype: t.dtype, shape: [c, r], data: out };
}

describe.each(['edge', 'warboy-2pe'])('gemm on %s', (preset) => {
  test.each(['float', 'fixed'] as const)(
    'bit-exact against QLinearMatMul / QGemm, requant %s',
    (mode) => {
      const hw = hwWith(preset, { requant: mode });
      fc.assert(
        fc.property(gemmCase, (c) => {
          const aZp = c.zps[0] + Q_RANGE[c.aType][0];
          const bZp = c.zps[1] + Q_RANGE[c.bType][0];
          const yZp = c.zps[2] + Q_RANGE[c.outType][0];
          const a = randomIntTensor(c.aType, [c.m, c.k], c.seed);
          const bT = randomIntTensor(c.bType, [c.n, c.k], c.seed + 1); // B stored transposed, as the ISA wants
          const bias = randomIntTensor('int32', [c.n], c.seed + 2, -3000, 3000);
          const bs = c.perColumn
            ? Array.from({ length: c.n }, (_, j) => Math.fround(c.bs * (1 + j / 5)))
            : [c.bs];
          const alpha = c.qgemm ? c.alpha : 1;
          const ys = Math.fround(c.as * c.bs * Math.sqrt(c.k) * 2 ** c.yFactor * 64);
          const bsT = tensor('float32', [bs.length], bs);
          const ref = c.qgemm
            ? run(
                'QGemm',
                [
                  a,
                  f(c.as),
                  q(c.aType, aZp),
                  bT,
                  bsT,
                  q(c.bType, bZp),
                  bias,
                  f(ys),
                  q(c.outType, yZp),
                ],
                mode,
                {
                  transB: A.int(1),
                  alpha: A.float(alpha),
                },
              )[0]
            : run(
                'QLinearMatMul',
                [
                  a,
                  f(c.as),
                  q(c.aType, aZp),
                  transpose(bT),
                  bsT,
                  q(c.bType, bZp),
                  f(ys),
                  q(c.outType, yZp),
                ],
                mode,
              )[0];

          const b = new ProgramBuilder(hw);
          const ad = b.io('in', 'a', a.shape, c.aType, c.as, aZp);
          const yd = b.io('out', 'y', [c.m, c.n], c.outType, ys, yZp);
          const perC = Array.from({ length: c.n }, (_, j) => bs[bs.length === 1 ? 0 : j]);
          const [bA, biasA, rqA] = b.loadConstants(
            [bytesOf(bT), bytesOf(bias), requantTable(hw, { x: c.as, w: perC, y: ys, alpha })],
            0b10,
          );
          // A rows land aRowStride bytes apart (a strided DMA), exercising aRowStride
          const aRowStride = c.k + c.aRowPad;
          const aA = b.sramAlloc(c.m * aRowStride);
          b.emit('dma.cfg', { channel: 0, dramStride1: c.k, sramStride1: aRowStride });
          b.emit('dma.load', {
            channel: 0,
            dramAddr: ad.dramAddr,
            sramAddr: aA,
            size0: c.k,
            size1: c.m,
            size2: 1,
            size3: 1,
            signal: 0b1,
          });
          b.emit('mac.quant', {
            inType: c.aType,
            wType: c.bType,
            outType: c.outType,
            inZp: aZp,
            wZp: bZp,
            outZp: yZp,
            useBias: c.qgemm ? 1 : 0,
            biasAddr: biasA,
            requantAddr: rqA,
            act: 'none',
          });
          const outA = b.sramAlloc(c.m * c.n);
          b.emit(
            'gemm',
            {
              aAddr: aA,
              bAddr: bA,
              outAddr: outA,
              m: c.m,
              n: c.n,
              k: c.k,
              aRowStride,
              outRowStride: c.n,
              wait: 0b11,
              signal: 0b100,
            },
            'gemm0',
          );
          b.storeOutput(yd, outA, 0b100, 0b1000);
          b.emit('halt', { wait: 0b1000 });
          const r = simulate(b.program(), { a }, { hw, raw: true });
          expect(vals(r.outputs.y)).toEqual(vals(ref));
          expect(r.stats.mac.usefulMacs).toBe(c.m * c.n * c.k);
        }),
        { numRuns: 25 },
      );
    },
  );
});
