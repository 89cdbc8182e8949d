// QDQ lowering in integer-kernel mode: Softmax / LayerNormalization / Gelu groups become the I-BERT int8 kernels.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../common/tensor.js';
import type { RequantMode } from '../../reference/kernel.js';
import type { Model } from '../../onnx/graph.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
  runInt8ILayerNorm,
  runInt8ISoftmax,
} from '../../reference/ibert/int8-kernels.js';
import type { QuantInfo } from '../../reference/ibert/int8-io.js';
import { prepareModel, runModel, runPrepared } from '../../reference/interpreter.js';
import { lowerQdq } from '../../reference/qdq/lower-qdq.js';
import { A } from '../helpers/model-builder.js';
import { ORT_OPTIONS_S8, createSession, runSession } from '../helpers/ort.js';
import { QdqBuilder, countOps, opTypes } from '../helpers/qdq-builders.js';

const ROWS = 3;
const DIM = 8;

interface Q {
  s: number;
  zp: number;
}

/** DQ(x:int8 [ROWS, DIM]) → op → Q(y:int8). */
function oneOp(
  op: 'Softmax' | 'LayerNormalization' | 'Gelu' | 'MsGelu',
  x: Q,
  y: Q,
  gamma?: number[],
  beta?: number[],
): Model {
  const b = new QdqBuilder({ opset: op === 'Gelu' ? 20 : 17 }).dqInput(
    'x',
    'int8',
    [ROWS, DIM],
    x.s,
    x.zp,
  );
  if (op === 'LayerNormalization') {
    b.vector('gamma', 'float32', gamma!).vector('beta', 'float32', beta!);
    b.node('LayerNormalization', ['x', 'gamma', 'beta'], ['f'], {
      axis: A.int(-1),
      epsilon: A.float(1e-5),
    });
  } else if (op === 'MsGelu') b.msNode('Gelu', ['x'], ['f']);
  else b.node(op, ['x'], ['f'], op === 'Softmax' ? { axis: A.int(-1) } : {});
  return b.q('f', 'y', 'int8', y.s, y.zp).build();
}

const f32 = (v: number): number => Math.fround(v);
const info = (q: Q): QuantInfo => ({ scale: f32(q.s), zeroPoint: q.zp, dtype: 'int8' });

const arbQ = (lo: number, hi: number): fc.Arbitrary<Q> =>
  fc.record({
    s: fc.double({ min: lo, max: hi, noNaN: true }).map(f32),
    zp: fc.integer({ min: -20, max: 20 }),
  });
const arbX = fc.array(fc.integer({ min: -128, max: 127 }), {
  minLength: ROWS * DIM,
  maxLength: ROWS * DIM,
});
const arbMode = fc.constantFrom<RequantMode>('float', 'fixed');
const arbVec = (lo: number, hi: number): fc.Arbitrary<number[]> =>
  fc.array(fc.double({ min: lo, max: hi, noNaN: true }).map(f32), {
    minLength: DIM,
    maxLength: DIM,
  });

function run(m: Model, x: number[], mode: RequantMode, integerKernels: boolean): Int8Array {
  const out = runModel(m, { x_q: tensor('int8', [ROWS, DIM], x) }, { mode, integerKernels });
  return out.y.data as Int8Array;
}

describe('integer-kernel lowering', () => {
  it('default lowering keeps the float ops; integerKernels replaces each group by one npu.ref op', () => {
    const cases = [
      ['Softmax', 'npu.ref:ISoftmax'],
      ['LayerNormalization', 'npu.ref:ILayerNorm'],
      ['Gelu', 'npu.ref:IGelu'],
      ['MsGelu', 'npu.ref:IGelu'],
    ] as const;
    for (const [op, key] of cases) {
      const m = oneOp(
        op,
        { s: 0.05, zp: 3 },
        { s: 0.02, zp: -5 },
        new Array(DIM).fill(1),
        new Array(DIM).fill(0),
      );
      const plain = lowerQdq(m);
      expect(countOps(plain, 'QuantizeLinear')).toBe(1);
      expect(countOps(plain, 'DequantizeLinear')).toBe(1);
      const low = lowerQdq(m, { integerKernels: true });
      expect(opTypes(low)).toEqual([key]);
      expect(low.graph.nodes[0].inputs[0]).toBe('x_q');
      expect(low.graph.nodes[0].outputs[0]).toBe('y');
    }
  });

  it('ISoftmax group equals runInt8ISoftmax row by row, both requant modes', () => {
    fc.assert(
      fc.property(arbQ(0.01, 0.3), arbX, arbMode, (xq, x, mode) => {
        const yq = { s: 1 / 256, zp: -128 };
        const got = run(oneOp('Softmax', xq, yq), x, mode, true);
        const p = paramsForInt8ISoftmax(info(xq), info(yq), mode);
        expect(Array.from(got)).toEqual(Array.from(runInt8ISoftmax(Int8Array.from(x), DIM, p)));
      }),
      { numRuns: 40 },
    );
  });

  it('ILayerNorm group equals runInt8ILayerNorm, both requant modes', () => {
    fc.assert(
      fc.property(
        arbQ(0.005, 0.5),
        arbQ(0.005, 0.1),
        arbX,
        arbMode,
        arbVec(0.5, 2),
        arbVec(-1, 1),
        (xq, yq, x, mode, g, b) => {
          const got = run(oneOp('LayerNormalization', xq, yq, g, b), x, mode, true);
          const p = paramsForInt8ILayerNorm(info(xq), info(yq), mode, g, b);
          expect(Array.from(got)).toEqual(Array.from(runInt8ILayerNorm(Int8Array.from(x), p)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('IGelu group (ONNX Gelu and com.microsoft Gelu) equals runInt8IGelu, both requant modes', () => {
    fc.assert(
      fc.property(
        arbQ(0.005, 0.1),
        arbQ(0.005, 0.1),
        arbX,
        arbMode,
        fc.boolean(),
        (xq, yq, x, mode, ms) => {
          const got = run(oneOp(ms ? 'MsGelu' : 'Gelu', xq, yq), x, mode, true);
          const p = paramsForInt8IGelu(info(xq), info(yq), mode);
          expect(Array.from(got)).toEqual(Array.from(runInt8IGelu(Int8Array.from(x), p)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('integer kernels stay within a few LSB of the float-exact group', () => {
    const xq = { s: 0.04, zp: 0 };
    const x = Array.from({ length: ROWS * DIM }, (_, i) => ((i * 37) % 256) - 128);
    for (const [op, yq] of [
      ['Softmax', { s: 1 / 256, zp: -128 }],
      ['Gelu', { s: 0.03, zp: -100 }],
      ['LayerNormalization', { s: 0.02, zp: 0 }],
    ] as const) {
      const m = oneOp(op, xq, yq, new Array(DIM).fill(1), new Array(DIM).fill(0.1));
      const exact = run(m, x, 'float', false);
      const integer = run(m, x, 'float', true);
      let maxd = 0;
      for (let i = 0; i < x.length; i++) maxd = Math.max(maxd, Math.abs(exact[i] - integer[i]));
      expect(maxd, op).toBeLessThanOrEqual(3);
    }
  });

  it('a group the kernels cannot take stays float: uint8 in, int8 out', () => {
    const b = new QdqBuilder({ opset: 17 }).dqInput('x', 'uint8', [ROWS, DIM], 0.05, 128);
    b.node('Softmax', ['x'], ['f'], { axis: A.int(-1) });
    const m = b.q('f', 'y', 'int8', 1 / 256, -128).build();
    expect(countOps(lowerQdq(m, { integerKernels: true }), 'Softmax')).toBe(1);
  });
});

describe('activation x activation MatMul', () => {
  /** DQ(a) [2,3,4] · DQ(b) [2,4,5] → Q: both operands are per-tensor int8 activations (attention). */
  function actMatMul(): Model {
    const b = new QdqBuilder({ opset: 17 })
      .dqInput('a', 'int8', [2, 3, 4], 0.05, 4)
      .dqInput('b', 'int8', [2, 4, 5], 0.03, -7);
    b.node('MatMul', ['a', 'b'], ['f']);
    return b.q('f', 'y', 'int8', 0.1, 2).build();
  }
  const feeds = (seed: number): Record<string, Tensor> => {
    const gen = (n: number, k: number): number[] =>
      Array.from({ length: n }, (_, i) => ((i * 73 + k * 11 + seed * 29) % 256) - 128);
    return {
      a_q: tensor('int8', [2, 3, 4], gen(24, 1)),
      b_q: tensor('int8', [2, 4, 5], gen(40, 2)),
    };
  };

  it('lowers to QLinearMatMul: float mode equals onnxruntime, fixed mode within 1 LSB', async () => {
    const m = actMatMul();
    const prepared = prepareModel(m);
    expect(opTypes(prepared.model)).toEqual(['QLinearMatMul']);
    const session = await createSession(m, {
      ...ORT_OPTIONS_S8,
      extra: { session: { qdqisint8allowed: '1' } },
    });
    for (let seed = 0; seed < 5; seed++) {
      const want = (await runSession(session, feeds(seed))).y.data as Int8Array;
      for (const mode of ['float', 'fixed'] as const) {
        const got = runPrepared(prepared, feeds(seed), { mode }).y.data as Int8Array;
        let maxd = 0;
        for (let i = 0; i < got.length; i++) maxd = Math.max(maxd, Math.abs(got[i] - want[i]));
        // fixed-point requantization (the NPU's) may round a product differently by one code
        expect(maxd, mode).toBeLessThanOrEqual(mode === 'float' ? 0 : 1);
      }
    }
    await session.release();
  });

  it('a MatMul input that is also a graph output still lowers MatMul + int32 bias to QGemm', () => {
    // a_q's rank is known only from its graph output entry (no value_info, not a graph input)
    const b = new QdqBuilder({ opset: 17 }).input('a_in', 'int8', [3, 4]);
    b.node('Identity', ['a_in'], ['a_q']).output('a_q', 'int8', [3, 4]);
    b.dq('a', 'a_q', 'int8', 0.05, 4);
    b.dqConst('w', tensor('int8', [4, 2], [1, -2, 3, -4, 5, -6, 7, -8]), 0.02, 0);
    b.dqConst('bias', tensor('int32', [2], [100, -50]), f32(0.05 * 0.02), 0);
    b.node('MatMul', ['a', 'w'], ['mm']).node('Add', ['mm', 'bias'], ['f']);
    const m = b.q('f', 'y', 'int8', 0.01, 0).build();
    const low = lowerQdq(m);
    expect(countOps(low, 'com.microsoft:QGemm')).toBe(1);
    expect(countOps(low, 'MatMul')).toBe(0);
  });
});
