// Float kernels: conv and pool window geometry, Conv, MaxPool, AveragePool, global pools.

import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { convOutputSpatial, resolveConvPads } from '../../reference/ops/float/conv-geometry.js';
import { poolOutputSpatial } from '../../reference/ops/float/pool-geometry.js';
import { A, f32, plain, run1, runOp, t } from './float-kernel-harness.js';

const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);
const x3x3 = f32([1, 1, 3, 3], range(9));

describe('window geometry', () => {
  test('SAME pads aim at ceil(in / stride); the odd pad goes to the end (UPPER) or the start (LOWER)', () => {
    expect(resolveConvPads([5], [3], [2], [1], 'SAME_UPPER', [0, 0])).toEqual([1, 1]);
    expect(resolveConvPads([4], [3], [2], [1], 'SAME_UPPER', [0, 0])).toEqual([0, 1]);
    expect(resolveConvPads([4], [3], [2], [1], 'SAME_LOWER', [0, 0])).toEqual([1, 0]);
    expect(resolveConvPads([4], [2], [1], [2], 'SAME_UPPER', [0, 0])).toEqual([1, 1]); // dilated kernel of 3
    expect(resolveConvPads([4, 4], [3, 3], [1, 1], [1, 1], 'VALID', [1, 1, 1, 1])).toEqual([
      0, 0, 0, 0,
    ]);
    expect(resolveConvPads([4], [3], [1], [1], 'NOTSET', [2, 1])).toEqual([2, 1]);
  });
  test('output size with floor, dilation and ceil_mode', () => {
    expect(convOutputSpatial([5, 7], [3, 3], [2, 1], [1, 2], [1, 1, 0, 0])).toEqual([2, 4]);
    expect(poolOutputSpatial([4], [3], [2], [1], [0, 0], false)).toEqual([1]);
    expect(poolOutputSpatial([4], [3], [2], [1], [0, 0], true)).toEqual([2]);
    // ceil_mode never adds a window that starts in the end pad
    expect(poolOutputSpatial([4], [2], [2], [1], [0, 1], true)).toEqual([2]);
    expect(poolOutputSpatial([5], [2], [2], [1], [0, 1], true)).toEqual([3]);
  });
});

describe('Conv', () => {
  const ones2x2 = f32([1, 1, 2, 2], [1, 1, 1, 1]);
  test('valid 2x2 window sums', () => {
    expect(plain(run1('Conv', [x3x3, ones2x2]))).toEqual({
      dtype: 'float32',
      shape: [1, 1, 2, 2],
      values: [12, 16, 24, 28],
    });
  });
  test('pads and strides', () => {
    const y = run1('Conv', [x3x3, ones2x2], {
      attrs: { pads: A.ints([1, 1, 1, 1]), strides: A.ints([2, 2]) },
    });
    expect(plain(y).values).toEqual([1, 5, 11, 28]);
  });
  test('asymmetric pads', () => {
    const y = run1('Conv', [x3x3, ones2x2], { attrs: { pads: A.ints([1, 0, 0, 0]) } });
    expect(plain(y)).toEqual({
      dtype: 'float32',
      shape: [1, 1, 3, 2],
      values: [3, 5, 12, 16, 24, 28],
    });
  });
  test('dilations', () => {
    expect(
      plain(run1('Conv', [x3x3, ones2x2], { attrs: { dilations: A.ints([2, 2]) } })).values,
    ).toEqual([20]);
  });
  test('depthwise (group = channels) with bias', () => {
    const x = f32([1, 2, 1, 2], [1, 2, 3, 4]);
    const w = f32([2, 1, 1, 1], [10, 100]);
    const y = run1('Conv', [x, w, f32([2], [1, 2])], { attrs: { group: A.int(2) } });
    expect(plain(y).values).toEqual([11, 21, 302, 402]);
  });
  test('groups of two channels', () => {
    // 4 input channels, 2 groups, one output channel per group summing its two input channels
    const x = f32([1, 4, 1, 1], [1, 2, 3, 4]);
    const w = f32([2, 2, 1, 1], [1, 1, 1, -1]);
    expect(plain(run1('Conv', [x, w], { attrs: { group: A.int(2) } })).values).toEqual([3, -1]);
  });
  test('1-D conv with auto_pad SAME_UPPER / SAME_LOWER', () => {
    const x = f32([1, 1, 4], [1, 2, 3, 4]);
    const w = f32([1, 1, 2], [1, 1]);
    expect(
      plain(run1('Conv', [x, w], { attrs: { auto_pad: A.string('SAME_UPPER') } })).values,
    ).toEqual([3, 5, 7, 4]);
    expect(
      plain(run1('Conv', [x, w], { attrs: { auto_pad: A.string('SAME_LOWER') } })).values,
    ).toEqual([1, 3, 5, 7]);
    expect(
      plain(run1('Conv', [x, f32([1, 1, 2], [1, 2])], { attrs: { pads: A.ints([1, 0]) } })).values,
    ).toEqual([2, 5, 8, 11]);
  });
  test('accumulates in double, rounds once', () => {
    // 1 + 2^-30 - 1 is lost by float32 accumulation in this order but kept in double
    const x = f32([1, 3, 1, 1], [1, 2 ** -30, -1]);
    expect(run1('Conv', [x, f32([1, 3, 1, 1], [1, 1, 1])]).data[0]).toBe(2 ** -30);
  });
  test('bad group and mismatched weights are user errors', () => {
    const bad = (fn: () => unknown): string => {
      try {
        fn();
        return 'none';
      } catch (e) {
        return e instanceof NpuError ? e.id : 'other';
      }
    };
    expect(bad(() => run1('Conv', [x3x3, ones2x2], { attrs: { group: A.int(2) } }))).toBe(
      'badAttribute',
    );
    expect(bad(() => run1('Conv', [x3x3, f32([1, 2, 2, 2], range(8))]))).toBe('shapeMismatch');
    expect(bad(() => run1('Conv', [x3x3, f32([1, 1, 4, 4], range(16))]))).toBe('shapeMismatch');
  });
});

describe('pools', () => {
  test('MaxPool 2x2 stride 2 with Indices', () => {
    const x = f32([1, 1, 4, 4], range(16));
    const [y, ind] = runOp('MaxPool', [x], {
      attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) },
      outputs: ['y', 'i'],
    });
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [1, 1, 2, 2], values: [6, 8, 14, 16] });
    expect(plain(ind)).toEqual({ dtype: 'int64', shape: [1, 1, 2, 2], values: [5, 7, 13, 15] });
  });
  test('MaxPool ceil_mode adds the partial last window', () => {
    const attrs = { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) };
    expect(plain(run1('MaxPool', [x3x3], { attrs })).values).toEqual([5]);
    expect(
      plain(run1('MaxPool', [x3x3], { attrs: { ...attrs, ceil_mode: A.int(1) } })).values,
    ).toEqual([5, 6, 8, 9]);
  });
  test('MaxPool ignores padding (negative inputs stay)', () => {
    const x = f32([1, 1, 2, 2], [-1, -2, -3, -4]);
    const y = run1('MaxPool', [x], {
      attrs: { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) },
    });
    expect(plain(y).values).toEqual([-1, -2, -3, -4]);
  });
  test('MaxPool on int8 and uint8, dilations, SAME_LOWER', () => {
    const attrs = { kernel_shape: A.ints([2]) };
    expect(plain(run1('MaxPool', [t('int8', [1, 1, 3], [-128, -5, 7])], { attrs }))).toEqual({
      dtype: 'int8',
      shape: [1, 1, 2],
      values: [-5, 7],
    });
    expect(
      plain(run1('MaxPool', [t('uint8', [1, 1, 3], [200, 5, 255])], { attrs })).values,
    ).toEqual([200, 255]);
    const x = f32([1, 1, 4], [4, 1, 2, 3]);
    expect(
      plain(run1('MaxPool', [x], { attrs: { ...attrs, dilations: A.ints([2]) } })).values,
    ).toEqual([4, 3]);
    expect(
      plain(run1('MaxPool', [x], { attrs: { ...attrs, auto_pad: A.string('SAME_LOWER') } })).values,
    ).toEqual([4, 4, 2, 3]);
  });
  test('AveragePool count_include_pad', () => {
    const x = f32([1, 1, 2, 2], [1, 2, 3, 4]);
    const attrs = { kernel_shape: A.ints([2, 2]), pads: A.ints([1, 1, 1, 1]) };
    expect(plain(run1('AveragePool', [x], { attrs })).values).toEqual([
      1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4,
    ]);
    const inc = run1('AveragePool', [x], { attrs: { ...attrs, count_include_pad: A.int(1) } });
    expect(plain(inc).values).toEqual([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1]);
  });
  test('AveragePool ceil_mode divides partial windows by their in-range size', () => {
    const attrs = { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]), ceil_mode: A.int(1) };
    expect(plain(run1('AveragePool', [x3x3], { attrs })).values).toEqual([3, 4.5, 7.5, 9]);
    expect(
      plain(run1('AveragePool', [x3x3], { attrs: { ...attrs, count_include_pad: A.int(1) } }))
        .values,
    ).toEqual([3, 4.5, 7.5, 9]);
  });
  test('global pools', () => {
    const x = f32([1, 2, 2, 2], range(8));
    expect(plain(run1('GlobalAveragePool', [x]))).toEqual({
      dtype: 'float32',
      shape: [1, 2, 1, 1],
      values: [2.5, 6.5],
    });
    expect(plain(run1('GlobalMaxPool', [x]))).toEqual({
      dtype: 'float32',
      shape: [1, 2, 1, 1],
      values: [4, 8],
    });
  });
});
