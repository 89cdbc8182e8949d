// QDQ lowering vs onnxruntime CPU on groups whose float path is exact (Relu, Clip, LeakyRelu, HardSigmoid, HardSwish
// tables; data movement): whether ORT fuses them or runs DQ → op → Q in float, the result must be identical.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE, tensor } from '../../common/tensor.js';
import seedrandom from 'seedrandom';
import { prepareModel, runModel } from '../../reference/interpreter.js';
import {
  type QType,
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
} from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import { describeDiff, diffTensors, ortOptionsFor, runOrt } from '../helpers/ort.js';
import { QdqBuilder, opTypes } from '../helpers/qdq-builders.js';

const zpFor = (q: QType, u: number): number => INT_RANGE[q][0] + Math.floor(u * 256);
const allCodes = (q: QType): Tensor =>
  tensor(
    q,
    [1, 1, 16, 16],
    Array.from({ length: 256 }, (_, i) => INT_RANGE[q][0] + i),
  );
const unit = fc.double({ min: 0, max: 0.999, noNaN: true });

describe('QDQ tables and data movement: reference vs onnxruntime', () => {
  it('is identical for Relu, Clip, LeakyRelu, HardSigmoid, HardSwish and data movement, within 1 for Sigmoid / Tanh', async () => {
    await fc.assert(
      fc.asyncProperty(
        qtypeArb,
        scaleArb(-8, 0),
        scaleArb(-8, 0),
        unit,
        unit,
        async (q, si, so, ui, uo) => {
          const zi = zpFor(q, ui);
          const zo = zpFor(q, uo);
          const b = new QdqBuilder().dqInput('x', q, [1, 1, 16, 16], si, zi);
          b.node('Relu', ['x'], ['r']).q('r', 'rq', q, so, zo);
          b.scalar('lo', 'float32', -5 * si).scalar('hi', 'float32', 30 * si);
          b.node('Clip', ['x', 'lo', 'hi'], ['c']).q('c', 'cq', q, so, zo);
          b.node('LeakyRelu', ['x'], ['l'], { alpha: A.float(0.1) }).q('l', 'lq', q, so, zo);
          b.node('Transpose', ['x'], ['t'], { perm: A.ints([0, 1, 3, 2]) }).q('t', 'tq', q, so, zo);
          b.node('MaxPool', ['x'], ['m'], {
            kernel_shape: A.ints([2, 2]),
            strides: A.ints([2, 2]),
          });
          b.q('m', 'mq', q, so, zo);
          b.initializer('pads', tensor('int64', [8], [0, 0, 1, 0, 0, 0, 0, 2]));
          b.node('Pad', ['x', 'pads'], ['p']).q('p', 'pq', q, so, zo);
          b.initializer('idx', tensor('int64', [2], [3, 1]));
          b.node('Gather', ['x', 'idx'], ['g'], { axis: A.int(3) }).q('g', 'gq', q, so, zo);
          b.node('HardSigmoid', ['x'], ['hs'], { alpha: A.float(0.2), beta: A.float(0.4) });
          b.q('hs', 'hsq', q, so, zo);
          b.node('HardSwish', ['x'], ['hw']).q('hw', 'hwq', q, so, zo);
          b.node('Sigmoid', ['x'], ['sg']).q('sg', 'sgq', q, so, zo);
          b.node('Tanh', ['x'], ['th']).q('th', 'thq', q, so, zo);
          const model = b.build();
          const feeds = { x_q: allCodes(q) };
          const ours = runModel(model, feeds);
          const theirs = await runOrt(model, feeds, ortOptionsFor(q));
          for (const name of ['rq', 'cq', 'lq', 'hsq', 'hwq', 'tq', 'mq', 'pq', 'gq']) {
            const d = diffTensors(ours[name], theirs[name]);
            expect(d.exact, `${name}: ${describeDiff(d)}`).toBe(d.count);
          }
          // ORT computes Sigmoid / Tanh with its own approximations (MlasComputeLogistic / MlasComputeTanh):
          // identical in every case seen so far, but only within 1 LSB by construction
          for (const name of ['sgq', 'thq']) {
            const d = diffTensors(ours[name], theirs[name]);
            expect(d.maxDiff, `${name}: ${describeDiff(d)}`).toBeLessThanOrEqual(1);
          }
        },
      ),
      { seed: 0x0dd5, numRuns: 40 },
    );
  });

  // a torch-style uint8 chain: float weights behind Q → DQ, Conv + Relu (y_zp = 0, which ORT fuses), MaxPool,
  // Flatten, Gemm with an int32 bias; every group is lowered here and fused by ORT, so the result is identical
  it('is identical on a Conv-Relu-MaxPool-Flatten-Gemm chain with float weights folded', async () => {
    await fc.assert(
      fc.asyncProperty(scaleArb(-6, -3), scaleArb(-8, -5), seedArb, async (xs, ws, seed) => {
        const rng = seedrandom(`chain:${seed}`);
        const wf = Array.from({ length: 4 * 2 * 3 * 3 }, () => (rng() * 256 - 128) * ws);
        const cs = Math.fround(xs * ws * 600);
        const gs = Math.fround(cs * ws * 400);
        const b = new QdqBuilder().dqInput('x', 'uint8', [1, 2, 4, 4], xs, 128);
        b.initializer('wf', tensor('float32', [4, 2, 3, 3], wf))
          .scalar('ws', 'float32', ws)
          .scalar('wz', 'int8', 0);
        b.node('QuantizeLinear', ['wf', 'ws', 'wz'], ['wq']).node(
          'DequantizeLinear',
          ['wq', 'ws', 'wz'],
          ['w'],
        );
        b.dqConst('cb', randomIntTensor('int32', [4], seed, -5000, 5000), Math.fround(xs * ws), 0);
        b.node('Conv', ['x', 'w', 'cb'], ['c'], { pads: A.ints([1, 1, 1, 1]) }).node(
          'Relu',
          ['c'],
          ['cr'],
        );
        b.q('cr', 'cq', 'uint8', cs, 0, false).dq('cd', 'cq', 'uint8', cs, 0);
        b.node('MaxPool', ['cd'], ['m'], { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) });
        b.q('m', 'mq', 'uint8', cs, 0, false).dq('md', 'mq', 'uint8', cs, 0);
        b.node('Flatten', ['md'], ['f'])
          .q('f', 'fq', 'uint8', cs, 0, false)
          .dq('fd', 'fq', 'uint8', cs, 0);
        b.dqConst('gw', randomIntTensor('int8', [3, 16], seed + 1), ws, 0);
        b.dqConst(
          'gb',
          randomIntTensor('int32', [3], seed + 2, -5000, 5000),
          Math.fround(cs * ws),
          0,
        );
        b.node('Gemm', ['fd', 'gw', 'gb'], ['g'], { transB: A.int(1) }).q(
          'g',
          'y',
          'uint8',
          gs,
          128,
        );
        const model = b.build();
        expect(opTypes(prepareModel(model).model)).toEqual([
          'QLinearConv',
          'MaxPool',
          'Flatten',
          'com.microsoft:QGemm',
        ]);
        const feeds = { x_q: randomIntTensor('uint8', [1, 2, 4, 4], seed + 3) };
        const ours = runModel(model, feeds).y;
        const theirs = (await runOrt(model, feeds, ortOptionsFor('uint8'))).y;
        const d = diffTensors(ours, theirs);
        expect(d.exact, describeDiff(d)).toBe(d.count);
      }),
      { seed: 0x0dd6, numRuns: 15 },
    );
  });
});
