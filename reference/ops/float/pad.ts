// Pad on any dtype: modes constant/reflect/edge/wrap; pads as an attribute before opset 11, as inputs from 11.

import type { Tensor } from '../../../common/tensor.js';
import { allocData, shapeStr, sizeOf, stridesOf } from '../../../common/tensor.js';
import { attrFloat, attrInts, attrString } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import type { Elem } from './util.js';
import {
  attrError,
  checkInputs,
  expectSameDType,
  intList,
  normAxis,
  req,
  scalarValue,
  shapeError,
} from './util.js';

type PadMode = 'constant' | 'reflect' | 'edge' | 'wrap';

/** Source coordinate of output coordinate j along an axis of size `dim`, or -1 for the constant value. */
function sourceCoord(j: number, begin: number, dim: number, mode: PadMode): number {
  let i = j - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return i < 0 ? 0 : dim - 1;
    case 'wrap':
      return ((i % dim) + dim) % dim;
    case 'reflect': {
      if (dim === 1) return 0;
      // reflect about the edge elements without repeating them: period 2 * (dim - 1)
      const period = 2 * (dim - 1);
      i = ((i % period) + period) % period;
      return i < dim ? i : period - i;
    }
  }
}

const pad: Kernel = (inputs, ctx) => {
  const mode = attrString(ctx.node, 'mode', 'constant');
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode))
    attrError(ctx, 'mode', `unknown mode '${mode}'`);
  let x: Tensor;
  let pads: number[];
  let value: Elem = 0;
  let axes: number[] | undefined;
  if (ctx.opset < 11) {
    checkInputs(inputs, ctx, 1);
    x = req(inputs, 0, ctx);
    pads = attrInts(ctx.node, ctx.opset < 2 ? 'paddings' : 'pads');
    value = attrFloat(ctx.node, 'value', 0);
  } else {
    checkInputs(inputs, ctx, 2, 4);
    x = req(inputs, 0, ctx);
    pads = intList(req(inputs, 1, ctx), 1, ctx);
    const cv = inputs[2];
    if (cv !== undefined && cv.data.length > 0) {
      expectSameDType(cv, 2, x, ctx);
      scalarValue(cv, 2, ctx);
      value = cv.data[0]!;
    }
    if (inputs[3] !== undefined) axes = intList(inputs[3], 3, ctx);
  }
  const rank = x.shape.length;
  const ax = (axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, rank, ctx, 'axes'));
  if (pads.length !== 2 * ax.length)
    shapeError(
      ctx,
      `pads has ${pads.length} values; ${2 * ax.length} expected for ${shapeStr(x.shape)}`,
    );
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  ax.forEach((a, i) => {
    begin[a] = pads[i]!;
    end[a] = pads[i + ax.length]!;
  });
  const shape = x.shape.map((d, i) => d + begin[i] + end[i]);
  if (shape.some((d) => d < 0))
    shapeError(ctx, `pads [${pads.join(',')}] crop ${shapeStr(x.shape)} below zero`);
  if (mode !== 'constant' && x.shape.some((d, i) => d === 0 && shape[i] > 0))
    shapeError(ctx, `cannot ${mode}-pad an empty axis`);
  // per axis, the source coordinate of each output coordinate
  const coords = shape.map((d, a) =>
    Int32Array.from({ length: d }, (_, j) => sourceCoord(j, begin[a], x.shape[a], mode as PadMode)),
  );
  const inStrides = stridesOf(x.shape);
  const n = sizeOf(shape);
  const data = allocData(x.dtype, n);
  const dst = data as unknown as Elem[];
  const src = x.data as unknown as Elem[];
  const fill = x.dtype === 'int64' ? BigInt(value) : Number(value);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < rank; d++) {
      const c = coords[d][idx[d]];
      if (c < 0) {
        off = -1;
        break;
      }
      off += c * inStrides[d];
    }
    dst[k] = off < 0 ? fill : src[off];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return [{ dtype: x.dtype, shape, data }];
};

export const PAD_KERNELS: Record<string, Kernel> = { Pad: pad };
