// Float kernels: Gemm, MatMul, BatchNormalization, LayerNormalization, Reduce*.

import { describe, expect, test } from 'vitest';
import { A, f32, i64, plain, run1, runOp } from './float-kernel-harness.js';

describe('Gemm', () => {
  const a = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  const b = f32([3, 2], [1, 0, 0, 1, 1, 1]);
  test('plain product, no bias', () => {
    expect(plain(run1('Gemm', [a, b]))).toEqual({
      dtype: 'float32',
      shape: [2, 2],
      values: [4, 5, 10, 11],
    });
  });
  test('alpha, beta and a broadcast row bias', () => {
    const y = run1('Gemm', [a, b, f32([2], [10, 20])], {
      attrs: { alpha: A.float(2), beta: A.float(0.5) },
    });
    expect(plain(y).values).toEqual([13, 20, 25, 32]);
  });
  test('column and scalar bias', () => {
    expect(plain(run1('Gemm', [a, b, f32([2, 1], [1, 2])])).values).toEqual([5, 6, 12, 13]);
    expect(plain(run1('Gemm', [a, b, f32([], [1])])).values).toEqual([5, 6, 11, 12]);
  });
  test('transA and transB', () => {
    const at = f32([3, 2], [1, 4, 2, 5, 3, 6]);
    const bt = f32([2, 3], [1, 0, 1, 0, 1, 1]);
    expect(plain(run1('Gemm', [at, b], { attrs: { transA: A.int(1) } })).values).toEqual([
      4, 5, 10, 11,
    ]);
    expect(plain(run1('Gemm', [a, bt], { attrs: { transB: A.int(1) } })).values).toEqual([
      4, 5, 10, 11,
    ]);
    expect(
      plain(run1('Gemm', [at, bt], { attrs: { transA: A.int(1), transB: A.int(1) } })).values,
    ).toEqual([4, 5, 10, 11]);
  });
});

describe('MatMul', () => {
  const m = f32([2, 2], [1, 2, 3, 4]);
  test('1-D operands are promoted and the added dim removed', () => {
    expect(plain(run1('MatMul', [f32([2], [1, 2]), m]))).toEqual({
      dtype: 'float32',
      shape: [2],
      values: [7, 10],
    });
    expect(plain(run1('MatMul', [m, f32([2], [1, 1])]))).toEqual({
      dtype: 'float32',
      shape: [2],
      values: [3, 7],
    });
    expect(plain(run1('MatMul', [f32([2], [1, 2]), f32([2], [3, 4])]))).toEqual({
      dtype: 'float32',
      shape: [],
      values: [11],
    });
  });
  test('batch dims broadcast', () => {
    const a = f32([2, 1, 2], [1, 2, 3, 4]);
    expect(plain(run1('MatMul', [a, f32([2, 1], [1, 10])]))).toEqual({
      dtype: 'float32',
      shape: [2, 1, 1],
      values: [21, 43],
    });
    const b = f32([3, 2, 1], [1, 0, 0, 1, 1, 1]);
    expect(plain(run1('MatMul', [f32([1, 2], [5, 7]), b]))).toEqual({
      dtype: 'float32',
      shape: [3, 1, 1],
      values: [5, 7, 12],
    });
  });
});

describe('normalization', () => {
  test('BatchNormalization inference', () => {
    const x = f32([1, 2, 1, 2], [1, 2, 3, 4]);
    const args = [x, f32([2], [1, 2]), f32([2], [0, 1]), f32([2], [1, 3]), f32([2], [4, 1])];
    expect(
      plain(run1('BatchNormalization', args, { attrs: { epsilon: A.float(0) } })).values,
    ).toEqual([0, 0.5, 1, 3]);
  });
  test('BatchNormalization training mode: batch statistics and blended running statistics', () => {
    const args = [
      f32([1, 1, 1, 2], [1, 3]),
      f32([1], [1]),
      f32([1], [0]),
      f32([1], [0]),
      f32([1], [1]),
    ];
    const attrs = { epsilon: A.float(0), training_mode: A.int(1) };
    const [y, rm, rv] = runOp('BatchNormalization', args, {
      attrs,
      opset: 15,
      outputs: ['y', 'm', 'v'],
    });
    expect(plain(y).values).toEqual([-1, 1]);
    expect(plain(rm).values).toEqual([Math.fround(0.2)]);
    expect(plain(rv).values).toEqual([1]);
  });
  test('LayerNormalization over the last axis with Mean and InvStdDev outputs', () => {
    const x = f32([2, 2], [1, 3, 0, 4]);
    const [y, mean, inv] = runOp('LayerNormalization', [x, f32([2], [1, 1]), f32([2], [0, 10])], {
      attrs: { epsilon: A.float(0) },
      outputs: ['y', 'mean', 'inv'],
    });
    expect(plain(y).values).toEqual([-1, 11, -1, 11]);
    expect(plain(mean)).toEqual({ dtype: 'float32', shape: [2, 1], values: [2, 2] });
    expect(plain(inv)).toEqual({ dtype: 'float32', shape: [2, 1], values: [1, 0.5] });
  });
  test('LayerNormalization axis 0 normalizes everything', () => {
    const x = f32([2, 2], [1, 3, 0, 4]);
    const y = run1('LayerNormalization', [x, f32([], [1])], {
      attrs: { axis: A.int(0), epsilon: A.float(0) },
    });
    const s = Math.sqrt(2.5);
    plain(y).values.forEach((v, i) => {
      expect(v).toBeCloseTo([-1 / s, 1 / s, -2 / s, 2 / s][i], 6);
    });
  });
});

describe('reductions', () => {
  const x = f32([2, 3], [1, 2, 3, 4, 5, 6]);
  test('axes as an attribute before opset 18 (ReduceSum: 13), keepdims', () => {
    expect(
      plain(
        run1('ReduceMean', [x], { opset: 17, attrs: { axes: A.ints([0]), keepdims: A.int(0) } }),
      ),
    ).toEqual({
      dtype: 'float32',
      shape: [3],
      values: [2.5, 3.5, 4.5],
    });
    expect(plain(run1('ReduceSum', [x], { opset: 11, attrs: { axes: A.ints([1]) } }))).toEqual({
      dtype: 'float32',
      shape: [2, 1],
      values: [6, 15],
    });
    expect(
      plain(run1('ReduceMin', [x], { opset: 13, attrs: { axes: A.ints([-1]) } })).values,
    ).toEqual([1, 4]);
  });
  test('axes as an input (ReduceSum from 13, the others from 18)', () => {
    expect(plain(run1('ReduceSum', [x, i64([1])], { opset: 13 })).values).toEqual([6, 15]);
    expect(
      plain(run1('ReduceMax', [x, i64([0])], { opset: 18, attrs: { keepdims: A.int(0) } })).values,
    ).toEqual([4, 5, 6]);
  });
  test('no axes reduces all, unless noop_with_empty_axes', () => {
    expect(plain(run1('ReduceMax', [x], { opset: 13 }))).toEqual({
      dtype: 'float32',
      shape: [1, 1],
      values: [6],
    });
    expect(plain(run1('ReduceMean', [x], { opset: 18, attrs: { keepdims: A.int(0) } }))).toEqual({
      dtype: 'float32',
      shape: [],
      values: [3.5],
    });
    expect(run1('ReduceSum', [x], { opset: 13, attrs: { noop_with_empty_axes: A.int(1) } })).toBe(
      x,
    );
  });
  test('integer ReduceSum stays integer', () => {
    expect(plain(run1('ReduceSum', [i64([2, 3, 4], [3])], { opset: 13 }))).toEqual({
      dtype: 'int64',
      shape: [1],
      values: [9],
    });
  });
});
