// QDQ lowering, structure: which groups become which integer nodes, with which parameters, and which must not.

import { describe, expect, it } from 'vitest';
import { tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { lowerQdq } from '../../reference/qdq/lower-qdq.js';
import { A } from '../helpers/model-builder.js';
import { QdqBuilder, countOps, f32, opTypes } from '../helpers/qdq-builders.js';

const W = tensor('int8', [2, 1, 1, 1], [3, -5]);

/** DQ(x) → Conv(DQ(w) [, DQ(b)]) [→ act] → Q. */
function convModel(
  opts: {
    relu?: boolean;
    clip?: [number, number];
    yZp?: number;
    biasScale?: number;
    qt?: 'int8' | 'uint8';
  } = {},
): Model {
  const qt = opts.qt ?? 'uint8';
  const b = new QdqBuilder().dqInput('x', qt, [1, 1, 2, 2], 0.5, qt === 'uint8' ? 128 : 0);
  b.dqConst('w', W, 0.25, 0);
  const inputs = ['x', 'w'];
  if (opts.biasScale !== undefined) {
    b.dqConst('b', tensor('int32', [2], [10, -7]), opts.biasScale, 0);
    inputs.push('b');
  }
  b.node('Conv', inputs, ['y'], { kernel_shape: A.ints([1, 1]) });
  let out = 'y';
  if (opts.relu === true) {
    b.node('Relu', ['y'], ['y_act']);
    out = 'y_act';
  }
  if (opts.clip !== undefined) {
    b.scalar('lo', 'float32', opts.clip[0]).scalar('hi', 'float32', opts.clip[1]);
    b.node('Clip', ['y', 'lo', 'hi'], ['y_act']);
    out = 'y_act';
  }
  return b.q(out, 'yq', qt, 0.1, opts.yZp ?? (qt === 'uint8' ? 128 : 0)).build();
}

describe('lowerQdq: conv-like groups', () => {
  it('turns DQ → Conv (+int32 bias) → Q into one QLinearConv reading the integer tensors', () => {
    const m = lowerQdq(convModel({ biasScale: 0.125 }));
    expect(opTypes(m)).toEqual(['QLinearConv']);
    expect(m.graph.nodes[0].inputs).toEqual([
      'x_q',
      'x_scale',
      'x_zp',
      'w_q',
      'w_scale',
      'w_zp',
      'yq_scale',
      'yq_zp',
      'b_q',
    ]);
    expect(m.graph.nodes[0].outputs).toEqual(['yq']);
    expect(m.graph.nodes[0].attrs.kernel_shape).toEqual(A.ints([1, 1]));
  });

  it('fuses Relu as IntClip [y_zp, qmax], and drops it when y_zp = qmin', () => {
    const m = lowerQdq(convModel({ relu: true, yZp: 100 }));
    expect(opTypes(m)).toEqual(['QLinearConv', 'npu.ref:IntClip']);
    const clip = m.graph.nodes[1];
    expect([clip.attrs.min, clip.attrs.max]).toEqual([A.int(100), A.int(255)]);
    expect(clip.outputs).toEqual(['yq']);
    expect(m.graph.nodes[0].outputs).toEqual(clip.inputs);
    expect(opTypes(lowerQdq(convModel({ relu: true, yZp: 0 })))).toEqual(['QLinearConv']);
    expect(opTypes(lowerQdq(convModel({ relu: true, yZp: -128, qt: 'int8' })))).toEqual([
      'QLinearConv',
    ]);
  });

  it('fuses Clip(lo, hi) as IntClip [sat(Q(lo)), sat(Q(hi))] with round half to even', () => {
    // y_scale 0.1 (float32), zp 10: Q(0) = 10, Q(0.25) = rhe(2.5) + 10 = 12, Q(100) saturates at 255
    const m = lowerQdq(convModel({ clip: [0.25, 100], yZp: 10 }));
    expect(opTypes(m)).toEqual(['QLinearConv', 'npu.ref:IntClip']);
    expect(m.graph.nodes[1].attrs.min).toEqual(A.int(12));
    expect(m.graph.nodes[1].attrs.max).toEqual(A.int(255));
    const m6 = lowerQdq(convModel({ clip: [0, 6], yZp: 10 }));
    expect([m6.graph.nodes[1].attrs.min, m6.graph.nodes[1].attrs.max]).toEqual([
      A.int(10),
      A.int(70),
    ]);
  });

  it('does not fuse a bias whose scale is not x_scale * w_scale', () => {
    const m = lowerQdq(convModel({ biasScale: 0.126 }));
    expect(countOps(m, 'Conv')).toBe(1);
    expect(countOps(m, 'QLinearConv')).toBe(0);
    expect(countOps(m, 'QuantizeLinear')).toBe(1);
  });

  it('does not fuse when the float output has a second consumer', () => {
    const b = new QdqBuilder().dqInput('x', 'uint8', [1, 1, 2, 2], 0.5, 128);
    b.dqConst('w', W, 0.25, 0).node('Conv', ['x', 'w'], ['y'], { kernel_shape: A.ints([1, 1]) });
    b.q('y', 'yq', 'uint8', 0.1, 128).node('Relu', ['y'], ['y2']).output('y2', 'float32');
    const m = lowerQdq(b.build());
    expect(countOps(m, 'QLinearConv')).toBe(0);
    expect(countOps(m, 'Conv')).toBe(1);
    // nor when the float output is itself a graph output
    const b2 = new QdqBuilder().dqInput('x', 'uint8', [1, 1, 2, 2], 0.5, 128);
    b2.dqConst('w', W, 0.25, 0).node('Conv', ['x', 'w'], ['y'], { kernel_shape: A.ints([1, 1]) });
    b2.q('y', 'yq', 'uint8', 0.1, 128).output('y', 'float32');
    expect(countOps(lowerQdq(b2.build()), 'QLinearConv')).toBe(0);
  });

  it('folds QuantizeLinear of a float weight into an int8 initializer (RHE, saturating)', () => {
    const s = 0.25;
    const b = new QdqBuilder().dqInput('x', 'uint8', [1, 1, 1, 5], 0.5, 128);
    b.initializer('wf', f32([5, 1, 1, 1], [0.5 * s, 1.5 * s, 2.5 * s, -0.5 * s, 1000 * s]));
    b.scalar('ws', 'float32', s).scalar('wz', 'int8', 0);
    b.node('QuantizeLinear', ['wf', 'ws', 'wz'], ['wq']).node(
      'DequantizeLinear',
      ['wq', 'ws', 'wz'],
      ['w'],
    );
    b.node('Conv', ['x', 'w'], ['y'], { kernel_shape: A.ints([1, 1]) }).q(
      'y',
      'yq',
      'uint8',
      0.1,
      128,
    );
    const m = lowerQdq(b.build());
    expect(opTypes(m)).toEqual(['QLinearConv']);
    const wq = m.graph.initializers.get('wq')!;
    expect(wq.dtype).toBe('int8');
    expect([...wq.data]).toEqual([0, 2, 2, 0, 127]);
    expect(m.graph.initializers.has('wf')).toBe(false);
  });

  it('maps per-channel weights (Conv axis 0, MatMul axis 1, Gemm transB axis 0) and rejects other axes', () => {
    const conv = new QdqBuilder().dqInput('x', 'int8', [1, 1, 2, 2], 0.5, 0);
    conv
      .dqConst('w', W, [0.25, 0.5], [0, 0], 0)
      .node('Conv', ['x', 'w'], ['y'])
      .q('y', 'yq', 'int8', 0.1, 0);
    expect(opTypes(lowerQdq(conv.build()))).toEqual(['QLinearConv']);
    const mm = (axis: number): Model =>
      new QdqBuilder()
        .dqInput('a', 'uint8', [2, 3], 0.5, 128)
        .dqConst(
          'b',
          tensor('int8', [3, 2], [1, 2, 3, 4, 5, 6]),
          axis === 1 ? [0.25, 0.5] : [0.25, 0.5, 1],
          axis === 1 ? [0, 0] : [0, 0, 0],
          axis,
        )
        .node('MatMul', ['a', 'b'], ['y'])
        .q('y', 'yq', 'uint8', 0.1, 128)
        .build();
    expect(opTypes(lowerQdq(mm(1)))).toEqual(['QLinearMatMul']);
    expect(countOps(lowerQdq(mm(0)), 'QLinearMatMul')).toBe(0);
    const gemm = new QdqBuilder().dqInput('a', 'uint8', [2, 3], 0.5, 128);
    gemm.dqConst('b', tensor('int8', [2, 3], [1, 2, 3, 4, 5, 6]), [0.25, 0.5], [0, 0], 0);
    gemm.dqConst('c', tensor('int32', [2], [5, -5]), [0.125, 0.25], [0, 0], 0);
    gemm.node('Gemm', ['a', 'b', 'c'], ['y'], { transB: A.int(1) }).q('y', 'yq', 'uint8', 0.1, 128);
    const g = lowerQdq(gemm.build());
    expect(opTypes(g)).toEqual(['com.microsoft:QGemm']);
    expect(g.graph.nodes[0].inputs[6]).toBe('c_q');
    expect(g.graph.nodes[0].attrs.transB).toEqual(A.int(1));
    expect(g.opsetImports.some((o) => o.domain === 'com.microsoft')).toBe(true);
  });
});

describe('lowerQdq: MatMul + Add(int32 bias)', () => {
  const build = (biasScale: number, aShape: number[]): Model => {
    const b = new QdqBuilder().dqInput('a', 'uint8', aShape, 0.5, 128);
    b.dqConst('w', tensor('int8', [3, 2], [1, 2, 3, 4, 5, 6]), 0.25, 0);
    b.dqConst('bias', tensor('int32', [2], [7, -7]), biasScale, 0);
    b.node('MatMul', ['a', 'w'], ['mm']).node('Add', ['mm', 'bias'], ['y']);
    return b.q('y', 'yq', 'uint8', 0.1, 128).build();
  };
  it('becomes QGemm with C = the bias when a and b are 2-D', () => {
    const m = lowerQdq(build(0.125, [4, 3]));
    expect(opTypes(m)).toEqual(['com.microsoft:QGemm']);
    expect(m.graph.nodes[0].inputs[6]).toBe('bias_q');
  });
  it('stays float with a wrongly scaled bias or a 3-D activation', () => {
    expect(countOps(lowerQdq(build(0.1, [4, 3])), 'com.microsoft:QGemm')).toBe(0);
    expect(countOps(lowerQdq(build(0.125, [2, 4, 3])), 'com.microsoft:QGemm')).toBe(0);
  });
});

describe('lowerQdq: element-wise, pools, tables, data movement', () => {
  it('lowers Add (+Relu), Mul, pools and Concat to the com.microsoft QLinear ops', () => {
    const b = new QdqBuilder()
      .dqInput('a', 'int8', [1, 2, 2, 2], 0.5, 3)
      .dqInput('c', 'int8', [1, 2, 2, 2], 0.25, -4);
    b.node('Add', ['a', 'c'], ['s']).node('Relu', ['s'], ['r']).q('r', 'sq', 'int8', 0.3, -10);
    b.node('Mul', ['a', 'c'], ['p']).q('p', 'pq', 'int8', 0.3, 0);
    b.node('GlobalAveragePool', ['a'], ['g']).q('g', 'gq', 'int8', 0.3, 0);
    b.node('AveragePool', ['a'], ['ap'], { kernel_shape: A.ints([2, 2]) }).q(
      'ap',
      'apq',
      'int8',
      0.3,
      0,
    );
    b.node('Concat', ['a', 'c'], ['cc'], { axis: A.int(1) }).q('cc', 'ccq', 'int8', 0.3, 0);
    const m = lowerQdq(b.build());
    expect(opTypes(m)).toEqual([
      'com.microsoft:QLinearAdd',
      'npu.ref:IntClip',
      'com.microsoft:QLinearMul',
      'com.microsoft:QLinearGlobalAveragePool',
      'com.microsoft:QLinearAveragePool',
      'com.microsoft:QLinearConcat',
    ]);
    expect(m.graph.nodes[1].attrs.min).toEqual(A.int(-10));
    expect(m.graph.nodes[5].inputs).toEqual([
      'ccq_scale',
      'ccq_zp',
      'a_q',
      'a_scale',
      'a_zp',
      'c_q',
      'c_scale',
      'c_zp',
    ]);
  });

  it('lowers unary ops to npu.ref:QLinearLut with a 256-entry table of the output dtype', () => {
    for (const op of ['Relu', 'LeakyRelu', 'Sigmoid', 'HardSigmoid', 'HardSwish', 'Tanh']) {
      const b = new QdqBuilder()
        .dqInput('x', 'uint8', [4], 0.05, 120)
        .node(op, ['x'], ['y'])
        .q('y', 'yq', 'int8', 0.01, 0);
      const m = lowerQdq(b.build());
      expect(opTypes(m), op).toEqual(['npu.ref:QLinearLut']);
      const t = m.graph.nodes[0].attrs.table;
      expect(t.type === 'tensor' && t.value.dtype === 'int8' && t.value.data.length === 256).toBe(
        true,
      );
    }
  });

  it('runs data movement on the integer tensor, requantizing only when Q differs from DQ', () => {
    const same = new QdqBuilder()
      .dqInput('x', 'int8', [2, 3], 0.5, 1)
      .node('Transpose', ['x'], ['t']);
    same.q('t', 'tq', 'int8', 0.5, 1);
    const m1 = lowerQdq(same.build());
    expect(opTypes(m1)).toEqual(['Transpose']);
    expect(m1.graph.nodes[0].inputs).toEqual(['x_q']);
    expect(m1.graph.nodes[0].outputs).toEqual(['tq']);
    const diff = new QdqBuilder()
      .dqInput('x', 'int8', [2, 3], 0.5, 1)
      .node('Transpose', ['x'], ['t']);
    diff.q('t', 'tq', 'uint8', 0.25, 128);
    expect(opTypes(lowerQdq(diff.build()))).toEqual(['Transpose', 'npu.ref:QLinearLut']);
  });

  it('leaves Softmax, non-DQ inputs and QOperator nodes alone, and keeps DQs that still feed float ops', () => {
    const b = new QdqBuilder().dqInput('x', 'uint8', [1, 4], 0.1, 128);
    b.node('Softmax', ['x'], ['s']).q('s', 'sq', 'uint8', 1 / 256, 0);
    b.node('Relu', ['x'], ['r']).q('r', 'rq', 'uint8', 0.1, 128);
    b.node('Exp', ['x'], ['e']).output('e', 'float32');
    const m = lowerQdq(b.build());
    expect(opTypes(m)).toEqual([
      'DequantizeLinear',
      'Softmax',
      'QuantizeLinear',
      'npu.ref:QLinearLut',
      'Exp',
    ]);
    const qop = new QdqBuilder()
      .input('x', 'uint8', [1, 4])
      .scalar('s', 'float32', 0.1)
      .scalar('z', 'uint8', 1);
    qop.msNode('QLinearSigmoid', ['x', 's', 'z', 's', 'z'], ['y']).output('y', 'uint8');
    const src = qop.build();
    expect(lowerQdq(src).graph.nodes).toEqual(src.graph.nodes);
  });

  it('does not modify its input model', () => {
    const src = convModel({ relu: true, yZp: 100, biasScale: 0.125 });
    const before = JSON.stringify({
      nodes: src.graph.nodes,
      inits: [...src.graph.initializers.keys()],
      o: src.opsetImports,
    });
    lowerQdq(src);
    expect(
      JSON.stringify({
        nodes: src.graph.nodes,
        inits: [...src.graph.initializers.keys()],
        o: src.opsetImports,
      }),
    ).toBe(before);
  });
});
