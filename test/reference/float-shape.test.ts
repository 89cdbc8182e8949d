// Float kernels: shape and data movement on any dtype (Reshape ... Tile, Concat/Split/Slice/Gather, Cast, constants).

import { describe, expect, test } from 'vitest';
import { A, f32, i64, plain, run1, runOp, t } from './float-kernel-harness.js';
import type { Tensor } from '../../common/tensor.js';

const INT64_MAX = 9223372036854775807n;
const i64big = (values: bigint[]): Tensor => ({
  dtype: 'int64',
  shape: [values.length],
  data: BigInt64Array.from(values),
});
const x2x4 = f32([2, 4], [0, 1, 2, 3, 4, 5, 6, 7]);

describe('reshaping', () => {
  test('Reshape with 0 (copy) and -1 (infer); allowzero keeps a literal 0', () => {
    const x = f32([2, 3, 4], new Array<number>(24).fill(0));
    expect(run1('Reshape', [x, i64([0, -1])]).shape).toEqual([2, 12]);
    expect(run1('Reshape', [x, i64([-1, 0, 2])]).shape).toEqual([4, 3, 2]);
    const empty = f32([0, 3], []);
    expect(
      run1('Reshape', [empty, i64([3, 0])], { attrs: { allowzero: A.int(1) }, opset: 14 }).shape,
    ).toEqual([3, 0]);
    expect(() => run1('Reshape', [x, i64([5, -1])])).toThrow(/cannot reshape/);
  });
  test('Flatten at an axis, including 0 and negative', () => {
    const x = f32([2, 3, 4], new Array<number>(24).fill(0));
    expect(run1('Flatten', [x]).shape).toEqual([2, 12]);
    expect(run1('Flatten', [x], { attrs: { axis: A.int(0) } }).shape).toEqual([1, 24]);
    expect(run1('Flatten', [x], { attrs: { axis: A.int(-1) } }).shape).toEqual([6, 4]);
  });
  test('Squeeze/Unsqueeze: axes attribute before 13, input from 13', () => {
    const x = f32([1, 3, 1], [1, 2, 3]);
    expect(run1('Squeeze', [x], { opset: 11, attrs: { axes: A.ints([-1]) } }).shape).toEqual([
      1, 3,
    ]);
    expect(run1('Squeeze', [x, i64([0])], { opset: 13 }).shape).toEqual([3, 1]);
    expect(run1('Squeeze', [x], { opset: 13 }).shape).toEqual([3]);
    expect(run1('Unsqueeze', [x], { opset: 11, attrs: { axes: A.ints([0, 4]) } }).shape).toEqual([
      1, 1, 3, 1, 1,
    ]);
    expect(run1('Unsqueeze', [f32([3], [1, 2, 3]), i64([-1])], { opset: 13 }).shape).toEqual([
      3, 1,
    ]);
    expect(() => run1('Squeeze', [x, i64([1])], { opset: 13 })).toThrow(/size is not 1/);
  });
  test('Shape with start/end (opset 15) and Size', () => {
    const x = f32([2, 3, 4], new Array<number>(24).fill(0));
    expect(plain(run1('Shape', [x]))).toEqual({ dtype: 'int64', shape: [3], values: [2, 3, 4] });
    expect(
      plain(run1('Shape', [x], { opset: 15, attrs: { start: A.int(1), end: A.int(-1) } })).values,
    ).toEqual([3]);
    expect(plain(run1('Shape', [x], { opset: 15, attrs: { start: A.int(-10) } })).values).toEqual([
      2, 3, 4,
    ]);
    expect(plain(run1('Size', [x]))).toEqual({ dtype: 'int64', shape: [], values: [24] });
  });
  test('Transpose default reverse and explicit perm', () => {
    const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
    expect(plain(run1('Transpose', [x]))).toEqual({
      dtype: 'float32',
      shape: [3, 2],
      values: [1, 4, 2, 5, 3, 6],
    });
    const y = run1('Transpose', [t('int8', [1, 2, 2], [1, 2, 3, 4])], {
      attrs: { perm: A.ints([2, 0, 1]) },
    });
    expect(plain(y)).toEqual({ dtype: 'int8', shape: [2, 1, 2], values: [1, 3, 2, 4] });
  });
  test('Expand broadcasts both ways; Tile repeats', () => {
    expect(plain(run1('Expand', [f32([3, 1], [1, 2, 3]), i64([2, 1, 2])]))).toEqual({
      dtype: 'float32',
      shape: [2, 3, 2],
      values: [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3],
    });
    expect(plain(run1('Tile', [f32([1, 2], [1, 2]), i64([2, 2])]))).toEqual({
      dtype: 'float32',
      shape: [2, 4],
      values: [1, 2, 1, 2, 1, 2, 1, 2],
    });
  });
});

describe('Concat, Split, Slice, Gather', () => {
  test('Concat along a negative axis', () => {
    const y = run1('Concat', [f32([2, 1], [1, 2]), f32([2, 2], [3, 4, 5, 6])], {
      attrs: { axis: A.int(-1) },
    });
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [2, 3], values: [1, 3, 4, 2, 5, 6] });
    expect(() =>
      run1('Concat', [f32([2, 1], [1, 2]), f32([3, 1], [1, 2, 3])], { attrs: { axis: A.int(1) } }),
    ).toThrow(/cannot concatenate/);
  });
  test('Split: sizes as an attribute (< 13), an input (>= 13), equal parts, num_outputs (18)', () => {
    const outs = (o: Tensor[]): number[][] => o.map((x) => plain(x).values);
    const two = { outputs: ['a', 'b'] };
    expect(
      outs(
        runOp('Split', [x2x4], {
          ...two,
          opset: 11,
          attrs: { axis: A.int(1), split: A.ints([1, 3]) },
        }),
      ),
    ).toEqual([
      [0, 4],
      [1, 2, 3, 5, 6, 7],
    ]);
    expect(
      outs(runOp('Split', [x2x4, i64([3, 1])], { ...two, opset: 13, attrs: { axis: A.int(-1) } })),
    ).toEqual([
      [0, 1, 2, 4, 5, 6],
      [3, 7],
    ]);
    expect(outs(runOp('Split', [x2x4], { ...two, opset: 13 }))).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const five = f32([5], [1, 2, 3, 4, 5]);
    expect(
      outs(runOp('Split', [five], { ...two, opset: 18, attrs: { num_outputs: A.int(2) } })),
    ).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
  });
  test('Slice clamps like numpy, including INT64 max ends and negative steps', () => {
    const y = run1('Slice', [x2x4, i64([1]), i64big([INT64_MAX]), i64([1])]);
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [2, 3], values: [1, 2, 3, 5, 6, 7] });
    const rev = run1('Slice', [x2x4, i64([-1]), i64big([-INT64_MAX]), i64([1]), i64([-1])]);
    expect(plain(rev).values).toEqual([3, 2, 1, 0, 7, 6, 5, 4]);
    const stepped = run1('Slice', [x2x4, i64([0, 3]), i64([2, 0]), undefined, i64([1, -2])]);
    expect(plain(stepped)).toEqual({ dtype: 'float32', shape: [2, 2], values: [3, 1, 7, 5] });
    expect(plain(run1('Slice', [x2x4, i64([5]), i64([10]), i64([1])])).shape).toEqual([2, 0]);
  });
  test('Slice before opset 10 takes attributes', () => {
    const y = run1('Slice', [x2x4], {
      opset: 9,
      attrs: { starts: A.ints([1, -2]), ends: A.ints([2, 1000]) },
    });
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [1, 2], values: [6, 7] });
  });
  test('Gather with negative and 2-D indices', () => {
    const y = run1('Gather', [x2x4, i64([-1, 0])], { attrs: { axis: A.int(1) } });
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [2, 2], values: [3, 0, 7, 4] });
    const z = run1('Gather', [t('int8', [3], [10, 20, 30]), i64([2, 0, 1, 1], [2, 2])]);
    expect(plain(z)).toEqual({ dtype: 'int8', shape: [2, 2], values: [30, 10, 20, 20] });
    expect(plain(run1('Gather', [i64([4, 5, 6]), i64([1], [])]))).toEqual({
      dtype: 'int64',
      shape: [],
      values: [5],
    });
    expect(() => run1('Gather', [x2x4, i64([4])], { attrs: { axis: A.int(1) } })).toThrow(
      /out of range/,
    );
  });
});

describe('Cast and constants', () => {
  test('Cast truncates floats toward zero; to bool is != 0', () => {
    const x = f32([4], [-1.7, 2.9, 0, -0.2]);
    expect(plain(run1('Cast', [x], { attrs: { to: A.int(6) } }))).toEqual({
      dtype: 'int32',
      shape: [4],
      values: [-1, 2, 0, 0],
    });
    expect(plain(run1('Cast', [x], { attrs: { to: A.int(7) } })).values).toEqual([-1, 2, 0, 0]);
    expect(plain(run1('Cast', [x], { attrs: { to: A.int(9) } })).values).toEqual([1, 1, 0, 1]);
    expect(plain(run1('Cast', [i64([3, -4])], { attrs: { to: A.int(1) } }))).toEqual({
      dtype: 'float32',
      shape: [2],
      values: [3, -4],
    });
    expect(
      plain(run1('Cast', [t('float32', [], [1 / 3])], { attrs: { to: A.int(11) } })).values,
    ).toEqual([Math.fround(1 / 3)]);
    expect(() => run1('Cast', [x], { attrs: { to: A.int(8) } })).toThrow(/STRING/);
  });
  test('ConstantOfShape (default float 0, or the value tensor) and Constant', () => {
    expect(plain(run1('ConstantOfShape', [i64([2, 1])]))).toEqual({
      dtype: 'float32',
      shape: [2, 1],
      values: [0, 0],
    });
    const v = { type: 'tensor' as const, value: i64([7]) };
    expect(plain(run1('ConstantOfShape', [i64([3])], { attrs: { value: v } }))).toEqual({
      dtype: 'int64',
      shape: [3],
      values: [7, 7, 7],
    });
    expect(
      plain(runOp('Constant', [], { attrs: { value_floats: A.floats([1.5, 2]) } })[0]),
    ).toEqual({ dtype: 'float32', shape: [2], values: [1.5, 2] });
    expect(plain(runOp('Constant', [], { attrs: { value_int: A.int(4) } })[0])).toEqual({
      dtype: 'int64',
      shape: [],
      values: [4],
    });
    expect(runOp('Constant', [], { attrs: { value: v } })[0]).toBe(v.value);
  });
  test('Range, float and integer, negative delta', () => {
    expect(plain(run1('Range', [f32([], [0]), f32([], [1]), f32([], [0.25])])).values).toEqual([
      0, 0.25, 0.5, 0.75,
    ]);
    expect(plain(run1('Range', [i64([10], []), i64([4], []), i64([-3], [])]))).toEqual({
      dtype: 'int64',
      shape: [2],
      values: [10, 7],
    });
    expect(plain(run1('Range', [i64([1], []), i64([1], []), i64([1], [])])).shape).toEqual([0]);
  });
});
