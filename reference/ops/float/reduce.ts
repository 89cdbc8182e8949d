// ReduceMean/Max/Min/Sum/Prod: axes as an attribute (as an input from opset 18; ReduceSum from 13), keepdims, noop_with_empty_axes.

import type { Tensor } from '../../../common/tensor.js';
import { allocData, sizeOf, stridesOf } from '../../../common/tensor.js';
import { attrInt, attrInts } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import {
  FLOAT_DTYPES,
  checkInputs,
  expectDType,
  intList,
  isFloatDType,
  normAxis,
  req,
  roundFor,
} from './util.js';

type Reducer = {
  init: number;
  step: (acc: number, v: number) => number;
  finish: (acc: number, n: number) => number;
};

const REDUCERS: Record<string, Reducer & { inputFrom: number }> = {
  ReduceMean: { init: 0, step: (a, v) => a + v, finish: (a, n) => a / n, inputFrom: 18 },
  ReduceSum: { init: 0, step: (a, v) => a + v, finish: (a) => a, inputFrom: 13 },
  ReduceMax: {
    init: -Infinity,
    step: (a, v) => (v > a || Number.isNaN(v) ? v : a),
    finish: (a) => a,
    inputFrom: 18,
  },
  ReduceMin: {
    init: Infinity,
    step: (a, v) => (v < a || Number.isNaN(v) ? v : a),
    finish: (a) => a,
    inputFrom: 18,
  },
  ReduceProd: { init: 1, step: (a, v) => a * v, finish: (a) => a, inputFrom: 18 },
};

function reduce(op: string): Kernel {
  const red = REDUCERS[op];
  return (inputs, ctx) => {
    const fromInput = ctx.opset >= red.inputFrom;
    checkInputs(inputs, ctx, 1, fromInput ? 2 : 1);
    const x = req(inputs, 0, ctx);
    // int64 values pass through Number: exact below 2^53, which covers shape arithmetic
    expectDType(x, 0, [...FLOAT_DTYPES, 'int32', 'int64', 'int8', 'uint8'], ctx);
    const rank = x.shape.length;
    let axes: number[];
    if (fromInput) axes = inputs[1] === undefined ? [] : intList(inputs[1], 1, ctx);
    else axes = attrInts(ctx.node, 'axes', []);
    const keep = attrInt(ctx.node, 'keepdims', 1) !== 0;
    if (axes.length === 0) {
      if (fromInput && attrInt(ctx.node, 'noop_with_empty_axes', 0) !== 0) return [x];
      axes = x.shape.map((_, i) => i);
    }
    const reduced = new Set(axes.map((a) => normAxis(a, rank, ctx, 'axes')));
    const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
    const outStrides = stridesOf(keptShape);
    const n = sizeOf(keptShape);
    const count = sizeOf(x.shape) / Math.max(n, 1);
    const acc = new Float64Array(n).fill(red.init);
    const src = x.data;
    const idx = new Array<number>(rank).fill(0);
    let o = 0;
    for (let i = 0; i < src.length; i++) {
      acc[o] = red.step(acc[o], Number(src[i]));
      for (let d = rank - 1; d >= 0; d--) {
        idx[d]++;
        if (!reduced.has(d)) o += outStrides[d];
        if (idx[d] < x.shape[d]) break;
        if (!reduced.has(d)) o -= outStrides[d] * x.shape[d];
        idx[d] = 0;
      }
    }
    const out = allocData(x.dtype, n);
    const r = isFloatDType(x.dtype) ? roundFor(x.dtype) : Math.trunc;
    for (let i = 0; i < n; i++) {
      const v = r(red.finish(acc[i], count));
      if (out instanceof BigInt64Array) out[i] = BigInt(v);
      else out[i] = v;
    }
    const shape = keep ? keptShape : x.shape.filter((_, i) => !reduced.has(i));
    const t: Tensor = { dtype: x.dtype, shape, data: out };
    return [t];
  };
}

export const REDUCE_KERNELS: Record<string, Kernel> = Object.fromEntries(
  Object.keys(REDUCERS).map((op) => [op, reduce(op)]),
);
