// A random-weight MobileNet / ResNet-style graph with the ops the quantizer treats specially (BN, Relu / Clip
// folding, MaxPool sharing parameters, Sigmoid / Softmax fixed outputs, a Gemm without transB): the QDQ output
// runs in onnxruntime and in the reference with the same results and stays close to float.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../common/tensor.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { quantizeModel } from '../../quantizer/quantize-model.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { ORT_OPTIONS_S8, runOrt } from '../helpers/ort.js';

const rng = seedrandom('mixed-model');
const rand = (shape: number[], lo = -1, hi = 1): Tensor<'float32'> => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    'float32',
    shape,
    Array.from({ length: n }, () => lo + (hi - lo) * rng()),
  );
};

function buildModel() {
  const b = new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', ['n', 3, 8, 8])
    .initializer('w1', rand([8, 3, 3, 3], -0.5, 0.5))
    .initializer('g1', rand([8], 0.5, 1.5))
    .initializer('b1', rand([8], -0.2, 0.2))
    .initializer('m1', rand([8], -0.2, 0.2))
    .initializer('v1', rand([8], 0.5, 1.5))
    .initializer('wdw', rand([8, 1, 3, 3], -0.5, 0.5))
    .initializer('bdw', rand([8], -0.1, 0.1))
    .initializer('lo', tensor('float32', [], [0]))
    .initializer('hi', tensor('float32', [], [6]))
    .initializer('wpw', rand([8, 8, 1, 1], -0.5, 0.5))
    .initializer('bpw', rand([8], -0.1, 0.1))
    .initializer('wfc', rand([8, 5], -1, 1))
    .initializer('bfc', rand([5], -0.1, 0.1))
    .node('Conv', ['x', 'w1'], ['c1'], { pads: A.ints([1, 1, 1, 1]) })
    .node('BatchNormalization', ['c1', 'g1', 'b1', 'm1', 'v1'], ['bn1'])
    .node('Relu', ['bn1'], ['r1'])
    .node('MaxPool', ['r1'], ['p1'], { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) })
    .node('Conv', ['p1', 'wdw', 'bdw'], ['dw'], { group: A.int(8), pads: A.ints([1, 1, 1, 1]) })
    .node('Clip', ['dw', 'lo', 'hi'], ['r6'])
    .node('Conv', ['r6', 'wpw', 'bpw'], ['pw'])
    .node('Add', ['pw', 'p1'], ['res'])
    .node('Sigmoid', ['res'], ['sg'])
    .node('Mul', ['res', 'sg'], ['swish'])
    .node('GlobalAveragePool', ['swish'], ['gap'])
    .node('Flatten', ['gap'], ['flat'])
    .node('Gemm', ['flat', 'wfc', 'bfc'], ['logits'])
    .node('Softmax', ['logits'], ['prob'], { axis: A.int(1) })
    .output('prob', 'float32');
  return b.build();
}

const ORT_S8 = { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } };

describe('random MobileNet / ResNet-style graph', () => {
  const model = buildModel();
  const calib = rand([32, 3, 8, 8], 0, 1);
  const test = rand([64, 3, 8, 8], 0, 1);

  const cases = [
    { label: 'asymmetric, per-channel weights', symmetric: false, perTensorWeights: false },
    { label: 'symmetric, per-channel weights', symmetric: true, perTensorWeights: false },
    { label: 'asymmetric, per-tensor weights', symmetric: false, perTensorWeights: true },
  ];
  for (const { label, symmetric, perTensorWeights } of cases) {
    it(`${label}: BN folded, onnxruntime = reference, close to float`, async () => {
      const progress: number[][] = [];
      const { model: q, report } = await quantizeModel(model, calib, {
        symmetric,
        perTensorWeights,
        batchSize: 16,
        onProgress: (done, total) => progress.push([done, total]),
      });
      expect(progress).toEqual([
        [16, 32],
        [32, 32],
      ]);
      const convWeights = report.weights.filter(
        (w) => w.node.startsWith('Conv') || w.node.startsWith('Gemm'),
      );
      expect(convWeights).toHaveLength(4);
      for (const w of convWeights)
        expect(w.axis).toBe(perTensorWeights ? null : w.node.startsWith('Gemm') ? 1 : 0);
      expect(report.prepare.foldedBatchNorms).toHaveLength(1);
      const ops = q.graph.nodes.map((n) => n.opType);
      expect(ops).not.toContain('BatchNormalization');
      // Relu and Clip(0, 6) saturate exactly like the int8 output range [0, a] in both modes
      expect(ops).not.toContain('Relu');
      expect(ops).not.toContain('Clip');
      const byName = new Map(report.activations.map((a) => [a.name, a]));
      expect([byName.get('sg')!.scale, byName.get('sg')!.zeroPoint]).toEqual([1 / 256, -128]);
      expect([byName.get('prob')!.scale, byName.get('prob')!.zeroPoint]).toEqual([1 / 256, -128]);
      expect(byName.get('p1')!.source).toBe('shared');
      expect(byName.get('p1')!.scale).toBe(byName.get('r1')!.scale);

      const ref = runPrepared(prepareModel(q), { x: test }).prob;
      const ort = (await runOrt(q, { x: test }, ORT_S8)).prob;
      let same = 0;
      for (let i = 0; i < ref.data.length; i++) if (ref.data[i] === ort.data[i]) same++;
      // measured: identical (onnxruntime x86 QLinearAdd may round an exact tie differently: allow 1 LSB, rarely)
      expect(same / ref.data.length).toBeGreaterThanOrEqual(0.99);
      let maxDiff = 0;
      for (let i = 0; i < ref.data.length; i++)
        maxDiff = Math.max(maxDiff, Math.abs(Number(ref.data[i]) - Number(ort.data[i])));
      expect(maxDiff).toBeLessThanOrEqual(1 / 256 + 1e-7);

      const f = runPrepared(prepareModel(model), { x: test }).prob;
      let err = 0;
      for (let i = 0; i < f.data.length; i++)
        err = Math.max(err, Math.abs(Number(f.data[i]) - Number(ref.data[i])));
      expect(err).toBeLessThan(0.05);
    });
  }

  it('--exclude keeps named nodes in float: float weights, float outputs nothing quantized reads', async () => {
    const exclude = ['Conv_6', 'Gemm_12', 'Softmax_13'];
    const { model: q, report } = await quantizeModel(model, calib, { exclude });
    expect(report.excluded).toEqual(exclude);
    const node = (name: string) => q.graph.nodes.find((n) => n.name === name)!;
    // float weights and bias; the data input still comes from a DequantizeLinear
    expect(node('Conv_6').inputs.slice(1)).toEqual(['wpw', 'bpw']);
    expect(node('Gemm_12').inputs.slice(1)).toEqual(['wfc', 'bfc']);
    expect(node('Gemm_12').inputs[0]).toBe('flat_DequantizeLinear_Output');
    // pw feeds the quantized Add, so it is quantized; logits and prob are read by excluded nodes only
    const quantized = new Set(
      q.graph.nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.inputs[0]),
    );
    expect(quantized.has('pw')).toBe(true);
    expect(quantized.has('logits')).toBe(false);
    expect([...quantized].some((t) => t.startsWith('prob'))).toBe(false);
    expect(node('Softmax_13').outputs).toEqual(['prob']);

    const ref = runPrepared(prepareModel(q), { x: test }).prob;
    const ort = (await runOrt(q, { x: test }, ORT_S8)).prob;
    const f = runPrepared(prepareModel(model), { x: test }).prob;
    // a float conv sums in another order than onnxruntime's, so the Q after it may round a value differently
    for (let i = 0; i < ref.data.length; i++) {
      expect(Math.abs(Number(ref.data[i]) - Number(ort.data[i]))).toBeLessThan(2e-3);
      expect(Math.abs(Number(ref.data[i]) - Number(f.data[i]))).toBeLessThan(0.05);
    }
  });

  it('excluding an unknown node is an error naming it', async () => {
    await expect(quantizeModel(model, calib, { exclude: ['nope'] })).rejects.toThrow(/'nope'/);
  });

  it('--auto-exclude 1 keeps the node whose exclusion most improves the output SQNR in float', async () => {
    const { model: q, report } = await quantizeModel(model, calib, {
      autoExclude: 1,
      sensitivity: true,
    });
    const measured = report.autoExclude!;
    expect(measured.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < measured.length; i++)
      expect(measured[i].outputSqnrDb).toBeLessThanOrEqual(measured[i - 1].outputSqnrDb);
    expect(report.excluded).toEqual([measured[0].node]);
    // the final model is the measured one: same output SQNR
    expect(report.sensitivity!.output.sqnrDb).toBeCloseTo(measured[0].outputSqnrDb, 6);
    const chosen = q.graph.nodes.find((n) => n.name === measured[0].node)!;
    expect(report.weights.some((w) => w.node === chosen.name)).toBe(false);
    console.log(
      `auto-exclude: ${measured.map((m) => `${m.node} ${m.outputSqnrDb.toFixed(1)} dB`).join(', ')}`,
    );
  });
});
