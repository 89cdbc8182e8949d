// Float kernels: activations (Relu, Clip by opset, LeakyRelu, sigmoids, HardSwish, Gelu) and Softmax by opset.

import { describe, expect, test } from 'vitest';
import { A, f32, plain, run1, runOp, t } from './float-kernel-harness.js';

const close = (values: ArrayLike<number>, want: readonly number[], eps = 1e-6): void => {
  expect(values.length).toBe(want.length);
  want.forEach((w, i) => {
    expect(Math.abs(values[i] - w)).toBeLessThanOrEqual(eps);
  });
};

describe('activations', () => {
  test('Relu, LeakyRelu, Identity', () => {
    const x = f32([4], [-2, -0.5, 0, 3]);
    expect(plain(run1('Relu', [x])).values).toEqual([0, 0, 0, 3]);
    expect(plain(run1('LeakyRelu', [x], { attrs: { alpha: A.float(0.5) } })).values).toEqual([
      -1, -0.25, 0, 3,
    ]);
    expect(plain(run1('LeakyRelu', [x])).values).toEqual(
      [-2, -0.5, 0, 3].map((v) => Math.fround(v < 0 ? v * Math.fround(0.01) : v)),
    );
    expect(run1('Identity', [x])).toBe(x);
  });
  test('Clip: attributes before opset 11, optional inputs from 11', () => {
    const x = f32([5], [-3, -1, 0, 1, 3]);
    expect(
      plain(run1('Clip', [x], { opset: 6, attrs: { min: A.float(-1), max: A.float(2) } })).values,
    ).toEqual([-1, -1, 0, 1, 2]);
    expect(plain(run1('Clip', [x, f32([], [0])], { opset: 13 })).values).toEqual([0, 0, 0, 1, 3]);
    expect(plain(run1('Clip', [x, undefined, f32([], [0.5])], { opset: 13 })).values).toEqual([
      -3, -1, 0, 0.5, 0.5,
    ]);
    expect(plain(run1('Clip', [x], { opset: 13 })).values).toEqual([-3, -1, 0, 1, 3]);
  });
  test('Clip on int8 keeps the dtype', () => {
    const y = run1(
      'Clip',
      [t('int8', [3], [-128, 0, 127]), t('int8', [], [-5]), t('int8', [], [5])],
      { opset: 13 },
    );
    expect(plain(y)).toEqual({ dtype: 'int8', shape: [3], values: [-5, 0, 5] });
  });
  test('Sigmoid, HardSigmoid (alpha 0.2, beta 0.5), HardSwish, Tanh', () => {
    const x = f32([4], [-4, -1, 0, 3]);
    close(run1('Sigmoid', [x]).data as Float32Array, [
      1 / (1 + Math.exp(4)),
      1 / (1 + Math.E),
      0.5,
      1 / (1 + Math.exp(-3)),
    ]);
    close(run1('HardSigmoid', [x]).data as Float32Array, [0, 0.3, 0.5, 1]);
    close(
      run1('HardSigmoid', [x], { attrs: { alpha: A.float(0.5), beta: A.float(0) } })
        .data as Float32Array,
      [0, 0, 0, 1],
    );
    close(run1('HardSwish', [x]).data as Float32Array, [0, -1 / 3, 0, 3]);
    close(run1('Tanh', [x]).data as Float32Array, [Math.tanh(-4), Math.tanh(-1), 0, Math.tanh(3)]);
  });
  test('Gelu exact and tanh approximation', () => {
    const x = f32([3], [-1, 0, 1]);
    close(
      run1('Gelu', [x], { opset: 20 }).data as Float32Array,
      [-0.15865525393145707, 0, 0.8413447460685429],
    );
    const tanhApprox = (v: number): number =>
      0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
    close(
      run1('Gelu', [x], { opset: 20, attrs: { approximate: A.string('tanh') } })
        .data as Float32Array,
      [-1, 0, 1].map(tanhApprox),
    );
  });
});

describe('Softmax', () => {
  test('opset < 13 coerces to 2-D at axis; opset 13 normalizes along axis only', () => {
    const x = f32([1, 2, 2], [0, 0, 0, 0]);
    expect(plain(run1('Softmax', [x], { opset: 11, attrs: { axis: A.int(1) } })).values).toEqual([
      0.25, 0.25, 0.25, 0.25,
    ]);
    expect(plain(run1('Softmax', [x], { opset: 13, attrs: { axis: A.int(1) } })).values).toEqual([
      0.5, 0.5, 0.5, 0.5,
    ]);
  });
  test('default axis -1 at opset 13 (columns) and a negative axis', () => {
    const x = f32([2, 2], [0, Math.log(3), 0, 0]);
    close(run1('Softmax', [x], { opset: 13 }).data as Float32Array, [0.25, 0.75, 0.5, 0.5]);
    close(
      run1('Softmax', [x], { opset: 13, attrs: { axis: A.int(-2) } }).data as Float32Array,
      [0.5, 0.75, 0.5, 0.25],
    );
  });
  test('large inputs do not overflow (max is subtracted)', () => {
    expect(plain(run1('Softmax', [f32([2], [1000, 1000])], { opset: 13 })).values).toEqual([
      0.5, 0.5,
    ]);
  });
});

describe('Dropout', () => {
  test('is the identity at inference, with an all-true mask when asked', () => {
    const x = f32([2], [1, -2]);
    const [y, mask] = runOp('Dropout', [x], { outputs: ['y', 'mask'] });
    expect(y).toBe(x);
    expect(plain(mask)).toEqual({ dtype: 'bool', shape: [2], values: [1, 1] });
  });
});
