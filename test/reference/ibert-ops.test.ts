// The npu.ref I-BERT ops in the reference interpreter: plumbing (axis, dtypes, attributes) and user errors.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Attr } from '../../onnx/graph.js';
import type { QuantInfo } from '../../reference/ibert/int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
  runInt8ILayerNorm,
  runInt8ISoftmax,
} from '../../reference/ibert/int8-kernels.js';
import { runModel } from '../../reference/interpreter.js';
import type { RequantMode } from '../../reference/kernel.js';
import { KERNELS } from '../../reference/ops/registry.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

const f32 = Math.fround;
const qAttrs = (sx: number, zx: number, sy: number, zy: number): Record<string, Attr> => ({
  x_scale: A.float(sx),
  x_zero_point: A.int(zx),
  y_scale: A.float(sy),
  y_zero_point: A.int(zy),
});
const qi = (scale: number, zeroPoint: number, dtype: 'int8' | 'uint8' = 'int8'): QuantInfo => ({
  scale: f32(scale),
  zeroPoint,
  dtype,
});

function randomInt8(shape: number[], seed: string, dtype: 'int8' | 'uint8' = 'int8'): Tensor {
  const rng = seedrandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const lo = dtype === 'int8' ? -128 : 0;
  return tensor(
    dtype,
    shape,
    Array.from({ length: n }, () => lo + Math.floor(rng() * 256)),
  );
}

/** One node between graph input x and output y, run by the interpreter. */
function runOne(
  op: string,
  x: Tensor,
  attrs: Record<string, Attr>,
  mode: RequantMode,
  extra: { name: string; t: Tensor }[] = [],
): Tensor {
  const b = new ModelBuilder().input('x', x.dtype, [...x.shape]);
  for (const e of extra) b.initializer(e.name, e.t);
  b.node(op, ['x', ...extra.map((e) => e.name)], ['y'], attrs, 'npu.ref').output('y', x.dtype);
  const m = b.build();
  m.opsetImports.push({ domain: 'npu.ref', version: 1 });
  return runModel(m, { x }, { mode }).y;
}

describe('npu.ref I-BERT ops', () => {
  it('are registered', () => {
    for (const op of ['IGelu', 'ISoftmax', 'ILayerNorm'])
      expect(`npu.ref:${op}` in KERNELS).toBe(true);
  });

  it.each(['fixed', 'float'] as const)(
    'IGelu equals the int8 wrapper (%s), int8 and uint8',
    (mode) => {
      for (const dtype of ['int8', 'uint8'] as const) {
        const zx = dtype === 'int8' ? -3 : 125;
        const zy = dtype === 'int8' ? -110 : 10;
        const x = randomInt8([4, 16], `g${dtype}`, dtype);
        const y = runOne('IGelu', x, qAttrs(0.03, zx, 0.02, zy), mode);
        expect(y.dtype).toBe(dtype);
        expect(y.shape).toEqual([4, 16]);
        const p = paramsForInt8IGelu(qi(0.03, zx, dtype), qi(0.02, zy, dtype), mode);
        expect(Array.from(y.data as Int8Array)).toEqual(
          Array.from(runInt8IGelu(x.data as Int8Array, p)),
        );
      }
    },
  );

  it('ISoftmax along axis 1 of [2, 5, 3] equals the wrapper on the gathered rows', () => {
    const x = randomInt8([2, 5, 3], 's');
    const attrs = { ...qAttrs(0.08, 1, 1 / 256, -128), axis: A.int(1), output_bits: A.int(12) };
    const y = runOne('ISoftmax', x, attrs, 'fixed');
    const p = paramsForInt8ISoftmax(qi(0.08, 1), qi(1 / 256, -128), 'fixed', 12);
    const xd = x.data as Int8Array;
    const yd = y.data as Int8Array;
    for (let o = 0; o < 2; o++)
      for (let i = 0; i < 3; i++) {
        const idx = [0, 1, 2, 3, 4].map((a) => (o * 5 + a) * 3 + i);
        const row = Int8Array.from(idx, (k) => xd[k]);
        expect(idx.map((k) => yd[k])).toEqual(Array.from(runInt8ISoftmax(row, 5, p)));
      }
  });

  it('ILayerNorm over the last two axes with scale and bias initializers', () => {
    const x = randomInt8([3, 2, 4], 'l');
    const gamma = tensor('float32', [2, 4], [1, 0.5, -1, 2, 1.5, 1, 0.25, -0.75]);
    const beta = tensor('float32', [2, 4], [0, 0.1, -0.2, 0.3, 0, 0, 1, -1]);
    const attrs = { ...qAttrs(0.05, 0, 0.03, 2), axis: A.int(-2) };
    const y = runOne('ILayerNorm', x, attrs, 'float', [
      { name: 'g', t: gamma },
      { name: 'b', t: beta },
    ]);
    const p = paramsForInt8ILayerNorm(qi(0.05, 0), qi(0.03, 2), 'float', gamma.data, beta.data);
    expect(Array.from(y.data as Int8Array)).toEqual(
      Array.from(runInt8ILayerNorm(x.data as Int8Array, p)),
    );
  });

  it('reports bad attributes and inputs as NpuErrors', () => {
    const x = randomInt8([2, 4], 'e');
    const expectId = (fn: () => unknown, id: string): void => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(NpuError);
        expect((e as NpuError).id).toBe(id);
        return;
      }
      throw new Error(`expected ${id}`);
    };
    expectId(() => runOne('IGelu', x, qAttrs(0, 0, 0.1, 0), 'fixed'), 'badAttribute');
    expectId(() => runOne('IGelu', x, qAttrs(0.1, 200, 0.1, 0), 'fixed'), 'badAttribute');
    expectId(() => runOne('IGelu', x, { y_scale: A.float(0.1) }, 'fixed'), 'badAttribute');
    expectId(
      () => runOne('ISoftmax', x, { ...qAttrs(0.1, 0, 0.1, 0), output_bits: A.int(40) }, 'fixed'),
      'badAttribute',
    );
    expectId(
      () =>
        runOne('ILayerNorm', x, qAttrs(0.1, 0, 0.1, 0), 'fixed', [
          { name: 'g', t: tensor('float32', [4], [1, 0, 1, 1]) },
        ]),
      'badTensorData',
    );
    expectId(
      () =>
        runOne('ILayerNorm', x, qAttrs(0.1, 0, 0.1, 0), 'fixed', [
          { name: 'g', t: tensor('float32', [3], [1, 1, 1]) },
        ]),
      'shapeMismatch',
    );
    const xf = tensor('float32', [2], [0, 1]);
    expectId(() => runOne('IGelu', xf, qAttrs(0.1, 0, 0.1, 0), 'fixed'), 'wrongDType');
  });
});
