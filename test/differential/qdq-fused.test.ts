// Differential test: QDQ Conv / MatMul / Gemm (DQ -> op [-> Relu] -> Q, int8 weight initializer, int32 bias via
// DQ with scale x_scale * w_scale) in the reference interpreter (QDQ lowering, 'float' mode) vs onnxruntime CPU.
// At graphOptimizationLevel 'all' ORT fuses such groups into QLinearConv / QLinearMatMul / QGemm (Relu only when
// y_zp == qmin; int8 activations not at all on x86), which is integer math + float32 requant: there the outputs
// must be IDENTICAL. Groups ORT leaves unfused run as a float op + QuantizeLinear, whose float accumulation can
// land on the other side of a rounding boundary: there |diff| <= 1 and the exact-match rate is logged.
// Whether a case was fused is read from the optimized graph ORT saves, not guessed.

import fc from 'fast-check';
import type * as ort from 'onnxruntime-node';
import seedrandom from 'seedrandom';
import { afterAll, describe, expect, it } from 'vitest';
import { INT_RANGE } from '../../common/tensor.js';
import type { Tensor } from '../../common/tensor.js';
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
import {
  MatchTally,
  ORT_OPTIONS,
  ORT_OPTIONS_S8,
  describeDiff,
  diffTensors,
  runOrtWithPlan,
} from '../helpers/ort.js';

type QdqOp = 'Conv' | 'MatMul' | 'Gemm';

interface QdqCase {
  op: QdqOp;
  geom: ConvGeometry;
  /** MatMul / Gemm: x is [m, k], weights [k, n] (MatMul) or [n, k] with transB = 1 (Gemm). */
  m: number;
  k: number;
  n: number;
  qtype: QType;
  xScale: number;
  wScale: number;
  perChannel: boolean;
  bias: boolean;
  relu: boolean;
  /** With Relu, half of the cases put y_zp at qmin (the only case ORT fuses). */
  yZpAtQmin: boolean;
  xZpRaw: number;
  yZpRaw: number;
  yRangeLog2: number;
  seed: number;
}

const caseArb: fc.Arbitrary<QdqCase> = fc.record({
  op: fc.constantFrom<QdqOp>('Conv', 'MatMul', 'Gemm'),
  geom: convGeometryArb,
  m: fc.integer({ min: 1, max: 12 }),
  k: fc.integer({ min: 1, max: 40 }),
  n: fc.integer({ min: 1, max: 16 }),
  qtype: qtypeArb,
  xScale: scaleArb(-10, -2),
  wScale: scaleArb(-10, -2),
  perChannel: fc.boolean(),
  bias: fc.boolean(),
  relu: fc.boolean(),
  yZpAtQmin: fc.boolean(),
  xZpRaw: fc.integer({ min: 0, max: 255 }),
  yZpRaw: fc.integer({ min: 0, max: 255 }),
  yRangeLog2: fc.double({ min: -3, max: 1.5, noNaN: true }),
  seed: seedArb,
});

const shiftZp = (raw: number, q: QType): number => (q === 'int8' ? raw - 128 : raw);

function buildCase(c: QdqCase): {
  model: ReturnType<ModelBuilder['build']>;
  feeds: Record<string, Tensor>;
} {
  const q = c.qtype;
  const g = c.geom;
  const rng = seedrandom(`qdq-params:${c.seed}`);
  const xZp = shiftZp(c.xZpRaw, q);
  const yZp = c.relu && c.yZpAtQmin ? INT_RANGE[q][0] : shiftZp(c.yZpRaw, q);
  const outChannels = c.op === 'Conv' ? g.cOut : c.n;
  const reduction = c.op === 'Conv' ? convReduction(g) : c.k;
  const wScales = c.perChannel
    ? Array.from({ length: outChannels }, () => Math.fround(c.wScale * 2 ** (4 * rng() - 2)))
    : [c.wScale];

  const mid = (INT_RANGE[q][0] + INT_RANGE[q][1]) / 2;
  const accStd = Math.sqrt(reduction) * Math.sqrt(74 * 74 + (mid - xZp) ** 2) * 74;
  const yScale = Math.fround((c.xScale * c.wScale * accStd * 4 * 2 ** c.yRangeLog2) / 255);

  const xShape = c.op === 'Conv' ? [g.n, g.cIn, ...g.spatial] : [c.m, c.k];
  const wShape =
    c.op === 'Conv'
      ? [g.cOut, g.cIn / g.group, ...g.kernel]
      : c.op === 'MatMul'
        ? [c.k, c.n]
        : [c.n, c.k];
  // per-channel weight axis: output channels are dim 0 of Conv / Gemm(transB) weights, dim 1 of MatMul's
  const wAxis = c.op === 'MatMul' ? 1 : 0;

  const x = randomIntTensor(q, xShape, c.seed);
  const b = new ModelBuilder()
    .input('x', q, xShape)
    .scalar('x_scale', 'float32', c.xScale)
    .scalar('x_zp', q, xZp)
    .initializer('w', randomIntTensor('int8', wShape, c.seed + 1))
    .scalar('y_scale', 'float32', yScale)
    .scalar('y_zp', q, yZp)
    .node('DequantizeLinear', ['x', 'x_scale', 'x_zp'], ['x_f']);
  if (c.perChannel) {
    b.vector('w_scale', 'float32', wScales).vector(
      'w_zp',
      'int8',
      new Array<number>(outChannels).fill(0),
    );
    b.node('DequantizeLinear', ['w', 'w_scale', 'w_zp'], ['w_f'], { axis: A.int(wAxis) });
  } else {
    b.scalar('w_scale', 'float32', wScales[0]).scalar('w_zp', 'int8', 0);
    b.node('DequantizeLinear', ['w', 'w_scale', 'w_zp'], ['w_f']);
  }
  const opInputs = ['x_f', 'w_f'];
  if (c.bias && c.op !== 'MatMul') {
    const lim = Math.min(2 ** 30, Math.round(2 * accStd));
    b.initializer('bias', randomIntTensor('int32', [outChannels], c.seed + 2, -lim, lim));
    const biasScales = wScales.map((ws) => Math.fround(c.xScale * ws));
    if (c.perChannel)
      b.vector('bias_scale', 'float32', biasScales).vector(
        'bias_zp',
        'int32',
        new Array<number>(outChannels).fill(0),
      );
    else b.scalar('bias_scale', 'float32', biasScales[0]).scalar('bias_zp', 'int32', 0);
    b.node(
      'DequantizeLinear',
      ['bias', 'bias_scale', 'bias_zp'],
      ['bias_f'],
      c.perChannel ? { axis: A.int(0) } : {},
    );
    opInputs.push('bias_f');
  }
  if (c.op === 'Conv') {
    const attrs = {
      kernel_shape: A.ints(g.kernel),
      strides: A.ints(g.strides),
      dilations: A.ints(g.dilations),
      group: A.int(g.group),
      ...(g.autoPad === 'NOTSET' ? { pads: A.ints(g.pads) } : { auto_pad: A.string(g.autoPad) }),
    };
    b.node('Conv', opInputs, ['y_f'], attrs);
  } else if (c.op === 'MatMul') {
    b.node('MatMul', opInputs, ['y_f']);
  } else {
    b.node('Gemm', opInputs, ['y_f'], { transB: A.int(1) });
  }
  if (c.relu) b.node('Relu', ['y_f'], ['y_r']);
  b.node('QuantizeLinear', [c.relu ? 'y_r' : 'y_f', 'y_scale', 'y_zp'], ['y']).output('y', q);
  return { model: b.build(), feeds: { x } };
}

const FUSED_OPS = new Set([
  'QLinearConv',
  'com.microsoft:QLinearConv',
  'QLinearMatMul',
  'com.microsoft:QGemm',
]);

const tallies = new Map<string, MatchTally>();
function tally(label: string): MatchTally {
  let t = tallies.get(label);
  if (t === undefined) tallies.set(label, (t = new MatchTally(label)));
  return t;
}

describe('QDQ Conv / MatMul / Gemm: reference (QDQ lowering) vs onnxruntime CPU', () => {
  afterAll(() => {
    for (const t of [...tallies.values()].sort((a, b) => a.label.localeCompare(b.label)))
      console.log(t.summary());
  });

  /** One run: identical where ORT's optimized graph has the integer op, within 1 LSB elsewhere. */
  async function check(
    c: QdqCase,
    options: ort.InferenceSession.SessionOptions,
    tag: string,
  ): Promise<void> {
    const { model, feeds } = buildCase(c);
    const { outputs, plan } = await runOrtWithPlan(model, feeds, options);
    const ours = runModel(model, feeds, { mode: 'float' }).y;
    const d = diffTensors(ours, outputs.y);
    // fused = an integer op is in the plan and no QuantizeLinear is left after a float op
    const fused = plan.some((p) => FUSED_OPS.has(p)) && !plan.includes('QuantizeLinear');
    const label = `QDQ ${c.op}${c.relu ? '+Relu' : ''} ${c.qtype}${tag} (${fused ? 'fused' : 'float in ORT'})`;
    tally(label).add(d);
    const where = `${describeDiff(d)}; ORT plan: ${plan.join(' ')}`;
    if (fused && d.exact !== d.count) throw new Error(`${label}: not identical: ${where}`);
    if (d.maxDiff > 1) throw new Error(`${label}: differs by more than 1: ${where}`);
  }

  it('is identical where ORT fuses into an integer op, within 1 LSB where it runs in float', async () => {
    await fc.assert(
      fc.asyncProperty(caseArb, (c) => check(c, ORT_OPTIONS, '')),
      { seed: 0x5eed03, numRuns: 150 },
    );
    // the fused path must actually be exercised, or the exact half of this test proves nothing
    expect([...tallies.keys()].some((k) => k.includes('fused'))).toBe(true);
  });

  // x86 ORT never fuses int8-activation QDQ groups unless told to (QDQIsInt8Allowed() is false off ARM); with
  // session.qdqisint8allowed=1 it does, which is how ARM runs them, and then the result must be identical too.
  it('is identical for int8 groups fused with session.qdqisint8allowed=1', async () => {
    const options = { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } };
    const int8Arb = caseArb.map((c): QdqCase => ({ ...c, qtype: 'int8' }));
    await fc.assert(
      fc.asyncProperty(int8Arb, (c) => check(c, options, ' int8allowed')),
      { seed: 0x5eed0a, numRuns: 60 },
    );
    expect([...tallies.keys()].some((k) => k.includes('int8allowed (fused)'))).toBe(true);
  });
});
