// Range methods: MIN_MAX equals a hand computation on a tiny model; ENTROPY, PERCENTILE, MSE and SQNR clip
// outliers and lower the quantization error of the bulk of the data compared with MIN_MAX.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { tensor, toNumbers } from '../../common/tensor.js';
import type { MethodName } from '../../quantizer/calibrate/method.js';
import { tensorRange } from '../../quantizer/calibrate/ranges.js';
import { TensorStats } from '../../quantizer/calibrate/stats.js';
import { activationParams } from '../../quantizer/quantize/qparams.js';
import { quantizeModel } from '../../quantizer/quantize-model.js';
import { ModelBuilder } from '../helpers/model-builder.js';

describe('MIN_MAX on a tiny model, by hand', () => {
  // x -> Conv 1x1 (w = 2, b = -1) -> Relu -> y, calibrated with two batches
  const model = new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', ['n', 1, 2, 2])
    .initializer('w', tensor('float32', [1, 1, 1, 1], [2]))
    .initializer('b', tensor('float32', [1], [-1]))
    .node('Conv', ['x', 'w', 'b'], ['c'])
    .node('Relu', ['c'], ['y'])
    .output('y', 'float32')
    .build();
  const calib = [
    tensor('float32', [1, 1, 2, 2], [0, 1, 2, 3]),
    tensor('float32', [1, 1, 2, 2], [-1, 0.5, 0.25, 4]),
  ];
  // x in [-1, 4]; c = 2x - 1 in [-3, 7]; y = relu(c) in [0, 7]

  for (const engine of ['onnxruntime', 'reference'] as const) {
    it(`asymmetric (${engine}): x [-1, 4] -> scale 5/255, zp -77; y [0, 7] -> 7/255, -128; Relu folded`, async () => {
      const { model: q, report } = await quantizeModel(model, calib, { engine });
      const byName = new Map(report.activations.map((a) => [a.name, a]));
      const x = byName.get('x')!;
      expect([x.min, x.max]).toEqual([-1, 4]);
      expect(x.range).toEqual([-1, 4]);
      expect(x.scale).toBe(Math.fround(5 / 255));
      expect(x.zeroPoint).toBe(-77); // round(-128 + 1 / (5/255)) = round(-76.999..) = -77
      const y = byName.get('y')!;
      expect(y.range).toEqual([0, 7]);
      expect(y.scale).toBe(Math.fround(7 / 255));
      expect(y.zeroPoint).toBe(-128);
      expect(report.removedActivations).toEqual(['Relu_1']);
      expect(q.graph.nodes.some((n) => n.opType === 'Relu')).toBe(false);
      // weight 2 -> scale 4/254, q 127; bias -1 -> round(-1 / (s_x * s_w))
      const sw = Math.fround(4 / 254);
      expect(toNumbers(q.graph.initializers.get('w_quantized')!)).toEqual([127]);
      expect(Number(q.graph.initializers.get('w_scale')!.data[0])).toBe(sw);
      const sb = Math.fround(Math.fround(5 / 255) * sw);
      expect(toNumbers(q.graph.initializers.get('b_quantized')!)).toEqual([Math.round(-1 / sb)]);
    });
  }

  it('symmetric: x [-4, 4] -> scale 8/254, zp 0; y keeps [0, 7] (quasi-symmetric) -> 7/255, -128', async () => {
    const { report } = await quantizeModel(model, calib, { symmetric: true });
    const byName = new Map(report.activations.map((a) => [a.name, a]));
    expect(byName.get('x')!.range).toEqual([-4, 4]);
    expect(byName.get('x')!.scale).toBe(Math.fround(8 / 254));
    expect(byName.get('x')!.zeroPoint).toBe(0);
    expect(byName.get('y')!.range).toEqual([0, 7]);
    expect(byName.get('y')!.zeroPoint).toBe(-128);
  });

  it('Sigmoid output gets the fixed (1/256, -128); a Clip the int8 range does not saturate like is kept', async () => {
    const m = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', ['n', 4])
      .initializer('w', tensor('float32', [4, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]))
      .initializer('lo', tensor('float32', [], [-0.5]))
      .initializer('hi', tensor('float32', [], [1]))
      .node('Gemm', ['x', 'w'], ['g'])
      .node('Clip', ['g', 'lo', 'hi'], ['c'])
      .node('Sigmoid', ['c'], ['y'], {})
      .output('y', 'float32')
      .build();
    const calib = tensor('float32', [2, 4], [-2, -1, 0, 1, 2, 0.5, 0.25, -0.25]);
    const sym = await quantizeModel(m, calib, { symmetric: true });
    // symmetric range of c is [-1, 1]: int8 reaches -1 < -0.5, so the Clip must stay
    expect(sym.model.graph.nodes.some((n) => n.opType === 'Clip')).toBe(true);
    const asym = await quantizeModel(m, calib);
    // asymmetric range [-0.5, 1]: the Q saturates exactly like the Clip
    expect(asym.model.graph.nodes.some((n) => n.opType === 'Clip')).toBe(false);
    const y = asym.report.activations.find((a) => a.name === 'y')!;
    expect([y.scale, y.zeroPoint, y.source]).toEqual([1 / 256, -128, 'fixed']);
  });
});

// ---- outliers ----

const rng = seedrandom('outliers');
function gaussian(n: number, mean = 0, sd = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rng();
    const v = rng();
    out[i] = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/** Mean squared error of ONNX QuantizeLinear -> DequantizeLinear with the range's int8 parameters. */
function qdqMse(values: Float32Array, range: [number, number], symmetric: boolean): number {
  const { scale, zeroPoint } = activationParams(range, symmetric);
  let s = 0;
  for (const v of values) {
    const q = Math.min(Math.max(Math.round(v / scale) + zeroPoint, -128), 127);
    const e = (q - zeroPoint) * scale - v;
    s += e * e;
  }
  return s / values.length;
}

function statsOf(batches: Float32Array[]): TensorStats {
  const st = new TensorStats();
  for (const b of batches) st.add(b, true);
  return st;
}

const CLIPPING: MethodName[] = ['entropy', 'percentile', 'mse', 'sqnr'];

describe('clipping methods on a tensor with outliers', () => {
  // bulk: 2M samples of N(0, 1) (mixed sign) and of max(N(0, 1), 0) (post-ReLU), plus a few outliers. The
  // outliers must be rare: MSE and SQNR (clipping noise x3) only clip when the rounding noise saved on the bulk
  // outweighs the clipping error of the outliers
  const mixed = [gaussian(1e6), gaussian(1e6), Float32Array.from([30, -20])];
  const bulkMixed = Float32Array.from([...mixed[0], ...mixed[1]]);
  const relu = [gaussian(4e6).map((v) => Math.max(v, 0)), Float32Array.from([20])];
  const bulkRelu = relu[0];
  const cases = [
    { label: 'mixed sign', st: statsOf(mixed), bulk: bulkMixed },
    { label: 'non-negative (after ReLU)', st: statsOf(relu), bulk: bulkRelu },
  ];

  for (const { label, st, bulk } of cases) {
    for (const symmetric of [false, true]) {
      const opts = { symmetric, percentile: 99.99 };
      const minmax = tensorRange('minmax', st, opts);
      const base = qdqMse(bulk, minmax, symmetric);
      for (const method of CLIPPING) {
        it(`${method} ${symmetric ? 'sym' : 'asym'}, ${label}: range clipped, bulk error lower than MIN_MAX`, () => {
          const r = tensorRange(method, st, opts);
          expect(r[1]).toBeLessThan(minmax[1] * 0.6);
          expect(r[1]).toBeGreaterThan(2);
          if (st.min >= 0) expect(r[0]).toBe(0);
          else expect(r[0]).toBeLessThan(-2);
          if (symmetric && st.min < 0) expect(r[0]).toBe(-r[1]);
          const err = qdqMse(bulk, r, symmetric);
          expect(err).toBeLessThan(base * 0.5);
        });
      }
    }
  }

  it('MIN_MAX keeps the outliers: asymmetric [min, max], symmetric [-a, a]', () => {
    const st = cases[0].st;
    expect(tensorRange('minmax', st, { symmetric: false, percentile: 99.99 })).toEqual([-20, 30]);
    expect(tensorRange('minmax', st, { symmetric: true, percentile: 99.99 })).toEqual([-30, 30]);
  });
});
