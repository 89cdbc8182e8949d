// Float kernels: Pad (modes, attribute vs input, int8, cropping) and Resize/Upsample nearest.

import { describe, expect, test } from 'vitest';
import { A, f32, i64, plain, run1, t } from './float-kernel-harness.js';

describe('Pad', () => {
  const x = f32([1, 3], [1, 2, 3]);
  const pads = i64([0, 2, 0, 1]);
  const mode = (m: string) => ({ attrs: { mode: A.string(m) } });
  test('the four modes', () => {
    expect(plain(run1('Pad', [x, pads]))).toEqual({
      dtype: 'float32',
      shape: [1, 6],
      values: [0, 0, 1, 2, 3, 0],
    });
    expect(plain(run1('Pad', [x, pads], mode('reflect'))).values).toEqual([3, 2, 1, 2, 3, 2]);
    expect(plain(run1('Pad', [x, pads], mode('edge'))).values).toEqual([1, 1, 1, 2, 3, 3]);
    expect(plain(run1('Pad', [x, pads], { ...mode('wrap'), opset: 19 })).values).toEqual([
      2, 3, 1, 2, 3, 1,
    ]);
  });
  test('constant_value input, and the attributes before opset 11', () => {
    expect(plain(run1('Pad', [x, pads, f32([], [9])])).values).toEqual([9, 9, 1, 2, 3, 9]);
    const y = run1('Pad', [x], {
      opset: 2,
      attrs: { pads: A.ints([1, 0, 0, 0]), value: A.float(-1) },
    });
    expect(plain(y)).toEqual({ dtype: 'float32', shape: [2, 3], values: [-1, -1, -1, 1, 2, 3] });
  });
  test('int8 data, negative pads crop, axes input (opset 18)', () => {
    const q = t('int8', [3], [-5, 6, 7]);
    expect(plain(run1('Pad', [q, i64([1, 1]), t('int8', [], [-128])]))).toEqual({
      dtype: 'int8',
      shape: [5],
      values: [-128, -5, 6, 7, -128],
    });
    expect(plain(run1('Pad', [x, i64([0, -1, 0, 0])])).values).toEqual([2, 3]);
    expect(plain(run1('Pad', [x, i64([1, 1]), undefined, i64([-1])], { opset: 18 }))).toEqual({
      dtype: 'float32',
      shape: [1, 5],
      values: [0, 1, 2, 3, 0],
    });
  });
});

describe('Resize nearest', () => {
  const x = f32([1, 1, 2], [1, 2]);
  const scales2 = f32([3], [1, 1, 2]);
  const attrs = (coord: string, nearest = 'round_prefer_floor') => ({
    attrs: { coordinate_transformation_mode: A.string(coord), nearest_mode: A.string(nearest) },
  });
  test('default half_pixel + round_prefer_floor upsampling by 2', () => {
    expect(plain(run1('Resize', [x, undefined, scales2]))).toEqual({
      dtype: 'float32',
      shape: [1, 1, 4],
      values: [1, 1, 2, 2],
    });
  });
  test('asymmetric: ties go down with round_prefer_floor and up with round_prefer_ceil', () => {
    // input coordinates 0, 0.5, 1, 1.5
    expect(plain(run1('Resize', [x, undefined, scales2], attrs('asymmetric'))).values).toEqual([
      1, 1, 2, 2,
    ]);
    expect(
      plain(run1('Resize', [x, undefined, scales2], attrs('asymmetric', 'round_prefer_ceil')))
        .values,
    ).toEqual([1, 2, 2, 2]);
    expect(
      plain(run1('Resize', [x, undefined, scales2], attrs('asymmetric', 'ceil'))).values,
    ).toEqual([1, 2, 2, 2]);
    expect(
      plain(run1('Resize', [x, undefined, scales2], attrs('asymmetric', 'floor'))).values,
    ).toEqual([1, 1, 2, 2]);
  });
  test('align_corners, tf_half_pixel_for_nn, pytorch_half_pixel', () => {
    const x3 = f32([1, 1, 3], [1, 2, 3]);
    const sizes5 = i64([1, 1, 5]);
    expect(
      plain(run1('Resize', [x3, undefined, undefined, sizes5], attrs('align_corners'))).values,
    ).toEqual([1, 1, 2, 2, 3]);
    expect(
      plain(run1('Resize', [x, undefined, scales2], attrs('tf_half_pixel_for_nn'))).values,
    ).toEqual([1, 2, 2, 2]);
    const one = run1(
      'Resize',
      [x3, undefined, undefined, i64([1, 1, 1])],
      attrs('pytorch_half_pixel'),
    );
    expect(plain(one).values).toEqual([1]);
  });
  test('downsampling by scales, and sizes', () => {
    const x4 = f32([1, 1, 4], [1, 2, 3, 4]);
    // half_pixel coordinates 0.5 and 2.5: ties round down
    expect(plain(run1('Resize', [x4, undefined, f32([3], [1, 1, 0.5])])).values).toEqual([1, 3]);
    expect(plain(run1('Resize', [x, f32([0], []), f32([0], []), i64([1, 1, 4])])).values).toEqual([
      1, 1, 2, 2,
    ]);
  });
  test('2-D, int8 data', () => {
    const q = t('int8', [1, 1, 2, 2], [1, 2, 3, 4]);
    const y = run1('Resize', [q, undefined, f32([4], [1, 1, 2, 1])]);
    expect(plain(y)).toEqual({
      dtype: 'int8',
      shape: [1, 1, 4, 2],
      values: [1, 2, 1, 2, 3, 4, 3, 4],
    });
  });
  test('opset 10 Resize and opset 9 Upsample: asymmetric, rounding down when upsampling', () => {
    const x3 = f32([1, 1, 3], [1, 2, 3]);
    const s = f32([3], [1, 1, 1.5]);
    // coordinates 0, 0.667, 1.333, 2 -> floor
    expect(plain(run1('Resize', [x3, s], { opset: 10 })).values).toEqual([1, 1, 2, 3]);
    expect(plain(run1('Upsample', [x3, s], { opset: 9 })).values).toEqual([1, 1, 2, 3]);
  });
  test('unsupported mode is a user error', () => {
    expect(() =>
      run1('Resize', [x, undefined, scales2], { attrs: { mode: A.string('cubic') } }),
    ).toThrow(/only 'nearest'/);
  });
});
