// Shape inference per op family, with hand-computed expected shapes (ONNX operator spec formulas).

import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { DType } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Dim } from '../../onnx/graph.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

const i64 = (vals: number[]) => tensor('int64', [vals.length], vals.map(BigInt));

/** One node over fresh inputs; returns the inferred infos of its outputs. */
function one(
  op: string,
  inputs: [DType, Dim[]][],
  attrs: Record<string, ReturnType<typeof A.int>> = {},
  opts: {
    consts?: Record<number, ReturnType<typeof tensor>>;
    domain?: string;
    opset?: number;
    outputs?: number;
  } = {},
) {
  const b = new ModelBuilder({ opset: opts.opset ?? 17 });
  const names = inputs.map(([dtype, shape], i) => {
    const name = `in${i}`;
    const c = opts.consts?.[i];
    if (c !== undefined) b.initializer(name, c);
    else if (shape.length === 1 && shape[0] === -1) return '';
    else b.input(name, dtype, shape);
    return name;
  });
  const outs = Array.from({ length: opts.outputs ?? 1 }, (_, i) => `out${i}`);
  b.node(op, names, outs, attrs, opts.domain ?? '');
  outs.forEach((o) => b.output(o, 'float32'));
  const m = b.build();
  m.graph.outputs.forEach((o) => delete o.dtype);
  const infos = inferShapes(m);
  return outs.map((o) => infos.get(o)!);
}
const shapeOf = (...args: Parameters<typeof one>) => one(...args)[0].shape;
const mismatch = (f: () => unknown): NpuError => {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected shapeMismatch');
};
const f32 = (...s: Dim[]): [DType, Dim[]] => ['float32', s];
const u8 = (...s: Dim[]): [DType, Dim[]] => ['uint8', s];
const i8 = (...s: Dim[]): [DType, Dim[]] => ['int8', s];
const absent: [DType, Dim[]] = ['float32', [-1]];

describe('elementwise and broadcasting', () => {
  test('numpy broadcasting, symbolic dims', () => {
    expect(shapeOf('Add', [f32(2, 1, 4), f32(3, 1)])).toEqual([2, 3, 4]);
    expect(shapeOf('Mul', [f32('b', 1), f32(1, 5)])).toEqual(['b', 5]);
    expect(shapeOf('Pow', [f32(3), f32()])).toEqual([3]);
    expect(one('Equal', [f32(2), f32(2)])[0].dtype).toBe('bool');
    const e = mismatch(() => one('Sub', [f32(2, 3), f32(4)]));
    expect(e.id).toBe('shapeMismatch');
    expect(e.location.node).toBe('Sub_0');
  });

  test('unary ops keep shape and dtype; Cast changes dtype', () => {
    for (const op of [
      'Relu',
      'Sigmoid',
      'Tanh',
      'Sqrt',
      'Exp',
      'Erf',
      'LeakyRelu',
      'HardSigmoid',
      'HardSwish',
      'Clip',
      'Softmax',
      'Identity',
    ]) {
      expect(one(op, [f32(2, 'n')])[0]).toEqual({
        name: 'out0',
        dtype: 'float32',
        shape: [2, 'n'],
      });
    }
    expect(one('Cast', [f32(3)], { to: A.int(7) })[0].dtype).toBe('int64');
  });

  test('LayerNormalization and BatchNormalization', () => {
    const [y, mean, inv] = one(
      'LayerNormalization',
      [f32(2, 3, 4), f32(4), f32(4)],
      { axis: A.int(-1) },
      { outputs: 3 },
    );
    expect(y.shape).toEqual([2, 3, 4]);
    expect(mean.shape).toEqual([2, 3, 1]);
    expect(inv.shape).toEqual([2, 3, 1]);
    expect(
      shapeOf('BatchNormalization', [f32(1, 3, 5, 5), f32(3), f32(3), f32(3), f32(3)]),
    ).toEqual([1, 3, 5, 5]);
  });
});

describe('quantization ops', () => {
  test('QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear', () => {
    expect(one('QuantizeLinear', [f32(1, 3), f32()])[0]).toMatchObject({
      dtype: 'uint8',
      shape: [1, 3],
    });
    expect(one('QuantizeLinear', [f32(1, 3), f32(), i8()])[0].dtype).toBe('int8');
    expect(one('DequantizeLinear', [i8(4, 2), f32(), i8()])[0]).toMatchObject({
      dtype: 'float32',
      shape: [4, 2],
    });
    const [y, s, z] = one('DynamicQuantizeLinear', [f32(2, 3)], {}, { outputs: 3 });
    expect([y, s, z].map((v) => [v.dtype, v.shape])).toEqual([
      ['uint8', [2, 3]],
      ['float32', []],
      ['uint8', []],
    ]);
  });

  test('QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger', () => {
    const qc = one(
      'QLinearConv',
      [u8(1, 3, 8, 8), f32(), u8(), i8(4, 3, 3, 3), f32(), i8(), f32(), i8()],
      { pads: A.ints([1, 1, 1, 1]) },
    );
    expect(qc[0]).toMatchObject({ dtype: 'int8', shape: [1, 4, 8, 8] });
    expect(one('ConvInteger', [u8(1, 3, 8, 8), u8(2, 3, 2, 2)])[0]).toMatchObject({
      dtype: 'int32',
      shape: [1, 2, 7, 7],
    });
    const qm = one('QLinearMatMul', [u8(2, 3, 4), f32(), u8(), u8(4, 5), f32(), u8(), f32(), u8()]);
    expect(qm[0]).toMatchObject({ dtype: 'uint8', shape: [2, 3, 5] });
    expect(one('MatMulInteger', [u8(3, 4), i8(4, 6)])[0]).toMatchObject({
      dtype: 'int32',
      shape: [3, 6],
    });
  });

  test('com.microsoft QLinear ops and QGemm', () => {
    const ms = { domain: 'com.microsoft' };
    expect(
      shapeOf(
        'QLinearAdd',
        [u8(1, 8, 4, 4), f32(), u8(), u8(8, 1, 1), f32(), u8(), f32(), u8()],
        {},
        ms,
      ),
    ).toEqual([1, 8, 4, 4]);
    expect(
      shapeOf('QLinearMul', [u8(3, 1), f32(), u8(), u8(1, 5), f32(), u8(), f32(), u8()], {}, ms),
    ).toEqual([3, 5]);
    expect(
      shapeOf('QLinearGlobalAveragePool', [u8(2, 8, 7, 7), f32(), u8(), f32(), u8()], {}, ms),
    ).toEqual([2, 8, 1, 1]);
    expect(
      shapeOf(
        'QLinearGlobalAveragePool',
        [u8(2, 7, 7, 8), f32(), u8(), f32(), u8()],
        { channels_last: A.int(1) },
        ms,
      ),
    ).toEqual([2, 1, 1, 8]);
    expect(
      shapeOf(
        'QLinearConcat',
        [f32(), u8(), u8(1, 2, 4), f32(), u8(), u8(1, 3, 4), f32(), u8()],
        { axis: A.int(1) },
        ms,
      ),
    ).toEqual([1, 5, 4]);
    expect(shapeOf('QLinearSigmoid', [i8(2, 3), f32(), i8(), f32(), i8()], {}, ms)).toEqual([2, 3]);
    expect(shapeOf('QLinearLeakyRelu', [i8(2, 3), f32(), i8(), f32(), i8()], {}, ms)).toEqual([
      2, 3,
    ]);
    const pool = { kernel_shape: A.ints([3, 3]), strides: A.ints([2, 2]) };
    expect(
      shapeOf('QLinearAveragePool', [u8(1, 4, 9, 9), f32(), u8(), f32(), u8()], pool, ms),
    ).toEqual([1, 4, 4, 4]);
    expect(
      shapeOf(
        'QLinearAveragePool',
        [u8(1, 9, 9, 4), f32(), u8(), f32(), u8()],
        { ...pool, channels_last: A.int(1) },
        ms,
      ),
    ).toEqual([1, 4, 4, 4]);
    const qg = one(
      'QGemm',
      [u8(4, 3), f32(), u8(), i8(5, 3), f32(), i8(), absent, f32(), u8()],
      { transB: A.int(1) },
      ms,
    );
    expect(qg[0]).toMatchObject({ dtype: 'uint8', shape: [4, 5] });
    expect(one('QGemm', [u8(4, 3), f32(), u8(), i8(3, 5), f32(), i8()], {}, ms)[0].dtype).toBe(
      'float32',
    );
  });
});

describe('conv, matmul, gemm', () => {
  test('Conv: pads, strides, dilations, groups, auto_pad', () => {
    // (32 + 2 - 3) / 2 + 1 = 16
    expect(
      shapeOf('Conv', [f32(1, 3, 32, 32), f32(8, 3, 3, 3)], {
        pads: A.ints([1, 1, 1, 1]),
        strides: A.ints([2, 2]),
      }),
    ).toEqual([1, 8, 16, 16]);
    expect(shapeOf('Conv', [f32(1, 4, 8, 8), f32(4, 1, 3, 3)], { group: A.int(4) })).toEqual([
      1, 4, 6, 6,
    ]);
    // effective kernel (3-1)*2+1 = 5: 32 - 5 + 1 = 28
    expect(
      shapeOf('Conv', [f32('n', 3, 32, 30), f32(8, 3, 3, 3)], { dilations: A.ints([2, 2]) }),
    ).toEqual(['n', 8, 28, 26]);
    expect(
      shapeOf('Conv', [f32(1, 3, 33, 33), f32(8, 3, 3, 3)], {
        auto_pad: A.string('SAME_UPPER'),
        strides: A.ints([2, 2]),
      }),
    ).toEqual([1, 8, 17, 17]);
    expect(
      shapeOf('Conv', [f32(1, 3, 10), f32(2, 3, 4)], {
        auto_pad: A.string('VALID'),
        strides: A.ints([3]),
      }),
    ).toEqual([1, 2, 3]);
    expect(mismatch(() => one('Conv', [f32(1, 3, 8, 8), f32(8, 4, 3, 3)])).message).toContain(
      'channels',
    );
  });

  test('MatMul: batch broadcasting and 1-D operands; Gemm transposes', () => {
    expect(shapeOf('MatMul', [f32(2, 1, 3, 4), f32(5, 4, 6)])).toEqual([2, 5, 3, 6]);
    expect(shapeOf('MatMul', [f32(4), f32(4, 6)])).toEqual([6]);
    expect(shapeOf('MatMul', [f32('b', 3, 4), f32(4)])).toEqual(['b', 3]);
    expect(mismatch(() => one('MatMul', [f32(3, 4), f32(5, 6)])).id).toBe('shapeMismatch');
    expect(
      shapeOf('Gemm', [f32(4, 3), f32(5, 4), f32(5)], { transA: A.int(1), transB: A.int(1) }),
    ).toEqual([3, 5]);
    expect(mismatch(() => one('Gemm', [f32(4, 3), f32(4, 5)])).id).toBe('shapeMismatch');
  });
});

describe('pooling', () => {
  const k = (n: number) => A.ints([n, n]);
  test('MaxPool / AveragePool: floor, ceil_mode (with the last-window rule), auto_pad, dilations', () => {
    expect(shapeOf('MaxPool', [f32(1, 1, 32, 32)], { kernel_shape: k(3), strides: k(2) })).toEqual([
      1, 1, 15, 15,
    ]);
    expect(
      shapeOf('MaxPool', [f32(1, 1, 32, 32)], {
        kernel_shape: k(3),
        strides: k(2),
        ceil_mode: A.int(1),
      }),
    ).toEqual([1, 1, 16, 16]);
    // 4 + 0 + 2 - 3 = 3 -> ceil(3/2)+1 = 3, but window 3 would start at 4 >= 4 + 0: dropped -> 2
    expect(
      shapeOf('AveragePool', [f32(1, 1, 4)], {
        kernel_shape: A.ints([3]),
        strides: A.ints([2]),
        pads: A.ints([0, 2]),
        ceil_mode: A.int(1),
      }),
    ).toEqual([1, 1, 2]);
    expect(
      shapeOf('AveragePool', [f32(1, 2, 7, 7)], {
        kernel_shape: k(2),
        strides: k(2),
        auto_pad: A.string('SAME_LOWER'),
      }),
    ).toEqual([1, 2, 4, 4]);
    expect(
      shapeOf('AveragePool', [f32(1, 2, 7, 7)], {
        kernel_shape: k(2),
        strides: k(2),
        auto_pad: A.string('VALID'),
      }),
    ).toEqual([1, 2, 3, 3]);
    expect(shapeOf('MaxPool', [f32(1, 1, 8, 8)], { kernel_shape: k(3), dilations: k(2) })).toEqual([
      1, 1, 4, 4,
    ]);
    expect(shapeOf('GlobalAveragePool', [f32('n', 16, 7, 9)])).toEqual(['n', 16, 1, 1]);
    expect(shapeOf('GlobalMaxPool', [f32(1, 16, 7)])).toEqual([1, 16, 1]);
  });
});

describe('layout ops', () => {
  test('Concat, Flatten, Transpose', () => {
    expect(shapeOf('Concat', [f32(2, 3), f32(2, 5), f32(2, 'k')], { axis: A.int(-1) })).toEqual([
      2,
      '?',
    ]);
    expect(shapeOf('Concat', [f32(2, 3), f32(4, 3)], { axis: A.int(0) })).toEqual([6, 3]);
    expect(mismatch(() => one('Concat', [f32(2, 3), f32(4, 5)], { axis: A.int(0) })).id).toBe(
      'shapeMismatch',
    );
    expect(shapeOf('Flatten', [f32(2, 3, 4)], { axis: A.int(0) })).toEqual([1, 24]);
    expect(shapeOf('Flatten', [f32('b', 3, 4)])).toEqual(['b', 12]);
    expect(shapeOf('Transpose', [f32(2, 3, 4)])).toEqual([4, 3, 2]);
    expect(shapeOf('Transpose', [f32(1, 3, 5, 7)], { perm: A.ints([0, 2, 3, 1]) })).toEqual([
      1, 5, 7, 3,
    ]);
  });

  test('Reshape: 0, -1, allowzero, errors', () => {
    const r = (x: Dim[], s: number[], attrs = {}) =>
      shapeOf('Reshape', [f32(...x), ['int64', [s.length]]], attrs, { consts: { 1: i64(s) } });
    expect(r([2, 3, 4], [0, -1])).toEqual([2, 12]);
    expect(r(['b', 3, 4], [0, -1])).toEqual(['b', 12]);
    expect(r([2, 3, 4], [4, -1, 2])).toEqual([4, 3, 2]);
    expect(r([0, 3], [3, 0], { allowzero: A.int(1) })).toEqual([3, 0]);
    expect(mismatch(() => r([2, 3, 4], [5, -1])).id).toBe('shapeMismatch');
    expect(mismatch(() => r([2, 3, 4], [5, 5])).id).toBe('shapeMismatch');
    // shape not constant: unknown, no error
    expect(shapeOf('Reshape', [f32(2, 3), ['int64', [2]]])).toBeUndefined();
  });

  test('Resize with scales or sizes; Pad', () => {
    const sc = (s: number[]) => tensor('float32', [s.length], s);
    expect(
      shapeOf(
        'Resize',
        [f32(1, 3, 5, 5), absent, ['float32', [4]]],
        {},
        { consts: { 2: sc([1, 1, 2, 2]) } },
      ),
    ).toEqual([1, 3, 10, 10]);
    expect(
      shapeOf(
        'Resize',
        [f32(1, 3, 5, 5), absent, ['float32', [4]]],
        {},
        { consts: { 2: sc([1, 1, 0.6, 0.6]) } },
      ),
    ).toEqual([1, 3, 3, 3]);
    expect(
      shapeOf(
        'Resize',
        [f32(1, 3, 5, 5), absent, absent, ['int64', [4]]],
        {},
        { consts: { 3: i64([1, 3, 7, 9]) } },
      ),
    ).toEqual([1, 3, 7, 9]);
    expect(
      shapeOf(
        'Pad',
        [f32(1, 3, 4, 4), ['int64', [8]]],
        {},
        { consts: { 1: i64([0, 0, 1, 2, 0, 0, 3, 4]) } },
      ),
    ).toEqual([1, 3, 8, 10]);
    expect(shapeOf('Pad', [f32(1, 4)], { pads: A.ints([0, 1, 0, 1]) }, { opset: 10 })).toEqual([
      1, 6,
    ]);
  });

  test('Shape, Gather, Unsqueeze, Squeeze, Slice, ReduceMean', () => {
    expect(one('Shape', [f32(2, 3, 4)])[0]).toMatchObject({ dtype: 'int64', shape: [3] });
    expect(shapeOf('Shape', [f32(2, 3, 4)], { start: A.int(1) }, { opset: 15 })).toEqual([2]);
    expect(shapeOf('Gather', [f32(5, 6, 7), ['int64', [2, 3]]], { axis: A.int(1) })).toEqual([
      5, 2, 3, 7,
    ]);
    expect(shapeOf('Gather', [f32(5, 6), ['int64', []]])).toEqual([6]);
    expect(
      shapeOf('Unsqueeze', [f32(3, 4), ['int64', [2]]], {}, { consts: { 1: i64([0, -1]) } }),
    ).toEqual([1, 3, 4, 1]);
    expect(shapeOf('Unsqueeze', [f32(3, 4)], { axes: A.ints([1]) }, { opset: 11 })).toEqual([
      3, 1, 4,
    ]);
    expect(shapeOf('Squeeze', [f32(1, 3, 1, 4)], {}, { opset: 13 })).toEqual([3, 4]);
    expect(
      shapeOf('Squeeze', [f32(1, 3, 1, 4), ['int64', [1]]], {}, { consts: { 1: i64([2]) } }),
    ).toEqual([1, 3, 4]);
    expect(
      mismatch(() => one('Squeeze', [f32(1, 3), ['int64', [1]]], {}, { consts: { 1: i64([1]) } }))
        .id,
    ).toBe('shapeMismatch');
    const slice = (x: Dim[], s: number[], e: number[], a: number[], st: number[]) =>
      shapeOf(
        'Slice',
        [f32(...x), ['int64', [1]], ['int64', [1]], ['int64', [1]], ['int64', [1]]],
        {},
        { consts: { 1: i64(s), 2: i64(e), 3: i64(a), 4: i64(st) } },
      );
    expect(slice([10, 8], [2], [-1], [0], [1])).toEqual([7, 8]);
    expect(slice([10, 8], [1], [1e18], [-1], [2])).toEqual([10, 4]);
    expect(slice([10, 8], [-1], [-1e18], [0], [-3])).toEqual([4, 8]);
    expect(slice(['n', 8], [0], [4], [0], [1])).toEqual(['?', 8]);
    expect(
      one('Split', [f32(2, 10)], { axis: A.int(1) }, { outputs: 3 }).map((v) => v.shape),
    ).toEqual([
      [2, 4],
      [2, 4],
      [2, 2],
    ]);
    const split = one(
      'Split',
      [f32(7, 2), ['int64', [2]]],
      {},
      { outputs: 2, consts: { 1: i64([3, 4]) } },
    );
    expect(split.map((v) => v.shape)).toEqual([
      [3, 2],
      [4, 2],
    ]);
    expect(
      one('Split', [f32(6)], { split: A.ints([1, 5]) }, { outputs: 2, opset: 11 }).map(
        (v) => v.shape,
      ),
    ).toEqual([[1], [5]]);
    expect(
      mismatch(() => one('Split', [f32(6)], { split: A.ints([1, 4]) }, { outputs: 2, opset: 11 }))
        .id,
    ).toBe('shapeMismatch');
    expect(shapeOf('ReduceMean', [f32(2, 3, 4)], { axes: A.ints([1]) })).toEqual([2, 1, 4]);
    expect(
      shapeOf('ReduceMean', [f32(2, 3, 4)], { axes: A.ints([-1, 0]), keepdims: A.int(0) }),
    ).toEqual([3]);
    expect(shapeOf('ReduceMean', [f32(2, 3, 4)], {})).toEqual([1, 1, 1]);
    expect(
      shapeOf(
        'ReduceMean',
        [f32(2, 3, 4), ['int64', [1]]],
        {},
        { opset: 18, consts: { 1: i64([2]) } },
      ),
    ).toEqual([2, 3, 1]);
  });
});

describe('driver', () => {
  test('fixedDims, unknown ops, value_info fallback, shape arithmetic through Shape/Gather/Concat', () => {
    const m = new ModelBuilder()
      .input('x', 'float32', ['batch', 3, 4])
      .initializer('idx', tensor('int64', [1], [0n]))
      .initializer('tail', tensor('int64', [1], [-1n]))
      .node('Relu', ['x'], ['r'])
      .node('Shape', ['r'], ['s'])
      .node('Gather', ['s', 'idx'], ['b'], { axis: A.int(0) })
      .node('Concat', ['b', 'tail'], ['target'], { axis: A.int(0) })
      .node('Reshape', ['r', 'target'], ['y'])
      .node('MysteryOp', ['y'], ['z'], {}, 'com.example')
      .node('MysteryOp', ['y'], ['w'], {}, 'com.example')
      .output('y', 'float32')
      .output('z', 'float32')
      .build();
    m.graph.valueInfo.set('w', { name: 'w', dtype: 'int8', shape: ['batch', 2] });
    const fixed = inferShapes(m, { batch: 5 });
    expect(fixed.get('r')?.shape).toEqual([5, 3, 4]);
    expect(fixed.get('y')?.shape).toEqual([5, 12]);
    expect(fixed.get('z')).toEqual({ name: 'z', dtype: 'float32' });
    expect(fixed.get('w')).toEqual({ name: 'w', dtype: 'int8', shape: [5, 2] });
    const dynamic = inferShapes(m);
    expect(dynamic.get('r')?.shape).toEqual(['batch', 3, 4]);
    expect(dynamic.get('y')?.shape).toBeUndefined();
    expect(dynamic.get('idx')).toEqual({ name: 'idx', dtype: 'int64', shape: [1] });
  });
});
