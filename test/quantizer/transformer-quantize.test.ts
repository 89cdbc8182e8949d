// npuq on the digits transformer: QDQ layout of attention / LayerNorm / GELU, both runtimes, int8 accuracy vs float.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { top1 } from '../../common/metrics.js';
import { readNpy } from '../../common/npy.js';
import { toNumbers, type Tensor } from '../../common/tensor.js';
import type { Model, Node } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { collectStats } from '../../quantizer/calibrate/collect.js';
import { CALIBRATION_METHODS } from '../../quantizer/calibrate/ranges.js';
import type { CalibrationStats } from '../../quantizer/calibrate/stats.js';
import type { PreparedGraph } from '../../quantizer/prepare/prepare-graph.js';
import { prepareForQuantization, quantizeWithStats } from '../../quantizer/quantize-model.js';
import { createSession, ORT_OPTIONS_S8, runSession } from '../helpers/ort.js';
import { countOps } from '../helpers/qdq-builders.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'models');
const x = readNpy(join(FIXTURES, 'digits-test-x.npy'));
const labels = toNumbers(readNpy(join(FIXTURES, 'digits-test-y.npy')));
const calib = readNpy(join(FIXTURES, 'digits-calib-x.npy'));
const first = (n: number): Tensor => ({
  ...x,
  shape: [n, 1, 8, 8],
  data: (x.data as Float32Array).slice(0, n * 64),
});

let prepared: PreparedGraph;
let stats: CalibrationStats;
let floatTop1: number;

async function ortRun(m: Model, input: Tensor, int8: boolean): Promise<Tensor> {
  const s = await createSession(
    m,
    int8 ? { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } } : ORT_OPTIONS_S8,
  );
  const out = Object.values(await runSession(s, { input }))[0];
  await s.release();
  return out;
}

const refRun = (m: Model, input: Tensor, integerKernels: boolean): Tensor =>
  Object.values(runPrepared(prepareModel(m, { integerKernels }), { input }))[0];

beforeAll(async () => {
  const model = loadModel(join(FIXTURES, 'digits-transformer.onnx'));
  prepared = prepareForQuantization(model);
  stats = await collectStats(prepared.model, calib);
  floatTop1 = top1(await ortRun(model, x, false), labels);
});

describe('QDQ layout of the quantized transformer', () => {
  it('puts one Q/DQ pair on every activation and DQ before every MatMul / LayerNorm / Gelu / Softmax input', () => {
    const { model: q } = quantizeWithStats(prepared, stats, { method: 'minmax' });
    const g = q.graph;
    const producer = new Map<string, Node>();
    for (const n of g.nodes) for (const o of n.outputs) producer.set(o, n);
    const init = (name: string): number[] => Array.from(g.initializers.get(name)!.data, Number);
    const dqParams = (v: string): number[] => {
      const dq = producer.get(v)!;
      expect(dq.opType).toBe('DequantizeLinear');
      return [...init(dq.inputs[1]), ...init(dq.inputs[2])];
    };
    const isActivation = (v: string): boolean =>
      producer.get(producer.get(v)!.inputs[0])?.opType === 'QuantizeLinear';
    // 64 activations (graph input included); 29 constant DQs: 17 weights, 1 int32 Gemm bias, 11 Add constants
    expect(countOps(q, 'QuantizeLinear')).toBe(64);
    expect(countOps(q, 'DequantizeLinear')).toBe(93);
    let actAct = 0;
    for (const n of g.nodes) {
      const op = n.domain === '' ? n.opType : `${n.domain}:${n.opType}`;
      if (op === 'MatMul') {
        const [a, b] = n.inputs;
        expect(isActivation(a)).toBe(true);
        if (isActivation(b)) {
          actAct++;
          expect(dqParams(b)).toHaveLength(2); // per tensor
        } else {
          const w = producer.get(b)!;
          expect(w.attrs.axis).toEqual({ type: 'int', value: 1 }); // [K, N] weight, per output column
          expect(init(w.inputs[1])).toHaveLength(g.initializers.get(w.inputs[0])!.shape[1]);
        }
      }
      if (
        ['Softmax', 'LayerNormalization', 'com.microsoft:Gelu', 'Reshape', 'Transpose'].includes(op)
      ) {
        expect(isActivation(n.inputs[0]), op).toBe(true);
        const qOut = g.nodes.find(
          (m) => m.opType === 'QuantizeLinear' && m.inputs[0] === n.outputs[0],
        );
        expect(qOut, op).toBeDefined();
        const outP = [...init(qOut!.inputs[1]), ...init(qOut!.inputs[2])];
        if (op === 'Softmax') expect(outP).toEqual([1 / 256, -128]);
        if (op === 'Reshape' || op === 'Transpose') expect(outP).toEqual(dqParams(n.inputs[0]));
      }
      if (op === 'LayerNormalization') {
        // γ and β stay float initializers (the integer kernel folds them into its output scale and bias)
        expect(g.initializers.get(n.inputs[1])?.dtype).toBe('float32');
        expect(g.initializers.get(n.inputs[2])?.dtype).toBe('float32');
      }
    }
    expect(actAct).toBe(4); // Q·Kᵀ and attn·V in each of the 2 layers
  });
});

describe('the quantized transformer in onnxruntime and the reference', () => {
  it('float-exact reference equals onnxruntime except rare ±1 tie roundings (QLinearAdd, LayerNorm)', async () => {
    const input = first(100);
    for (const name of ['MIN_MAX_SYM', 'MIN_MAX_ASYM']) {
      const spec = CALIBRATION_METHODS.find((m) => m.name === name)!;
      const { model: q } = quantizeWithStats(prepared, stats, spec);
      const ort = await ortRun(q, input, true);
      const ref = refRun(q, input, false);
      let differ = 0;
      for (let i = 0; i < ort.data.length; i++) if (ort.data[i] !== ref.data[i]) differ++;
      // measured: 0 of 1000 (MIN_MAX_SYM), 1 of 3970 on all 397 images (MIN_MAX_ASYM); see docs/accuracy.md
      expect(differ, name).toBeLessThanOrEqual(10);
      expect(top1(ref, labels.slice(0, 100))).toBe(top1(ort, labels.slice(0, 100)));
    }
  });

  it('int8 top-1 (float-exact and integer-only kernels) is within 1.5 pp of float on the 397 held-out images', () => {
    const { model: q } = quantizeWithStats(prepared, stats, { method: 'minmax' });
    expect(floatTop1).toBeGreaterThanOrEqual(0.95);
    for (const integer of [false, true]) {
      const acc = top1(refRun(q, x, integer), labels);
      expect(Math.abs(acc - floatTop1), `integerKernels ${integer}`).toBeLessThanOrEqual(0.015);
    }
  });

  // ENTROPY / MSE / SQNR_ASYM range searches take seconds per model here; npm run accuracy covers all ten methods
  const CHEAP = ['MIN_MAX_ASYM', 'MIN_MAX_SYM', 'PERCENTILE_ASYM', 'PERCENTILE_SYM', 'SQNR_SYM'];

  it('the fast calibration methods give runnable models within 1.5 pp of float (integer-only, 200 images)', () => {
    const input = first(200);
    const fl = top1(
      Object.values(runPrepared(prepareModel(prepared.model), { input }))[0],
      labels.slice(0, 200),
    );
    for (const spec of CALIBRATION_METHODS.filter((m) => CHEAP.includes(m.name))) {
      const { model: q } = quantizeWithStats(prepared, stats, spec);
      const lowered = prepareModel(q, { integerKernels: true });
      // integer-only: only the graph input's Q and the output's DQ remain of the QDQ format
      expect(countOps(lowered.model, 'QuantizeLinear'), spec.name).toBe(1);
      const acc = top1(Object.values(runPrepared(lowered, { input }))[0], labels.slice(0, 200));
      expect(Math.abs(acc - fl), spec.name).toBeLessThanOrEqual(0.015);
    }
  });
});
