// Differential test: quantized element-wise, LUT, pooling and concat ops in the reference interpreter vs
// onnxruntime CPU: com.microsoft QLinearAdd, QLinearMul (with broadcasting), QLinearSigmoid, QLinearLeakyRelu,
// QLinearGlobalAveragePool, QLinearAveragePool, QLinearConcat, and QDQ Add / Sigmoid.
// On x86 ORT computes these with its own kernels (SSE/AVX2 QLinearAdd with precomputed float ratios, the
// MlasComputeLogistic rational approximation inside the sigmoid LUT, float pooling sums), so bit-exactness is
// not expected: every value must be within 1 LSB, and the exact-match rate per op is logged after the run.

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE, tensor, toNumbers } from '../../common/tensor.js';
import type { Attr, Model } from '../../onnx/graph.js';
import { runModel } from '../../reference/interpreter.js';
import {
  type QType,
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
} from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import {
  MatchTally,
  describeDiff,
  diffTensors,
  ortOptionsFor,
  runOrt,
  runOrtWithPlan,
} from '../helpers/ort.js';

const RUNS = 60;
type ValueOf<T> = T extends fc.Arbitrary<infer V> ? V : never;
const tallies = new Map<string, MatchTally>();

/** Runs both sides, tallies the exact-match rate under `label`, and fails on any |diff| > 1. */
async function within1(
  label: string,
  model: Model,
  feeds: Record<string, Tensor>,
  q: QType,
): Promise<void> {
  const theirs = (await runOrt(model, feeds, ortOptionsFor(q))).y;
  const ours = runModel(model, feeds, { mode: 'float' }).y;
  record(label, ours, theirs);
}

function record(label: string, ours: Tensor, theirs: Tensor): void {
  const d = diffTensors(ours, theirs);
  let t = tallies.get(label);
  if (t === undefined) tallies.set(label, (t = new MatchTally(label)));
  t.add(d);
  if (d.maxDiff > 1) throw new Error(`${label}: differs by more than 1 LSB: ${describeDiff(d)}`);
}

/** All 256 codes of the dtype (so every LUT entry is checked) followed by random codes. */
function allCodesThenRandom(q: QType, extra: number, seed: number): Tensor {
  const r = randomIntTensor(q, [256 + extra], seed);
  for (let i = 0; i < 256; i++) r.data[i] = INT_RANGE[q][0] + i;
  return { ...r, shape: [1, 256 + extra] };
}

const shapeArb = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 });

/** A shape broadcastable to `full`: some dims set to 1, maybe fewer leading dims. */
const broadcastOf = (full: number[]): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }),
      fc.integer({ min: 0, max: full.length }),
    )
    .map(([ones, drop]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop));

const binaryArb = fc.record({
  shapes: shapeArb.chain((full) =>
    fc.oneof(
      fc.constant<[number[], number[]]>([full, full]),
      broadcastOf(full).map((b): [number[], number[]] => [full, b]),
      broadcastOf(full).map((b): [number[], number[]] => [b, full]),
    ),
  ),
  q: qtypeArb,
  aScale: scaleArb(-8, -2),
  bScale: scaleArb(-8, -2),
  yRangeLog2: fc.double({ min: -1.5, max: 1, noNaN: true }),
  zps: fc.tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 255 }),
  ),
  seed: seedArb,
});

const shift = (raw: number, q: QType): number => (q === 'int8' ? raw - 128 : raw);

function binaryModel(op: 'QLinearAdd' | 'QLinearMul', c: ValueOf<typeof binaryArb>) {
  const q = c.q;
  const [aShape, bShape] = c.shapes;
  // output range: ~ the sum (Add) or product (Mul) of the input ranges, scaled by 2^yRangeLog2
  const cScale = Math.fround(
    (op === 'QLinearAdd' ? c.aScale + c.bScale : c.aScale * c.bScale * 128) * 2 ** c.yRangeLog2,
  );
  const model = new ModelBuilder()
    .input('a', q, aShape)
    .input('b', q, bShape)
    .scalar('a_scale', 'float32', c.aScale)
    .scalar('a_zp', q, shift(c.zps[0], q))
    .scalar('b_scale', 'float32', c.bScale)
    .scalar('b_zp', q, shift(c.zps[1], q))
    .scalar('c_scale', 'float32', cScale)
    .scalar('c_zp', q, shift(c.zps[2], q))
    .msNode(op, ['a', 'a_scale', 'a_zp', 'b', 'b_scale', 'b_zp', 'c_scale', 'c_zp'], ['y'])
    .output('y', q)
    .build();
  return {
    model,
    feeds: { a: randomIntTensor(q, aShape, c.seed), b: randomIntTensor(q, bShape, c.seed + 1) },
  };
}

const unaryArb = fc.record({
  q: qtypeArb,
  xScale: scaleArb(-6, -2),
  xZp: fc.integer({ min: 0, max: 255 }),
  yScale: scaleArb(-9, -3),
  yZp: fc.integer({ min: 0, max: 255 }),
  alpha: fc.oneof(fc.constant(0.01), fc.double({ min: 0, max: 1, noNaN: true }).map(Math.fround)),
  seed: seedArb,
});

function unaryModel(op: 'QLinearSigmoid' | 'QLinearLeakyRelu', c: ValueOf<typeof unaryArb>) {
  const q = c.q;
  const x = allCodesThenRandom(q, 64, c.seed);
  const attrs: Record<string, Attr> = op === 'QLinearLeakyRelu' ? { alpha: A.float(c.alpha) } : {};
  // sigmoid's output lies in (0, 1): use a [0, 1]-sized output range, placed by the zero point
  const yScale = op === 'QLinearSigmoid' ? Math.fround((c.yScale * 2 ** 3) / 4) : c.yScale;
  const model = new ModelBuilder()
    .input('x', q, x.shape)
    .scalar('x_scale', 'float32', c.xScale)
    .scalar('x_zp', q, shift(c.xZp, q))
    .scalar('y_scale', 'float32', yScale)
    .scalar('y_zp', q, shift(c.yZp, q))
    .msNode(op, ['x', 'x_scale', 'x_zp', 'y_scale', 'y_zp'], ['y'], attrs)
    .output('y', q)
    .build();
  return { model, feeds: { x } };
}

const poolArb = fc.record({
  q: qtypeArb,
  n: fc.integer({ min: 1, max: 2 }),
  c: fc.integer({ min: 1, max: 16 }),
  hw: fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 })),
  kernel: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
  strides: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
  pads: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
  countIncludePad: fc.boolean(),
  ceilMode: fc.boolean(),
  channelsLast: fc.boolean(),
  xScale: scaleArb(-8, -2),
  yScaleLog2: fc.double({ min: -1, max: 1, noNaN: true }),
  xZp: fc.integer({ min: 0, max: 255 }),
  yZp: fc.integer({ min: 0, max: 255 }),
  seed: seedArb,
});

function poolModel(
  op: 'QLinearAveragePool' | 'QLinearGlobalAveragePool',
  c: ValueOf<typeof poolArb>,
) {
  const q = c.q;
  const kernel = c.kernel.map((k, i) => Math.min(k, c.hw[i]));
  // ONNX / ORT require pads smaller than the kernel
  const pads = c.pads.map((p, i) => Math.min(p, kernel[i % 2] - 1));
  const xShape = c.channelsLast ? [c.n, ...c.hw, c.c] : [c.n, c.c, ...c.hw];
  // count_include_pad with a ceil_mode window hanging past the padded edge is included: the reference's
  // QLinearAveragePool follows onnxruntime's divisor there (pinned down separately below).
  const ceilMode = c.ceilMode;
  const attrs: Record<string, Attr> =
    op === 'QLinearAveragePool'
      ? {
          kernel_shape: A.ints(kernel),
          strides: A.ints(c.strides),
          pads: A.ints(pads),
          count_include_pad: A.int(c.countIncludePad ? 1 : 0),
          ceil_mode: A.int(ceilMode ? 1 : 0),
          channels_last: A.int(c.channelsLast ? 1 : 0),
        }
      : { channels_last: A.int(c.channelsLast ? 1 : 0) };
  const model = new ModelBuilder()
    .input('x', q, xShape)
    .scalar('x_scale', 'float32', c.xScale)
    .scalar('x_zp', q, shift(c.xZp, q))
    .scalar('y_scale', 'float32', Math.fround(c.xScale * 2 ** c.yScaleLog2))
    .scalar('y_zp', q, shift(c.yZp, q))
    .msNode(op, ['x', 'x_scale', 'x_zp', 'y_scale', 'y_zp'], ['y'], attrs)
    .output('y', q)
    .build();
  return { model, feeds: { x: randomIntTensor(q, xShape, c.seed) } };
}

const concatArb = fc.record({
  q: qtypeArb,
  shape: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
  axisPick: fc.nat(3),
  parts: fc.array(
    fc.record({
      len: fc.integer({ min: 1, max: 5 }),
      /** same (scale, zp) as the output: ORT copies the bytes instead of requantizing */
      sameAsOutput: fc.boolean(),
      scale: scaleArb(-8, -2),
      zp: fc.integer({ min: 0, max: 255 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  yScale: scaleArb(-8, -2),
  yZp: fc.integer({ min: 0, max: 255 }),
  seed: seedArb,
});

function concatModel(c: ValueOf<typeof concatArb>) {
  const q = c.q;
  const axis = c.axisPick % c.shape.length;
  const b = new ModelBuilder()
    .scalar('y_scale', 'float32', c.yScale)
    .scalar('y_zp', q, shift(c.yZp, q));
  const inputs = ['y_scale', 'y_zp'];
  const feeds: Record<string, Tensor> = {};
  c.parts.forEach((p, i) => {
    const shape = c.shape.map((d, j) => (j === axis ? p.len : d));
    b.input(`x${i}`, q, shape)
      .scalar(`s${i}`, 'float32', p.sameAsOutput ? c.yScale : p.scale)
      .scalar(`z${i}`, q, shift(p.sameAsOutput ? c.yZp : p.zp, q));
    inputs.push(`x${i}`, `s${i}`, `z${i}`);
    feeds[`x${i}`] = randomIntTensor(q, shape, c.seed + i);
  });
  b.msNode('QLinearConcat', inputs, ['y'], { axis: A.int(axis) }).output('y', q);
  return { model: b.build(), feeds };
}

/** QDQ Add / Sigmoid: DQ inputs -> float op -> Q; ORT fuses uint8 groups into QLinearAdd / QLinearSigmoid. */
function qdqModel(op: 'Add' | 'Sigmoid', c: ValueOf<typeof binaryArb>) {
  const q = c.q;
  const [aShape, bShape] = c.shapes;
  const b = new ModelBuilder()
    .input('a', q, aShape)
    .scalar('a_scale', 'float32', c.aScale)
    .scalar('a_zp', q, shift(c.zps[0], q))
    .node('DequantizeLinear', ['a', 'a_scale', 'a_zp'], ['a_f']);
  const feeds: Record<string, Tensor> = { a: randomIntTensor(q, aShape, c.seed) };
  let yScale: number;
  if (op === 'Add') {
    b.input('b', q, bShape)
      .scalar('b_scale', 'float32', c.bScale)
      .scalar('b_zp', q, shift(c.zps[1], q))
      .node('DequantizeLinear', ['b', 'b_scale', 'b_zp'], ['b_f'])
      .node('Add', ['a_f', 'b_f'], ['y_f']);
    feeds.b = randomIntTensor(q, bShape, c.seed + 1);
    yScale = Math.fround((c.aScale + c.bScale) * 2 ** c.yRangeLog2);
  } else {
    b.node('Sigmoid', ['a_f'], ['y_f']);
    yScale = Math.fround(2 ** (-8 + c.yRangeLog2));
  }
  b.scalar('y_scale', 'float32', yScale)
    .scalar('y_zp', q, shift(c.zps[2], q))
    .node('QuantizeLinear', ['y_f', 'y_scale', 'y_zp'], ['y'])
    .output('y', q);
  return { model: b.build(), feeds };
}

describe('quantized element-wise / LUT / pooling ops: reference vs onnxruntime CPU (within 1 LSB)', () => {
  afterAll(() => {
    for (const t of tallies.values()) console.log(t.summary());
  });

  for (const op of ['QLinearAdd', 'QLinearMul'] as const) {
    it(`${op} (with broadcasting)`, async () => {
      await fc.assert(
        fc.asyncProperty(binaryArb, async (c) => {
          const { model, feeds } = binaryModel(op, c);
          await within1(op, model, feeds, c.q);
        }),
        { seed: 0x5eed05, numRuns: RUNS },
      );
    });
  }

  for (const op of ['QLinearSigmoid', 'QLinearLeakyRelu'] as const) {
    it(`${op} (all 256 codes)`, async () => {
      await fc.assert(
        fc.asyncProperty(unaryArb, async (c) => {
          const { model, feeds } = unaryModel(op, c);
          await within1(op, model, feeds, c.q);
        }),
        { seed: 0x5eed06, numRuns: RUNS },
      );
    });
  }

  for (const op of ['QLinearGlobalAveragePool', 'QLinearAveragePool'] as const) {
    it(`${op} (NCHW and channels_last)`, async () => {
      await fc.assert(
        fc.asyncProperty(poolArb, async (c) => {
          const { model, feeds } = poolModel(op, c);
          await within1(op, model, feeds, c.q);
        }),
        { seed: 0x5eed07, numRuns: RUNS },
      );
    });
  }

  // Demonstrates the ORT split excluded above: x = [10, 20, 90], kernel 3, stride 2, right pad 1, ceil_mode 1,
  // count_include_pad 1. The second window covers x[2], the pad and one column beyond the padded input.
  // ORT AveragePool (float, and the ONNX spec) gives 90 / 2 = 45; ORT QLinearAveragePool gives 90 / 3 = 30.
  // com.microsoft.QLinearAveragePool is onnxruntime's op, so the reference follows onnxruntime's divisor
  // (docs/semantics.md); the float AveragePool kernel keeps the ONNX result.
  it('QLinearAveragePool: an overhanging ceil_mode window is divided by the full kernel, as onnxruntime does', async () => {
    const attrs = {
      kernel_shape: A.ints([1, 3]),
      strides: A.ints([1, 2]),
      pads: A.ints([0, 0, 0, 1]),
      count_include_pad: A.int(1),
      ceil_mode: A.int(1),
    };
    const model = new ModelBuilder()
      .input('x', 'uint8', [1, 1, 1, 3])
      .scalar('x_scale', 'float32', 0.25)
      .scalar('x_zp', 'uint8', 0)
      .scalar('y_scale', 'float32', 0.25)
      .scalar('y_zp', 'uint8', 0)
      .msNode('QLinearAveragePool', ['x', 'x_scale', 'x_zp', 'y_scale', 'y_zp'], ['y'], attrs)
      .output('y', 'uint8')
      .build();
    const feeds = { x: tensor('uint8', [1, 1, 1, 3], [10, 20, 90]) };
    const theirs = (await runOrt(model, feeds, ortOptionsFor('uint8'))).y;
    const ours = runModel(model, feeds, { mode: 'float' }).y;
    expect(toNumbers(ours)).toEqual([40, 30]);
    expect(toNumbers(theirs)).toEqual(toNumbers(ours));
  });

  it('QLinearConcat (requantized and copied inputs)', async () => {
    await fc.assert(
      fc.asyncProperty(concatArb, async (c) => {
        const { model, feeds } = concatModel(c);
        await within1('QLinearConcat', model, feeds, c.q);
      }),
      { seed: 0x5eed08, numRuns: RUNS },
    );
  });

  for (const op of ['Add', 'Sigmoid'] as const) {
    it(`QDQ ${op}`, async () => {
      await fc.assert(
        fc.asyncProperty(binaryArb, async (c) => {
          const { model, feeds } = qdqModel(op, c);
          const { outputs, plan } = await runOrtWithPlan(model, feeds, ortOptionsFor(c.q));
          const fused = !plan.includes('QuantizeLinear');
          const ours = runModel(model, feeds, { mode: 'float' }).y;
          record(
            `QDQ ${op} ${c.q} (${fused ? `fused: ${plan.join(' ')}` : 'float in ORT'})`,
            ours,
            outputs.y,
          );
        }),
        { seed: 0x5eed09, numRuns: RUNS },
      );
    });
  }
});
