// Activations: Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Gelu, Identity.

import type { Tensor } from '../../../common/tensor.js';
import { allocData } from '../../../common/tensor.js';
import { attrFloat, attrString } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import { erf } from './erf.js';
import { unary } from './elementwise.js';
import {
  FLOAT_DTYPES,
  attrError,
  checkInputs,
  expectDType,
  expectSameDType,
  isFloatDType,
  req,
  roundFor,
  scalarValue,
} from './util.js';

/** A float activation whose parameters come from node attributes. */
function withAttrs(
  make: (attr: (name: string, dflt: number) => number) => (x: number) => number,
): Kernel {
  return (inputs, ctx) => {
    // ONNX float attributes are float32, defaults included
    const fn = make((name, dflt) => Math.fround(attrFloat(ctx.node, name, dflt)));
    return unary(fn)(inputs, ctx);
  };
}

const CLIP_DTYPES = [...FLOAT_DTYPES, 'int8', 'uint8', 'int16', 'int32', 'int64'] as const;

/** Clip: min/max are attributes before opset 11 and optional inputs from 11; integer inputs are clipped exactly. */
const clip: Kernel = (inputs, ctx) => {
  let lo = -Infinity;
  let hi = Infinity;
  let x: Tensor;
  if (ctx.opset < 11) {
    checkInputs(inputs, ctx, 1);
    x = req(inputs, 0, ctx);
    lo = attrFloat(ctx.node, 'min', -3.4028234663852886e38);
    hi = attrFloat(ctx.node, 'max', 3.4028234663852886e38);
  } else {
    checkInputs(inputs, ctx, 1, 3);
    x = req(inputs, 0, ctx);
    const mn = inputs[1];
    const mx = inputs[2];
    if (mn !== undefined) {
      expectSameDType(mn, 1, x, ctx);
      lo = scalarValue(mn, 1, ctx);
    }
    if (mx !== undefined) {
      expectSameDType(mx, 2, x, ctx);
      hi = scalarValue(mx, 2, ctx);
    }
  }
  expectDType(x, 0, CLIP_DTYPES, ctx);
  const n = x.data.length;
  const out = allocData(x.dtype, n);
  if (x.dtype === 'int64') {
    const src = x.data as BigInt64Array;
    const o = out as BigInt64Array;
    for (let i = 0; i < n; i++) {
      const v = Number(src[i]);
      o[i] = v < lo ? BigInt(lo) : v > hi ? BigInt(hi) : src[i];
    }
  } else {
    const src = x.data as Float64Array;
    const o = out as Float64Array;
    const r = isFloatDType(x.dtype) ? roundFor(x.dtype) : (v: number) => v;
    // ORT order: max with the lower bound first, then min with the upper bound (so min > max gives max)
    for (let i = 0; i < n; i++) o[i] = r(Math.min(Math.max(src[i], lo), hi));
  }
  return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
};

const relu: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  expectDType(x, 0, [...FLOAT_DTYPES, 'int8', 'int32'], ctx);
  const out = allocData(x.dtype, x.data.length) as Float64Array;
  const src = x.data as Float64Array;
  for (let i = 0; i < src.length; i++) out[i] = src[i] > 0 ? src[i] : 0;
  return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
};

const identity: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  return [req(inputs, 0, ctx)];
};

/** Dropout at inference: the identity (the optional mask output is all true). */
const dropout: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1, 3);
  const x = req(inputs, 0, ctx);
  const mask: Tensor = {
    dtype: 'bool',
    shape: [...x.shape],
    data: new Uint8Array(x.data.length).fill(1),
  };
  return (ctx.node.outputs[1] ?? '') === '' ? [x] : [x, mask];
};

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

const gelu: Kernel = (inputs, ctx) => {
  const approx = attrString(ctx.node, 'approximate', 'none');
  if (approx === 'none') return unary((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)))(inputs, ctx);
  if (approx === 'tanh') {
    return unary((x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))))(
      inputs,
      ctx,
    );
  }
  return attrError(ctx, 'approximate', `must be 'none' or 'tanh', got '${approx}'`);
};

export const ACTIVATION_KERNELS: Record<string, Kernel> = {
  Relu: relu,
  Clip: clip,
  LeakyRelu: withAttrs((a) => {
    const alpha = a('alpha', 0.01);
    return (x) => (x >= 0 ? x : alpha * x);
  }),
  Sigmoid: unary((x) => 1 / (1 + Math.exp(-x))),
  HardSigmoid: withAttrs((a) => {
    const alpha = a('alpha', 0.2);
    const beta = a('beta', 0.5);
    return (x) => Math.max(0, Math.min(1, alpha * x + beta));
  }),
  HardSwish: unary((x) => x * Math.max(0, Math.min(1, x / 6 + 0.5))),
  Tanh: unary(Math.tanh),
  Gelu: gelu,
  Identity: identity,
  Dropout: dropout,
};
