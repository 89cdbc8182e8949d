// QDQ lowering, execution: a lowered QDQ group computes exactly what the hand-written QOperator graph computes
// (conv-like ops, element-wise, pools, concat), and tables / data movement equal the literal DQ → float op → Q path.

import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE, tensor } from '../../common/tensor.js';
import type { Attr, Model } from '../../onnx/graph.js';
import { prepareModel, runModel } from '../../reference/interpreter.js';
import {
  type QType,
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
} from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { QdqBuilder, opTypes } from '../helpers/qdq-builders.js';

const zpFor = (q: QType, u: number): number => INT_RANGE[q][0] + Math.floor(u * 256);
const lowered = (m: Model): string[] => opTypes(prepareModel(m).model);

function sameTensor(a: Tensor | undefined, b: Tensor | undefined): void {
  expect(a?.dtype).toBe(b?.dtype);
  expect(a?.shape).toEqual(b?.shape);
  expect([...(a?.data ?? [])]).toEqual([...(b?.data ?? [])]);
}

/** The tensor clamped to [lo, hi] (an independent statement of what a fused Relu / Clip must do). */
const clamp = (t: Tensor, lo: number, hi: number): Tensor => ({
  ...t,
  data: (t.data as Int8Array).map((v) => Math.min(Math.max(v, lo), hi)),
});

interface ConvCase {
  op: 'Conv' | 'MatMul' | 'Gemm';
  q: QType;
  xs: number;
  ws: number;
  perChannel: boolean;
  bias: boolean;
  act: 'none' | 'relu' | 'clip';
  seed: number;
}

const convCaseArb: fc.Arbitrary<ConvCase> = fc.record({
  op: fc.constantFrom<ConvCase['op']>('Conv', 'MatMul', 'Gemm'),
  q: qtypeArb,
  xs: scaleArb(-8, -3),
  ws: scaleArb(-8, -3),
  perChannel: fc.boolean(),
  bias: fc.boolean(),
  act: fc.constantFrom<ConvCase['act']>('none', 'relu', 'clip'),
  seed: seedArb,
});

/** The QDQ model of a case and its QOperator twin (same initializers), plus the clamp the activation implies. */
function convPair(c: ConvCase): {
  qdq: Model;
  qop: Model;
  x: Tensor;
  lo: number;
  hi: number;
  yq: QType;
} {
  const rng = seedrandom(`conv-pair:${c.seed}`);
  const cout = 3;
  const k = 4;
  const xShape = c.op === 'Conv' ? [1, 2, 3, 3] : [2, k];
  const wShape = c.op === 'Conv' ? [cout, 2, 2, 2] : c.op === 'MatMul' ? [k, cout] : [cout, k];
  const wAxis = c.op === 'MatMul' ? 1 : 0;
  const ws = c.perChannel
    ? Array.from({ length: cout }, () => Math.fround(c.ws * 2 ** (2 * rng() - 1)))
    : [c.ws];
  const xZp = zpFor(c.q, rng());
  const yScale = Math.fround(c.xs * c.ws * 40);
  const yZp = zpFor(c.q, rng());
  const x = randomIntTensor(c.q, xShape, c.seed);
  const w = randomIntTensor('int8', wShape, c.seed + 1);
  const bias = randomIntTensor('int32', [cout], c.seed + 2, -3000, 3000);
  const useBias = c.bias && c.op !== 'MatMul';
  const bScales = ws.map((s) => Math.fround(c.xs * s));

  const b = new QdqBuilder().dqInput('x', c.q, xShape, c.xs, xZp);
  const wsArg = c.perChannel ? ws : ws[0];
  const zArg = c.perChannel ? ws.map(() => 0) : 0;
  b.dqConst('w', w, wsArg, zArg, c.perChannel ? wAxis : undefined);
  const ins = ['x', 'w'];
  if (useBias) {
    b.dqConst(
      'b',
      bias,
      c.perChannel ? bScales : bScales[0],
      c.perChannel ? bScales.map(() => 0) : 0,
      c.perChannel ? 0 : undefined,
    );
    ins.push('b');
  }
  const attrs: Record<string, Attr> =
    c.op === 'Conv' ? { pads: A.ints([1, 0, 0, 1]) } : c.op === 'Gemm' ? { transB: A.int(1) } : {};
  b.node(c.op, ins, ['y'], attrs);
  const [qmin, qmax] = INT_RANGE[c.q];
  let lo: number = qmin;
  let hi: number = qmax;
  let out = 'y';
  if (c.act === 'relu') {
    b.node('Relu', ['y'], ['ya']);
    out = 'ya';
    lo = yZp;
  } else if (c.act === 'clip') {
    // bounds on exact quantization steps (k + 0.25) * y_scale, so Q(bound) is unambiguous
    const qlo = Math.floor(rng() * 40) - 20;
    const qhi = qlo + 10 + Math.floor(rng() * 40);
    b.scalar('lo', 'float32', (qlo + 0.25) * yScale).scalar('hi', 'float32', (qhi + 0.25) * yScale);
    b.node('Clip', ['y', 'lo', 'hi'], ['ya']);
    out = 'ya';
    lo = Math.min(Math.max(qlo + yZp, qmin), qmax);
    hi = Math.min(Math.max(qhi + yZp, qmin), qmax);
  }
  b.q(out, 'yq', c.q, yScale, yZp);

  const o = new ModelBuilder().input('x_q', c.q, xShape).initializer('w_q', w);
  o.scalar('xs', 'float32', c.xs)
    .scalar('xz', c.q, xZp)
    .scalar('ys', 'float32', yScale)
    .scalar('yz', c.q, yZp);
  if (c.perChannel)
    o.vector('ws', 'float32', ws).vector(
      'wz',
      'int8',
      ws.map(() => 0),
    );
  else o.scalar('ws', 'float32', ws[0]).scalar('wz', 'int8', 0);
  o.initializer('bq', bias);
  const common = ['x_q', 'xs', 'xz', 'w_q', 'ws', 'wz'];
  if (c.op === 'Conv')
    o.node('QLinearConv', [...common, 'ys', 'yz', ...(useBias ? ['bq'] : [])], ['yq'], attrs);
  else if (c.op === 'MatMul') o.node('QLinearMatMul', [...common, 'ys', 'yz'], ['yq']);
  else o.msNode('QGemm', [...common, useBias ? 'bq' : '', 'ys', 'yz'], ['yq'], attrs);
  o.output('yq', c.q);
  return { qdq: b.build(), qop: o.build(), x, lo, hi, yq: c.q };
}

describe('QDQ Conv / MatMul / Gemm run exactly as QLinearConv / QLinearMatMul / QGemm', () => {
  it('matches the QOperator graph, with a fused Relu / Clip equal to clamping its output', () => {
    fc.assert(
      fc.property(convCaseArb, (c) => {
        const { qdq, qop, x, lo, hi } = convPair(c);
        const ops = lowered(qdq);
        expect(
          ops.some((t) => ['QLinearConv', 'QLinearMatMul', 'com.microsoft:QGemm'].includes(t)),
        ).toBe(true);
        expect(ops).not.toContain('DequantizeLinear');
        const ours = runModel(qdq, { x_q: x }).yq;
        const ref = runModel(qop, { x_q: x }).yq;
        sameTensor(ours, clamp(ref, lo, hi));
      }),
      { seed: 0x0dd1, numRuns: 60 },
    );
  });
});

describe('QDQ Add / Mul / pools / Concat run exactly as the com.microsoft QLinear ops', () => {
  it('matches QLinearAdd, QLinearMul, QLinearGlobalAveragePool, QLinearAveragePool and QLinearConcat', () => {
    fc.assert(
      fc.property(
        qtypeArb,
        scaleArb(-6, -1),
        scaleArb(-6, -1),
        scaleArb(-6, -1),
        seedArb,
        (q, sa, sb, sy, seed) => {
          const rng = seedrandom(`elt:${seed}`);
          const [za, zb, zy] = [zpFor(q, rng()), zpFor(q, rng()), zpFor(q, rng())];
          const shape = [1, 2, 3, 3];
          const a = randomIntTensor(q, shape, seed);
          const bT = randomIntTensor(q, shape, seed + 1);
          const m = new QdqBuilder().dqInput('a', q, shape, sa, za).dqInput('b', q, shape, sb, zb);
          m.node('Add', ['a', 'b'], ['s']).q('s', 'sq', q, sy, zy);
          m.node('Mul', ['a', 'b'], ['p']).q('p', 'pq', q, sy, zy);
          m.node('GlobalAveragePool', ['a'], ['g']).q('g', 'gq', q, sy, zy);
          const pool = {
            kernel_shape: A.ints([2, 2]),
            pads: A.ints([1, 1, 0, 0]),
            count_include_pad: A.int(1),
          };
          m.node('AveragePool', ['a'], ['ap'], pool).q('ap', 'apq', q, sy, zy);
          m.node('Concat', ['a', 'b'], ['cc'], { axis: A.int(1) }).q('cc', 'ccq', q, sy, zy);
          const o = new ModelBuilder().input('a_q', q, shape).input('b_q', q, shape);
          o.scalar('sa', 'float32', sa)
            .scalar('za', q, za)
            .scalar('sb', 'float32', sb)
            .scalar('zb', q, zb);
          o.scalar('sy', 'float32', sy).scalar('zy', q, zy);
          o.msNode('QLinearAdd', ['a_q', 'sa', 'za', 'b_q', 'sb', 'zb', 'sy', 'zy'], ['sq']);
          o.msNode('QLinearMul', ['a_q', 'sa', 'za', 'b_q', 'sb', 'zb', 'sy', 'zy'], ['pq']);
          o.msNode('QLinearGlobalAveragePool', ['a_q', 'sa', 'za', 'sy', 'zy'], ['gq'], {
            channels_last: A.int(0),
          });
          o.msNode('QLinearAveragePool', ['a_q', 'sa', 'za', 'sy', 'zy'], ['apq'], {
            ...pool,
            channels_last: A.int(0),
          });
          o.msNode('QLinearConcat', ['sy', 'zy', 'a_q', 'sa', 'za', 'b_q', 'sb', 'zb'], ['ccq'], {
            axis: A.int(1),
          });
          const outs = ['sq', 'pq', 'gq', 'apq', 'ccq'];
          for (const n of outs) o.output(n, q);
          const qdq = m.build();
          expect(
            lowered(qdq).filter((t) => t === 'DequantizeLinear' || t === 'QuantizeLinear'),
          ).toEqual([]);
          const ours = runModel(qdq, { a_q: a, b_q: bT });
          const ref = runModel(o.build(), { a_q: a, b_q: bT });
          for (const n of outs) sameTensor(ours[n], ref[n]);
        },
      ),
      { seed: 0x0dd2, numRuns: 40 },
    );
  });
});

/** Every code of the dtype, in a [1, 1, 16, 16] tensor. */
const allCodes = (q: QType): Tensor =>
  tensor(
    q,
    [1, 1, 16, 16],
    Array.from({ length: 256 }, (_, i) => INT_RANGE[q][0] + i),
  );

describe('QDQ tables and data movement equal the literal DQ → float op → Q path', () => {
  const UNARY: [string, Record<string, ReturnType<typeof A.float>>][] = [
    ['Relu', {}],
    ['Clip', {}],
    ['LeakyRelu', { alpha: A.float(0.1) }],
    ['HardSigmoid', { alpha: A.float(0.2), beta: A.float(0.4) }],
    ['HardSwish', {}],
    ['Sigmoid', {}],
    ['Tanh', {}],
  ];
  it.each(UNARY)('%s: npu.ref:QLinearLut is bit-identical for every input code', (op, attrs) => {
    fc.assert(
      fc.property(
        qtypeArb,
        qtypeArb,
        scaleArb(-8, 0),
        scaleArb(-8, 0),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (qi, qo, si, so, ui, uo) => {
          const b = new QdqBuilder().dqInput('x', qi, [1, 1, 16, 16], si, zpFor(qi, ui));
          const ins = ['x'];
          if (op === 'Clip') {
            b.scalar('lo', 'float32', -3 * si).scalar('hi', 'float32', 20 * si);
            ins.push('lo', 'hi');
          }
          b.node(op, ins, ['y'], attrs).q('y', 'yq', qo, so, zpFor(qo, uo));
          const m = b.build();
          expect(lowered(m)).toEqual(['npu.ref:QLinearLut']);
          const feeds = { x_q: allCodes(qi) };
          sameTensor(runModel(m, feeds).yq, runModel(m, feeds, { literalQdq: true }).yq);
        },
      ),
      { seed: 0x0dd3, numRuns: 25 },
    );
  });

  it('runs data-movement ops on integers, requantizing exactly when Q differs from DQ', () => {
    fc.assert(
      fc.property(
        qtypeArb,
        qtypeArb,
        scaleArb(-8, 0),
        fc.boolean(),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (qi, qo, so, same, u) => {
          const si = 0.05;
          const zi = zpFor(qi, u);
          const [oq, os, oz] = same ? [qi, si, zi] : [qo, so, zpFor(qo, 1 - u)];
          const b = new QdqBuilder().dqInput('x', qi, [1, 1, 16, 16], si, zi);
          b.node('Transpose', ['x'], ['t'], { perm: A.ints([0, 1, 3, 2]) }).q(
            't',
            'tq',
            oq,
            os,
            oz,
          );
          b.node('MaxPool', ['x'], ['mp'], {
            kernel_shape: A.ints([3, 3]),
            pads: A.ints([1, 1, 1, 1]),
          }).q('mp', 'mpq', oq, os, oz);
          b.initializer('pads', tensor('int64', [8], [0, 0, 1, 2, 0, 0, 2, 1]));
          b.node('Pad', ['x', 'pads'], ['pd']).q('pd', 'pdq', oq, os, oz);
          b.initializer('shape', tensor('int64', [2], [16, 16]));
          b.node('Reshape', ['x', 'shape'], ['r']).q('r', 'rq', oq, os, oz);
          b.initializer('idx', tensor('int64', [3], [5, 0, 5]));
          b.node('Gather', ['x', 'idx'], ['g'], { axis: A.int(2) }).q('g', 'gq', oq, os, oz);
          b.initializer('split', tensor('int64', [2], [6, 10]));
          b.node('Split', ['x', 'split'], ['s0', 's1'], { axis: A.int(3) })
            .q('s0', 's0q', oq, os, oz)
            .q('s1', 's1q', oq, os, oz);
          const m = b.build();
          const ops = lowered(m);
          expect(ops.filter((t) => t === 'DequantizeLinear' || t === 'QuantizeLinear')).toEqual([]);
          expect(ops.filter((t) => t === 'npu.ref:QLinearLut').length).toBe(same ? 0 : 7);
          const feeds = { x_q: allCodes(qi) };
          const ours = runModel(m, feeds);
          const literal = runModel(m, feeds, { literalQdq: true });
          for (const n of ['tq', 'mpq', 'pdq', 'rq', 'gq', 's0q', 's1q'])
            sameTensor(ours[n], literal[n]);
        },
      ),
      { seed: 0x0dd4, numRuns: 25 },
    );
  });
});
