// BatchNormalization (inference, and training-mode statistics) and LayerNormalization.

import type { Tensor } from '../../../common/tensor.js';
import { allocData, shapeStr, sizeOf } from '../../../common/tensor.js';
import { attrFloat, attrInt } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import { broadcastOffsets } from './broadcast.js';
import {
  FLOAT_DTYPES,
  checkInputs,
  expectDType,
  normAxis,
  req,
  roundFor,
  shapeError,
} from './util.js';

const batchNorm: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 5);
  const [x, scale, bias, mean, variance] = [0, 1, 2, 3, 4].map((i) => req(inputs, i, ctx)) as [
    Tensor,
    Tensor,
    Tensor,
    Tensor,
    Tensor,
  ];
  expectDType(x, 0, FLOAT_DTYPES, ctx);
  [scale, bias, mean, variance].forEach((t, i) => {
    expectDType(t, i + 1, FLOAT_DTYPES, ctx);
  });
  if (x.shape.length < 2) shapeError(ctx, `input ${shapeStr(x.shape)} needs rank >= 2`);
  const C = x.shape[1];
  for (const [i, t] of [scale, bias, mean, variance].entries()) {
    if (t.shape.length !== 1 || t.shape[0] !== C)
      shapeError(ctx, `input ${i + 1} ${shapeStr(t.shape)} must be [${C}]`);
  }
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const momentum = attrFloat(ctx.node, 'momentum', 0.9);
  const training = ctx.opset >= 14 && attrInt(ctx.node, 'training_mode', 0) !== 0;
  const N = x.shape[0];
  const inner = sizeOf(x.shape.slice(2));
  const xs = x.data as Float32Array;
  const num = (t: Tensor): Float64Array => Float64Array.from(t.data as Float32Array);
  let mu = num(mean);
  let v = num(variance);
  let runMean: Float64Array | undefined;
  let runVar: Float64Array | undefined;
  if (training) {
    // batch statistics (population variance), blended into the running statistics with `momentum`
    const bm = new Float64Array(C);
    const bv = new Float64Array(C);
    const count = N * inner;
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let n = 0; n < N; n++) for (let i = 0; i < inner; i++) s += xs[(n * C + c) * inner + i];
      bm[c] = s / count;
      let q = 0;
      for (let n = 0; n < N; n++)
        for (let i = 0; i < inner; i++) q += (xs[(n * C + c) * inner + i] - bm[c]) ** 2;
      bv[c] = q / count;
    }
    runMean = mu.map((m, c) => m * momentum + bm[c] * (1 - momentum));
    runVar = v.map((m, c) => m * momentum + bv[c] * (1 - momentum));
    mu = bm;
    v = bv;
  }
  const sc = scale.data as Float32Array;
  const bs = bias.data as Float32Array;
  const out = allocData(x.dtype, xs.length) as Float32Array;
  const r = roundFor(x.dtype);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const k = sc[c] / Math.sqrt(v[c] + eps);
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = r((xs[base + i] - mu[c]) * k + bs[c]);
    }
  }
  const y: Tensor = { dtype: x.dtype, shape: [...x.shape], data: out };
  if (runMean === undefined || runVar === undefined) return [y];
  const stat = (d: Float64Array): Tensor => ({
    dtype: mean.dtype,
    shape: [C],
    data: Float32Array.from(d),
  });
  return [y, stat(runMean), stat(runVar)];
};

const layerNorm: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2, 3);
  const x = req(inputs, 0, ctx);
  const scale = req(inputs, 1, ctx);
  const bias = inputs[2];
  expectDType(x, 0, FLOAT_DTYPES, ctx);
  const rank = x.shape.length;
  const axis = normAxis(attrInt(ctx.node, 'axis', -1), rank, ctx);
  const eps = attrFloat(ctx.node, 'epsilon', 1e-5);
  const outer = sizeOf(x.shape.slice(0, axis));
  const norm = sizeOf(x.shape.slice(axis));
  const normShape = x.shape.slice(axis);
  // scale and bias broadcast (unidirectionally) to the normalized dims
  const offsets = (t: Tensor, i: number): Int32Array => {
    const s = t.shape;
    if (
      s.length > normShape.length ||
      s.some((d, j) => d !== 1 && d !== normShape[normShape.length - s.length + j])
    ) {
      shapeError(ctx, `input ${i} ${shapeStr(s)} does not broadcast to ${shapeStr(normShape)}`);
    }
    return broadcastOffsets(s, normShape);
  };
  const so = offsets(scale, 1);
  const bo = bias === undefined ? undefined : offsets(bias, 2);
  const xs = x.data as Float32Array;
  const sc = scale.data as Float32Array;
  const bs = bias?.data as Float32Array | undefined;
  const out = allocData(x.dtype, xs.length) as Float32Array;
  const meanOut = new Float32Array(outer);
  const invOut = new Float32Array(outer);
  const r = roundFor(x.dtype);
  for (let o = 0; o < outer; o++) {
    const base = o * norm;
    let s = 0;
    for (let k = 0; k < norm; k++) s += xs[base + k];
    const mean = s / norm;
    let q = 0;
    for (let k = 0; k < norm; k++) q += (xs[base + k] - mean) ** 2;
    const inv = 1 / Math.sqrt(q / norm + eps);
    meanOut[o] = mean;
    invOut[o] = inv;
    for (let k = 0; k < norm; k++) {
      const y = (xs[base + k] - mean) * inv * sc[so[k]];
      out[base + k] = r(bs === undefined ? y : y + bs[bo![k]]);
    }
  }
  const statShape = x.shape.map((d, i) => (i < axis ? d : 1));
  return [
    { dtype: x.dtype, shape: [...x.shape], data: out },
    { dtype: 'float32', shape: statShape, data: meanOut },
    { dtype: 'float32', shape: [...statShape], data: invOut },
  ];
};

export const NORM_KERNELS: Record<string, Kernel> = {
  BatchNormalization: batchNorm,
  LayerNormalization: layerNorm,
};
