// The compiled IR of the digits models, evaluated with the ISA's arithmetic, equals the reference interpreter.

import { describe, expect, test } from 'vitest';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import { sizeOf, tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { loadModel } from '../../onnx/model-io.js';
import { runModel } from '../../reference/interpreter.js';
import { quantizeValue } from '../../reference/quant/lut.js';
import { Q_RANGE } from '../../reference/quant/requant.js';
import { evalGraph } from './ir-eval.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { opts } from './compile-helpers.js';

const images = readNpy('test/fixtures/models/digits-test-x.npy');

/** Image k as [1,1,8,8]. */
function image(k: number): Tensor {
  const n = 64;
  return tensor(
    'float32',
    [1, 1, 8, 8],
    Array.from(images.data as Float32Array).slice(k * n, (k + 1) * n),
  );
}

describe.each(['digits-cnn.qdq.onnx', 'digits-cnn.torch-qdq.onnx'])('%s', (file) => {
  test.each(['float', 'fixed'] as const)(
    '%s mode: every compiled tensor equals the reference',
    (mode) => {
      const model = loadModel(`test/fixtures/models/${file}`);
      const r = compile(model, opts('edge', mode));
      const inB = r.graph.inputs[0];
      const inT = r.graph.tensors.get(inB.tensor)!;
      let compared = 0;
      for (let k = 0; k < 12; k++) {
        const x = image(k);
        // the runtime's QuantizeLinear at the boundary, with the (possibly normalised) program parameters
        const [lo, hi] = Q_RANGE[inB.quant!.dtype];
        const codes = tensor(
          inT.dtype,
          inT.shape,
          Array.from(x.data as Float32Array, (v) =>
            quantizeValue(v, Math.fround(inB.quant!.scale), inB.quant!.zp, lo, hi),
          ),
        );
        const got = evalGraph(r.graph, { [inB.tensor]: codes }, mode);
        const want = runModel(model, { input: x }, { mode, keepIntermediates: true });
        for (const [name, t] of got) {
          const ref = want[name];
          if (ref === undefined) continue; // intermediates the compiler introduced or fused away
          const shift =
            r.graph.tensors.get(name)!.dtype === 'int8' && ref.dtype === 'uint8' ? 128 : 0;
          expect(sizeOf(t.shape)).toBe(sizeOf(ref.shape));
          expect(Array.from(t.data as Int8Array), name).toEqual(
            Array.from(ref.data as Uint8Array, (v) => v - shift),
          );
          compared++;
        }
        const outName = r.graph.outputs[0].tensor;
        expect(got.has(outName) && want[outName] !== undefined).toBe(true);
      }
      expect(compared).toBeGreaterThan(12 * 5);
    },
  );
});

test.each(['float', 'fixed'] as const)(
  '%s mode: uint8 at zero point 128 normalised to int8 computes the same values (shifted by 128)',
  (mode) => {
    // x (u8, zp 128) → conv → IntClip → table → conv → DQ → float output: every activation is u8 at zp 128
    const k = 4;
    const conv = (i: number, x: string, y: string) => {
      b.initializer(`w${i}`, randomIntTensor('int8', [k, k, 3, 3], 30 + i))
        .vector(`ws${i}`, 'float32', [0.01, 0.02, 0.015, 0.03])
        .vector(`wz${i}`, 'int8', [0, 0, 0, 0])
        .initializer(`b${i}`, randomIntTensor('int32', [k], 40 + i, -500, 500))
        .node('QLinearConv', [x, 's', 'z', `w${i}`, `ws${i}`, `wz${i}`, 's', 'z', `b${i}`], [y], {
          kernel_shape: A.ints([3, 3]),
          pads: A.ints([1, 1, 1, 1]),
        });
    };
    const b = new ModelBuilder({ opset: 13 })
      .input('x', 'uint8', [1, k, 6, 6])
      .scalar('s', 'float32', 0.1)
      .scalar('z', 'uint8', 128);
    conv(0, 'x', 'y0');
    b.node('IntClip', ['y0'], ['c'], { min: A.int(100), max: A.int(250) }, 'npu.ref');
    const table = tensor(
      'uint8',
      [256],
      Array.from({ length: 256 }, (_, i) => (i * 5 + 17) % 256),
    );
    b.node('QLinearLut', ['c'], ['l'], { table: { type: 'tensor', value: table } }, 'npu.ref');
    conv(1, 'l', 'y1');
    b.node('DequantizeLinear', ['y1', 's', 'z'], ['out']).output('out', 'float32');
    const model = b.build();
    const r = compile(model, opts('edge', mode));
    for (const name of ['l', 'y1']) {
      const t = r.graph.tensors.get(name)!;
      expect([name, t.dtype, t.quant?.zp]).toEqual([name, 'int8', 0]);
    }
    // a raw-integer program input keeps the model's type: the user feeds uint8 codes
    expect(r.graph.tensors.get('x')!.dtype).toBe('uint8');
    expect(r.graph.outputs[0].quant).toMatchObject({ dtype: 'int8', zp: 0 });
    // the clamp and the (shifted) table ride in the first conv's epilogue
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'conv']);
    const x = randomIntTensor('uint8', [1, k, 6, 6], 77);
    const got = evalGraph(r.graph, { x }, mode);
    const want = runModel(model, { x }, { mode, keepIntermediates: true });
    for (const name of ['l', 'y1']) {
      expect(Array.from(got.get(name)!.data as Int8Array), name).toEqual(
        Array.from(want[name].data as Uint8Array, (v) => v - 128),
      );
    }
  },
);
