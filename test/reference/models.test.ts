// Whole exported models through the reference: bit-identical to onnxruntime, and int8 accuracy near float.
// digits-cnn.qdq.onnx: onnxruntime-style QDQ (int8 activations); digits-cnn.torch-qdq.onnx: exported by
// PyTorch (uint8 activations, Constant/Cast/ConstantOfShape clutter). Both are the project's own fixtures.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import { top1 } from '../../common/metrics.js';
import { toNumbers, type Tensor } from '../../common/tensor.js';
import { loadModel } from '../../onnx/model-io.js';
import { prepareModel, runPrepared } from '../../reference/interpreter.js';
import { ORT_OPTIONS, ORT_OPTIONS_S8, runOrt } from '../helpers/ort.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const x = readNpy(join(DIR, 'digits-test-x.npy'));
const labels = toNumbers(readNpy(join(DIR, 'digits-test-y.npy')));

function identical(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let n = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] === b.data[i]) n++;
  return n / a.data.length;
}

const first = (r: Record<string, Tensor>): Tensor => Object.values(r)[0];

describe('bundled digits CNN', () => {
  let floatAcc = 0;
  beforeAll(async () => {
    const f = loadModel(join(DIR, 'digits-cnn.onnx'));
    floatAcc = top1(first(await runOrt(f, { input: x }, ORT_OPTIONS)), labels);
  });

  it('onnxruntime-style QDQ (int8 activations): reference = onnxruntime bit for bit, accuracy within 1 pt', async () => {
    const m = loadModel(join(DIR, 'digits-cnn.qdq.onnx'));
    const ref = first(runPrepared(prepareModel(m), { input: x }));
    // int8 QDQ groups are fused into integer kernels on x86 only with qdqisint8allowed
    const ortOut = first(
      await runOrt(
        m,
        { input: x },
        { ...ORT_OPTIONS_S8, extra: { session: { qdqisint8allowed: '1' } } },
      ),
    );
    expect(identical(ref, ortOut)).toBe(1);
    expect(top1(ref, labels)).toBeGreaterThanOrEqual(floatAcc - 0.01);
  });

  it('PyTorch-exported QDQ (uint8, Constant/Cast clutter): reference = onnxruntime bit for bit', async () => {
    const m = loadModel(join(DIR, 'digits-cnn.torch-qdq.onnx'));
    const ref = first(runPrepared(prepareModel(m), { [m.graph.inputs[0].name]: x }));
    const ortOut = first(await runOrt(m, { [m.graph.inputs[0].name]: x }, ORT_OPTIONS));
    expect(identical(ref, ortOut)).toBe(1);
    expect(top1(ref, labels)).toBeGreaterThanOrEqual(floatAcc - 0.01);
  });

  it('fixed-point requantization changes some values but not the accuracy', () => {
    const m = loadModel(join(DIR, 'digits-cnn.qdq.onnx'));
    const p = prepareModel(m);
    const a = first(runPrepared(p, { input: x }, { mode: 'float' }));
    const b = first(runPrepared(p, { input: x }, { mode: 'fixed' }));
    expect(identical(a, b)).toBeLessThan(1); // the modes really differ somewhere...
    expect(Math.abs(top1(a, labels) - top1(b, labels))).toBeLessThanOrEqual(0.005); // ...but not in accuracy
  });
});
