// Sensitivity report: SQNR per quantized tensor equals a hand computation; ordering and output agreement.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { quantizeModel } from '../../quantizer/quantize-model.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

const rng = seedrandom('sensitivity');

describe('sensitivity report', () => {
  it('SQNR of the input and of the output equal 10 log10(Σx² / Σ(x − QDQ(x))²) by hand', async () => {
    const m = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', ['n', 8])
      .initializer(
        'w',
        tensor(
          'float32',
          [8, 3],
          Array.from({ length: 24 }, () => rng() - 0.5),
        ),
      )
      .node('MatMul', ['x', 'w'], ['h'])
      .node('Relu', ['h'], ['y'])
      .output('y', 'float32')
      .build();
    const calib = tensor(
      'float32',
      [64, 8],
      Array.from({ length: 512 }, () => 4 * rng() - 1),
    );
    const { report } = await quantizeModel(m, calib, { sensitivity: true });
    const s = report.sensitivity!;
    expect(s.samples).toBe(64);
    const x = report.activations.find((a) => a.name === 'x')!;
    let sig = 0;
    let noise = 0;
    for (const v of calib.data) {
      const q = Math.min(Math.max(Math.round(v / x.scale) + x.zeroPoint, -128), 127);
      const d = (q - x.zeroPoint) * x.scale - v;
      sig += v * v;
      noise += d * d;
    }
    const layer = s.layers.find((l) => l.tensor === 'x')!;
    expect(layer.opType).toBe('input');
    expect(layer.sqnrDb).toBeCloseTo(10 * Math.log10(sig / noise), 4); // float32 Q/DQ arithmetic
    expect(s.output.name).toBe('y');
    expect(s.output.sqnrDb).toBeGreaterThan(20);
    expect(s.output.sqnrDb).toBeLessThan(layer.sqnrDb + 6); // output error includes the input's
    expect(s.output.top1Agreement).toBeGreaterThan(0.8);
  });

  it('lists every quantized tensor but the output, lowest SQNR first', async () => {
    const m = new ModelBuilder({ opset: 13, msOpset: null })
      .input('x', 'float32', ['n', 4])
      .initializer('k', tensor('float32', [], [0.5]))
      .node('Mul', ['x', 'k'], ['a'])
      .node('Relu', ['a'], ['b'], {})
      .node('Softmax', ['b'], ['y'], { axis: A.int(1) })
      .output('y', 'float32')
      .build();
    const values = Array.from({ length: 400 }, () => rng());
    values[7] = 1000;
    const calib = tensor('float32', [100, 4], values);
    const { report } = await quantizeModel(m, calib, { sensitivity: true });
    const layers = report.sensitivity!.layers;
    expect(layers.map((l) => l.tensor).sort()).toEqual(['a', 'b', 'x']);
    for (let i = 1; i < layers.length; i++)
      expect(layers[i].sqnrDb).toBeGreaterThanOrEqual(layers[i - 1].sqnrDb);
    for (const l of layers) expect(Number.isFinite(l.sqnrDb)).toBe(true);
  });
});
