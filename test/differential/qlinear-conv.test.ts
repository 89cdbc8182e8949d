// Differential test: QLinearConv in the reference interpreter ('float' requant mode) vs onnxruntime CPU.
// ORT's QLinearConv is integer convolution + MlasRequantizeOutput (float32 multiplier, RHE), which the
// reference claims to reproduce bit for bit; so every output integer must be IDENTICAL, over random
// geometry (groups, depthwise, strides, asymmetric pads, dilations, auto_pad), dtypes, scales and zero points.

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { INT_RANGE, tensor, toNumbers } from '../../common/tensor.js';
import { runModel } from '../../reference/interpreter.js';
import {
  type ConvGeometry,
  type QType,
  convGeometryArb,
  convReduction,
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
} from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { ORT_OPTIONS, describeDiff, diffTensors, ortOptionsFor, runOrt } from '../helpers/ort.js';

interface ConvCase {
  geom: ConvGeometry;
  qtype: QType;
  xScale: number;
  wScale: number;
  perChannel: boolean;
  /** Zero points drawn as 0..255 and shifted for int8, so one record serves both dtypes. */
  xZpRaw: number;
  yZpRaw: number;
  /** log2 of how much wider y's range is than ~4 sigma of the output: < 0 saturates often. */
  yRangeLog2: number;
  bias: boolean;
  wZpVector: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<ConvCase> = fc.record({
  geom: convGeometryArb,
  qtype: qtypeArb,
  xScale: scaleArb(-10, -2),
  wScale: scaleArb(-10, -2),
  perChannel: fc.boolean(),
  xZpRaw: fc.integer({ min: 0, max: 255 }),
  yZpRaw: fc.integer({ min: 0, max: 255 }),
  yRangeLog2: fc.double({ min: -3, max: 1.5, noNaN: true }),
  bias: fc.boolean(),
  wZpVector: fc.boolean(),
  seed: seedArb,
});

const shiftZp = (raw: number, q: QType): number => (q === 'int8' ? raw - 128 : raw);

function buildCase(c: ConvCase) {
  const g = c.geom;
  const q = c.qtype;
  const xZp = shiftZp(c.xZpRaw, q);
  const yZp = shiftZp(c.yZpRaw, q);
  const rng = seedrandom(`conv-params:${c.seed}`);
  const wScales = c.perChannel
    ? Array.from({ length: g.cOut }, () => Math.fround(c.wScale * 2 ** (4 * rng() - 2)))
    : [c.wScale];

  // rough output spread: sqrt(K) * rms(x - xzp) * rms(w), in accumulator units
  const mid = (INT_RANGE[q][0] + INT_RANGE[q][1]) / 2;
  const xRms = Math.sqrt(74 * 74 + (mid - xZp) ** 2);
  const accStd = Math.sqrt(convReduction(g)) * xRms * 74;
  const yScale = Math.fround((c.xScale * c.wScale * accStd * 4 * 2 ** c.yRangeLog2) / 255);

  const xShape = [g.n, g.cIn, ...g.spatial];
  const wShape = [g.cOut, g.cIn / g.group, ...g.kernel];
  const x = randomIntTensor(q, xShape, c.seed);
  const w = randomIntTensor('int8', wShape, c.seed + 1);
  const b = new ModelBuilder()
    .input('x', q, xShape)
    .scalar('x_scale', 'float32', c.xScale)
    .scalar('x_zp', q, xZp)
    .initializer('w', w)
    .scalar('y_scale', 'float32', yScale)
    .scalar('y_zp', q, yZp);
  if (c.perChannel) b.vector('w_scale', 'float32', wScales);
  else b.scalar('w_scale', 'float32', wScales[0]);
  if (c.wZpVector) b.vector('w_zp', 'int8', new Array<number>(g.cOut).fill(0));
  else b.scalar('w_zp', 'int8', 0);
  const inputs = ['x', 'x_scale', 'x_zp', 'w', 'w_scale', 'w_zp', 'y_scale', 'y_zp'];
  if (c.bias) {
    const lim = Math.min(2 ** 30, Math.round(2 * accStd));
    b.initializer('bias', randomIntTensor('int32', [g.cOut], c.seed + 2, -lim, lim));
    inputs.push('bias');
  }
  const attrs = {
    kernel_shape: A.ints(g.kernel),
    strides: A.ints(g.strides),
    dilations: A.ints(g.dilations),
    group: A.int(g.group),
    ...(g.autoPad === 'NOTSET' ? { pads: A.ints(g.pads) } : { auto_pad: A.string(g.autoPad) }),
  };
  b.node('QLinearConv', inputs, ['y'], attrs).output('y', q);
  return { model: b.build(), feeds: { x } };
}

describe('QLinearConv: reference (float requant) vs onnxruntime CPU', () => {
  it('gives identical integers', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, async (c) => {
        const { model, feeds } = buildCase(c);
        const theirs = (await runOrt(model, feeds, ortOptionsFor(c.qtype))).y;
        const ours = runModel(model, feeds, { mode: 'float' }).y;
        const d = diffTensors(ours, theirs);
        if (d.exact !== d.count) throw new Error(`QLinearConv mismatch: ${describeDiff(d)}`);
      }),
      { seed: 0x5eed01, numRuns: 150 },
    );
  });

  // ORT limitation, not ours: with x64quantprecision=1 an int8-activation QLinearConv whose int8 weights leave
  // [-64, 64] gets its weights rewritten to uint8 and then has no kernel. Int8 cases above therefore run
  // without that option (ortOptionsFor). If this starts passing, ORT fixed it and ORT_OPTIONS_S8 can go.
  it.fails(
    'onnxruntime 1.30 cannot create an int8 QLinearConv session with x64quantprecision=1 (|w| > 64)',
    async () => {
      const x = tensor('int8', [1, 1, 1, 1], [1]);
      const model = new ModelBuilder()
        .input('x', 'int8', [1, 1, 1, 1])
        .scalar('x_scale', 'float32', 1)
        .scalar('x_zp', 'int8', 0)
        .initializer('w', tensor('int8', [1, 1, 1, 1], [100]))
        .scalar('w_scale', 'float32', 1)
        .scalar('w_zp', 'int8', 0)
        .scalar('y_scale', 'float32', 1)
        .scalar('y_zp', 'int8', 0)
        .node(
          'QLinearConv',
          ['x', 'x_scale', 'x_zp', 'w', 'w_scale', 'w_zp', 'y_scale', 'y_zp'],
          ['y'],
        )
        .output('y', 'int8')
        .build();
      const y = (await runOrt(model, { x }, ORT_OPTIONS)).y;
      expect(toNumbers(y)).toEqual([100]);
    },
  );
});
