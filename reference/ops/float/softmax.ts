// Softmax (and LogSoftmax): max-subtracted exponentials; before opset 13 the input is coerced to 2-D at `axis`.

import { allocData } from '../../../common/tensor.js';
import { attrInt } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import { FLOAT_DTYPES, checkInputs, expectDType, normAxis, req, roundFor } from './util.js';

function softmaxLike(log: boolean): Kernel {
  return (inputs, ctx) => {
    checkInputs(inputs, ctx, 1);
    const x = req(inputs, 0, ctx);
    expectDType(x, 0, FLOAT_DTYPES, ctx);
    const rank = x.shape.length;
    const legacy = ctx.opset < 13;
    const axis = normAxis(attrInt(ctx.node, 'axis', legacy ? 1 : -1), Math.max(rank, 1), ctx);
    // legacy: rows are [0, axis) flattened, the softmax runs over [axis, rank) flattened; else over one axis
    const dims = x.shape;
    const inner = legacy ? 1 : dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const len = legacy ? dims.slice(axis).reduce((a, b) => a * b, 1) : (dims[axis] ?? 1);
    const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1);
    const src = x.data as Float32Array;
    const out = allocData(x.dtype, src.length) as Float32Array;
    const r = roundFor(x.dtype);
    const e = new Float64Array(len);
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * len * inner + i;
        let max = -Infinity;
        for (let k = 0; k < len; k++) max = Math.max(max, src[base + k * inner]);
        let sum = 0;
        for (let k = 0; k < len; k++) {
          e[k] = src[base + k * inner] - max;
          sum += Math.exp(e[k]);
        }
        if (log) {
          const ls = Math.log(sum);
          for (let k = 0; k < len; k++) out[base + k * inner] = r(e[k] - ls);
        } else {
          for (let k = 0; k < len; k++) out[base + k * inner] = r(Math.exp(e[k]) / sum);
        }
      }
    }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  };
}

export const SOFTMAX_KERNELS: Record<string, Kernel> = {
  Softmax: softmaxLike(false),
  LogSoftmax: softmaxLike(true),
};
