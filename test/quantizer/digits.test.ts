// The ten calibration methods on the bundled digits CNN: runs in onnxruntime and the reference with the same
// outputs, keeps float accuracy, and MIN_MAX_ASYM reproduces the independent numpy QDQ fixture's parameters.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import { top1 } from '../../common/metrics.js';
import { toNumbers, type Tensor } from '../../common/tensor.js';
import { loadModel } from '../../onnx/model-io.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { collectStats } from '../../quantizer/calibrate/collect.js';
import { CALIBRATION_METHODS } from '../../quantizer/calibrate/ranges.js';
import type { CalibrationStats } from '../../quantizer/calibrate/stats.js';
import type { PreparedGraph } from '../../quantizer/prepare/prepare-graph.js';
import { prepareForQuantization, quantizeWithStats } from '../../quantizer/quantize-model.js';
import { ORT_OPTIONS_S8, runOrt } from '../helpers/ort.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const x = readNpy(join(DIR, 'digits-test-x.npy'));
const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy')));
const calib = readNpy(join(DIR, 'digits-calib-x.npy'));
const floatModel = loadModel(join(DIR, 'digits-cnn.onnx'));
// int8 QDQ groups are fused into integer kernels on x86 only with qdqisint8allowed (test/helpers/ort.ts)
const ORT_S8 = { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } };

const first = (r: Record<string, Tensor>): Tensor => Object.values(r)[0];

describe('quantizing digits-cnn.onnx', () => {
  let prep: PreparedGraph;
  let stats: CalibrationStats;
  let floatAcc = 0;
  const accuracy: Record<string, number> = {};

  beforeAll(async () => {
    prep = prepareForQuantization(floatModel);
    stats = await collectStats(prep.model, calib);
    floatAcc = top1(first(runPrepared(prepareModel(floatModel), { input: x })), labels);
  });

  it('calibrates every float activation of the prepared graph over all 100 samples', () => {
    expect(stats.samples).toBe(100);
    // input, 4 convs (+3 Relu outputs, their pre-activation values too), Add, HardSigmoid, Mul, GAP, Flatten, logits
    expect([...stats.tensors.keys()]).toContain('input');
    expect([...stats.tensors.keys()]).toContain('logits');
    for (const st of stats.tensors.values()) expect(st.count % 100).toBe(0);
  });

  it('the reference engine collects the same min / max as onnxruntime', async () => {
    const ref = await collectStats(prep.model, calib, { engine: 'reference', batchSize: 50 });
    for (const [name, st] of stats.tensors) {
      const r = ref.tensors.get(name);
      expect(r, name).toBeDefined();
      expect(r!.min).toBeCloseTo(st.min, 5);
      expect(r!.max).toBeCloseTo(st.max, 5);
    }
  });

  it('MIN_MAX_ASYM reproduces the parameters of digits-cnn.qdq.onnx (independent numpy implementation)', () => {
    const { model, report } = quantizeWithStats(prep, stats, { method: 'minmax' });
    const fixture = loadModel(join(DIR, 'digits-cnn.qdq.onnx'));
    const fi = fixture.graph.initializers;
    let compared = 0;
    for (const a of report.activations) {
      const s = fi.get(`${a.name}_scale`);
      const z = fi.get(`${a.name}_zero_point`);
      if (s === undefined || z === undefined) continue;
      // the fixture's ranges come from a numpy evaluation, ours from onnxruntime: maxima may differ in the last bit
      expect(Math.abs(a.scale / Number(s.data[0]) - 1), a.name).toBeLessThan(1e-6);
      expect(a.zeroPoint, a.name).toBe(Number(z.data[0]));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(10);
    // int8 weights and int32 biases
    let tensors = 0;
    for (const [name, t] of fi) {
      if (!name.endsWith('_quantized')) continue;
      const ours = model.graph.initializers.get(name);
      expect(ours, name).toBeDefined();
      expect(ours!.dtype).toBe(t.dtype);
      // int8 weights exactly; int32 biases (scale s_in * s_w) within 1 for the last-bit range difference above
      const tol = t.dtype === 'int8' ? 0 : 1;
      for (let i = 0; i < t.data.length; i++)
        expect(Math.abs(Number(ours!.data[i]) - Number(t.data[i])), name).toBeLessThanOrEqual(tol);
      tensors++;
    }
    expect(tensors).toBe(10);
    expect(report.removedActivations).toHaveLength(3);
  });

  for (const m of CALIBRATION_METHODS) {
    it(`${m.name}: onnxruntime = reference, accuracy near float`, async () => {
      const { model } = quantizeWithStats(prep, stats, {
        method: m.method,
        symmetric: m.symmetric,
      });
      const ref = first(runPrepared(prepareModel(model), { input: x }));
      const ort = first(await runOrt(model, { input: x }, ORT_S8));
      expect(ref.shape).toEqual(ort.shape);
      let same = 0;
      let maxDiff = 0;
      for (let i = 0; i < ref.data.length; i++) {
        const d = Math.abs(Number(ref.data[i]) - Number(ort.data[i]));
        if (d === 0) same++;
        maxDiff = Math.max(maxDiff, d);
      }
      // onnxruntime's x86 QLinearAdd rounds some exact ties the other way (docs/semantics.md): a rare 1-LSB
      // difference at the residual Add may reach the logits; everything else is bit-exact
      expect(
        same / ref.data.length,
        `${ref.data.length - same} logits differ`,
      ).toBeGreaterThanOrEqual(0.999);
      const out = model.graph.initializers.get('logits_scale');
      expect(maxDiff).toBeLessThanOrEqual(2 * Number(out!.data[0]) + 1e-6);
      accuracy[m.name] = top1(ref, labels);
      expect(top1(ort, labels)).toBe(accuracy[m.name]);
      expect(accuracy[m.name]).toBeGreaterThanOrEqual(floatAcc - 0.03);
    });
  }

  it('the best method is within 1 percentage point of float top-1', () => {
    const best = Math.max(...Object.values(accuracy));
    expect(Object.keys(accuracy)).toHaveLength(10);
    expect(best).toBeGreaterThanOrEqual(floatAcc - 0.01);
    console.log(
      `digits-test top-1: float ${(100 * floatAcc).toFixed(2)}%; ` +
        Object.entries(accuracy)
          .map(([k, v]) => `${k} ${(100 * v).toFixed(2)}%`)
          .join(', '),
    );
  });
});
