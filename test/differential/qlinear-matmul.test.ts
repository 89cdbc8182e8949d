// Differential test: QLinearMatMul in the reference interpreter ('float' requant mode) vs onnxruntime CPU.
// ORT computes an exact int32 GEMM of (a - a_zp)(b - b_zp) and requantizes with a float32 multiplier
// a_scale * b_scale[j] / y_scale and RHE (MlasRequantizeOutput); the reference must give IDENTICAL integers
// for 2-D, batched 3-D and broadcast (3-D x 2-D) products, uint8/int8, per-tensor and per-column b (2-D b).

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, it } from 'vitest';
import { INT_RANGE } from '../../common/tensor.js';
import { runModel } from '../../reference/interpreter.js';
import {
  type QType,
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
} from '../helpers/arbitraries.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { describeDiff, diffTensors, ortOptionsFor, runOrt } from '../helpers/ort.js';

interface MatMulCase {
  layout: '2d' | '3d' | '3d x 2d';
  batch: number;
  m: number;
  k: number;
  n: number;
  aType: QType;
  /** uint8 activations may use uint8 or int8 b; int8 activations only int8 b (ORT has no s8 x u8 kernel). */
  bSigned: boolean;
  aScale: number;
  bScale: number;
  perColumn: boolean;
  /** b is a constant initializer (ORT prepacks it) or a second graph input. */
  bConst: boolean;
  aZpRaw: number;
  yZpRaw: number;
  yRangeLog2: number;
  seed: number;
}

const caseArb: fc.Arbitrary<MatMulCase> = fc.record({
  layout: fc.constantFrom<MatMulCase['layout']>('2d', '3d', '3d x 2d'),
  batch: fc.integer({ min: 1, max: 3 }),
  m: fc.integer({ min: 1, max: 12 }),
  k: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 16 }),
  aType: qtypeArb,
  bSigned: fc.boolean(),
  aScale: scaleArb(-10, -2),
  bScale: scaleArb(-10, -2),
  perColumn: fc.boolean(),
  bConst: fc.boolean(),
  aZpRaw: fc.integer({ min: 0, max: 255 }),
  yZpRaw: fc.integer({ min: 0, max: 255 }),
  yRangeLog2: fc.double({ min: -3, max: 1.5, noNaN: true }),
  seed: seedArb,
});

const shiftZp = (raw: number, q: QType): number => (q === 'int8' ? raw - 128 : raw);

function buildCase(c: MatMulCase) {
  const qa = c.aType;
  const qb: QType = qa === 'int8' || c.bSigned ? 'int8' : 'uint8';
  const aZp = shiftZp(c.aZpRaw, qa);
  const yZp = shiftZp(c.yZpRaw, qa);
  const rng = seedrandom(`matmul-params:${c.seed}`);
  // ONNX defines per-column b params as 1-D [N]; ORT accepts that only for a 2-D b (a 3-D b would need [B,1,N])
  const perColumn = c.perColumn && c.layout !== '3d';
  const bScales = perColumn
    ? Array.from({ length: c.n }, () => Math.fround(c.bScale * 2 ** (4 * rng() - 2)))
    : [c.bScale];
  // int8 b symmetric (zp 0); uint8 b asymmetric, per column too when per-column
  const bZps =
    qb === 'int8'
      ? new Array<number>(bScales.length).fill(0)
      : Array.from({ length: bScales.length }, () => Math.floor(rng() * 256));

  const aShape = c.layout === '2d' ? [c.m, c.k] : [c.batch, c.m, c.k];
  const bShape = c.layout === '3d' ? [c.batch, c.k, c.n] : [c.k, c.n];
  const a = randomIntTensor(qa, aShape, c.seed);
  const bT = randomIntTensor(qb, bShape, c.seed + 1);

  const mid = (INT_RANGE[qa][0] + INT_RANGE[qa][1]) / 2;
  const aRms = Math.sqrt(74 * 74 + (mid - aZp) ** 2);
  const bRms = qb === 'int8' ? 74 : 74 * Math.SQRT2; // uint8 b with a random zp: (b - zp) spreads wider
  const accStd = Math.sqrt(c.k) * aRms * bRms;
  const yScale = Math.fround((c.aScale * c.bScale * accStd * 4 * 2 ** c.yRangeLog2) / 255);

  const builder = new ModelBuilder()
    .input('a', qa, aShape)
    .scalar('a_scale', 'float32', c.aScale)
    .scalar('a_zp', qa, aZp)
    .scalar('y_scale', 'float32', yScale)
    .scalar('y_zp', qa, yZp);
  if (perColumn) builder.vector('b_scale', 'float32', bScales).vector('b_zp', qb, bZps);
  else builder.scalar('b_scale', 'float32', bScales[0]).scalar('b_zp', qb, bZps[0]);
  const feeds: Record<string, typeof a> = { a };
  if (c.bConst) builder.initializer('b', bT);
  else {
    builder.input('b', qb, bShape);
    feeds.b = bT;
  }
  builder
    .node(
      'QLinearMatMul',
      ['a', 'a_scale', 'a_zp', 'b', 'b_scale', 'b_zp', 'y_scale', 'y_zp'],
      ['y'],
    )
    .output('y', qa);
  return { model: builder.build(), feeds };
}

describe('QLinearMatMul: reference (float requant) vs onnxruntime CPU', () => {
  it('gives identical integers', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { model, feeds } = buildCase(c);
        const theirs = (await runOrt(model, feeds, ortOptionsFor(c.aType))).y;
        const ours = runModel(model, feeds, { mode: 'float' }).y;
        const d = diffTensors(ours, theirs);
        if (d.exact !== d.count) throw new Error(`QLinearMatMul mismatch: ${describeDiff(d)}`);
      }),
      { seed: 0x5eed02, numRuns: 100 },
    );
  });
});
