// Dynamic int8 top-1 against float on the held-out digits: the CNN, the transformer fixture and a MatMul MLP.

import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { loadModel } from '../../onnx/model-io.js';
import { quantizeDynamic } from '../../quantizer/dynamic/quantize-dynamic.js';
import { runModel } from '../../reference/interpreter.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { createSession, runOrt, runSession } from '../helpers/ort.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'models');
const X = readNpy(join(DIR, 'digits-test-x.npy')) as Tensor<'float32'>;
const Y = Array.from(readNpy(join(DIR, 'digits-test-y.npy')).data as BigInt64Array, Number);
const N = X.shape[0];

function top1(logits: Tensor, labels: readonly number[], from = 0): number {
  const d = logits.data as Float32Array;
  let ok = 0;
  const n = logits.shape[0];
  for (let i = 0; i < n; i++) {
    const row = Array.from(d.subarray(i * 10, i * 10 + 10));
    if (row.indexOf(Math.max(...row)) === labels[from + i]) ok++;
  }
  return ok / n;
}

const rows = (x: Tensor<'float32'>, a: number, b: number, shape: number[]): Tensor => ({
  dtype: 'float32',
  shape: [b - a, ...shape],
  data: x.data.slice(a * 64, b * 64),
});

/** One run per image (batch 1): each image's activations get their own run-time ranges, as when deployed. */
async function perImage(
  m: Model,
  x: Tensor<'float32'>,
  a: number,
  b: number,
  shape: number[],
): Promise<Tensor> {
  const s = await createSession(m);
  const name = m.graph.inputs[0].name;
  const out = new Float32Array((b - a) * 10);
  try {
    for (let i = a; i < b; i++) {
      const r = await runSession(s, { [name]: rows(x, i, i + 1, shape) });
      out.set(Object.values(r)[0].data as Float32Array, (i - a) * 10);
    }
  } finally {
    await s.release();
  }
  return { dtype: 'float32', shape: [b - a, 10], data: out };
}

interface Measured {
  float: number;
  perImage: number;
  batchOrt: number;
  batchRef: number;
}

async function measure(
  f: Model,
  x: Tensor<'float32'>,
  labels: number[],
  a: number,
  b: number,
  shape: number[],
): Promise<Measured> {
  const { model: q } = quantizeDynamic(f);
  const name = f.graph.inputs[0].name;
  const feed = { [name]: rows(x, a, b, shape) };
  const first = (r: Record<string, Tensor>): Tensor => Object.values(r)[0];
  return {
    float: top1(first(await runOrt(f, feed)), labels, a),
    perImage: top1(await perImage(q, x, a, b, shape), labels, a),
    batchOrt: top1(first(await runOrt(q, feed)), labels, a),
    batchRef: top1(first(runModel(q, feed)), labels, a),
  };
}

const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
function expectWithin1pp(label: string, m: Measured): void {
  console.log(
    `${label}: float ${pct(m.float)}, dynamic int8 ${pct(m.perImage)} per image (onnxruntime), ` +
      `${pct(m.batchOrt)} / ${pct(m.batchRef)} as one batch (onnxruntime / reference)`,
  );
  for (const v of [m.perImage, m.batchOrt, m.batchRef])
    expect(v).toBeGreaterThanOrEqual(m.float - 0.01);
}

describe('dynamic int8 top-1 within 1 percentage point of float (397 held-out digits)', () => {
  it('digits CNN (ConvInteger + MatMulInteger)', async () => {
    const m = await measure(loadModel(join(DIR, 'digits-cnn.onnx')), X, Y, 0, N, [1, 8, 8]);
    expectWithin1pp('digits CNN', m);
  });

  it('digits transformer (14 MatMulInteger)', async () => {
    const m = await measure(loadModel(join(DIR, 'digits-transformer.onnx')), X, Y, 0, N, [1, 8, 8]);
    expectWithin1pp('digits transformer', m);
  });

  it('an MLP (64 → 256 random ReLU features → ridge readout, fitted on the first 200 test images)', async () => {
    const f = randomFeatureMlp(200);
    const m = await measure(f, X, Y, 200, N, [64]);
    expect(m.float).toBeGreaterThan(0.85); // the readout really learned something
    expectWithin1pp(`random-feature MLP (${N - 200} images)`, m);
  });
});

/** x[64] → MatMul(W1) + b1 → Relu → MatMul(W2) + b2; W2, b2 by ridge regression on one-hot labels of images [0, fit). */
function randomFeatureMlp(fit: number): Model {
  const H = 256;
  const rng = seedrandom('mlp-features');
  const w1 = new Float32Array(64 * H).map(() => (rng() * 2 - 1) * 0.5);
  const b1 = new Float32Array(H).map(() => (rng() * 2 - 1) * 0.5);
  const feats: Float64Array[] = [];
  for (let i = 0; i < fit; i++) {
    const h = new Float64Array(H + 1);
    for (let j = 0; j < H; j++) {
      let s = b1[j];
      for (let k = 0; k < 64; k++) s += X.data[i * 64 + k] * w1[k * H + j];
      h[j] = Math.max(s, 0);
    }
    h[H] = 1;
    feats.push(h);
  }
  // (FᵀF + λI) W = Fᵀ Y, solved by Gaussian elimination with partial pivoting
  const D = H + 1;
  const A = Array.from({ length: D }, () => new Float64Array(D + 10));
  for (const [i, h] of feats.entries())
    for (let r = 0; r < D; r++) {
      for (let c = 0; c < D; c++) A[r][c] += h[r] * h[c];
      A[r][D + Y[i]] += h[r];
    }
  for (let r = 0; r < D; r++) A[r][r] += 1;
  for (let c = 0; c < D; c++) {
    let p = c;
    for (let r = c + 1; r < D; r++) if (Math.abs(A[r][c]) > Math.abs(A[p][c])) p = r;
    [A[c], A[p]] = [A[p], A[c]];
    for (let r = 0; r < D; r++) {
      if (r === c) continue;
      const k = A[r][c] / A[c][c];
      if (k !== 0) for (let j = c; j < D + 10; j++) A[r][j] -= k * A[c][j];
    }
  }
  const w2 = new Float32Array(H * 10);
  const b2 = new Float32Array(10);
  for (let r = 0; r < D; r++)
    for (let o = 0; o < 10; o++) {
      const v = A[r][D + o] / A[r][r];
      if (r < H) w2[r * 10 + o] = v;
      else b2[o] = v;
    }
  return new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', ['n', 64])
    .initializer('W1', { dtype: 'float32', shape: [64, H], data: w1 })
    .initializer('b1', { dtype: 'float32', shape: [H], data: b1 })
    .initializer('W2', { dtype: 'float32', shape: [H, 10], data: w2 })
    .initializer('b2', { dtype: 'float32', shape: [10], data: b2 })
    .node('MatMul', ['x', 'W1'], ['h0'])
    .node('Add', ['h0', 'b1'], ['h1'])
    .node('Relu', ['h1'], ['h'])
    .node('MatMul', ['h', 'W2'], ['y0'])
    .node('Add', ['y0', 'b2'], ['y'])
    .output('y', 'float32')
    .build();
}
