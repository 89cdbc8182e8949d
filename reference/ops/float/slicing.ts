// Concat, Split, Slice, Gather on any dtype.

import type { Tensor } from '../../../common/tensor.js';
import { shapeStr, sizeOf } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import { attrInt, attrInts } from '../../../onnx/graph.js';
import type { Kernel } from '../../kernel.js';
import type { Elem } from './util.js';
import {
  allocLike,
  at,
  attrError,
  checkInputs,
  expectDType,
  expectSameDType,
  gatherElems,
  intList,
  normAxis,
  req,
  shapeError,
} from './util.js';

/** Element counts before and after `axis`. */
function axisBlocks(shape: readonly number[], axis: number): { outer: number; inner: number } {
  return { outer: sizeOf(shape.slice(0, axis)), inner: sizeOf(shape.slice(axis + 1)) };
}

const concat: Kernel = (inputs, ctx) => {
  if (inputs.length < 1) fail('badInputCount', ['at least 1', 0], at(ctx));
  const ts = inputs.map((_, i) => req(inputs, i, ctx));
  const first = ts[0];
  ts.forEach((t, i) => {
    expectSameDType(t, i, first, ctx);
  });
  const rank = first.shape.length;
  const axis = normAxis(attrInt(ctx.node, 'axis'), rank, ctx);
  for (const t of ts) {
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      shapeError(
        ctx,
        `cannot concatenate ${shapeStr(t.shape)} with ${shapeStr(first.shape)} along axis ${axis}`,
      );
    }
  }
  const total = ts.reduce((s, t) => s + t.shape[axis], 0);
  const shape = first.shape.map((d, i) => (i === axis ? total : d));
  const { outer, inner } = axisBlocks(shape, axis);
  const data = allocLike(first.dtype, sizeOf(shape));
  const dst = data as unknown as Elem[];
  let o = 0;
  // output = for each outer block, the inputs' blocks of (their axis length x inner) one after another
  for (let b = 0; b < outer; b++) {
    for (const t of ts) {
      const blk = t.shape[axis] * inner;
      const src = t.data as unknown as Elem[];
      for (let j = 0; j < blk; j++) dst[o++] = src[b * blk + j]!;
    }
  }
  return [{ dtype: first.dtype, shape, data }];
};

/** Pieces of `dim` for Split: explicit sizes, or `n` equal parts (the last one smaller if uneven, as opset 18). */
function splitSizes(
  dim: number,
  n: number,
  explicit: number[] | undefined,
  fail: (m: string) => never,
): number[] {
  if (explicit !== undefined) {
    if (explicit.reduce((a, b) => a + b, 0) !== dim || explicit.some((s) => s < 0))
      fail(`split sizes [${explicit.join(',')}] do not sum to ${dim}`);
    return explicit;
  }
  const chunk = Math.ceil(dim / n);
  return Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
}

const split: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1, ctx.opset >= 13 ? 2 : 1);
  const x = req(inputs, 0, ctx);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length, ctx);
  let explicit: number[] | undefined;
  if (ctx.opset >= 13) explicit = inputs[1] === undefined ? undefined : intList(inputs[1], 1, ctx);
  else if ('split' in ctx.node.attrs) explicit = attrInts(ctx.node, 'split');
  const n =
    ctx.opset >= 18 && 'num_outputs' in ctx.node.attrs
      ? attrInt(ctx.node, 'num_outputs')
      : ctx.node.outputs.length;
  if (explicit !== undefined && explicit.length !== ctx.node.outputs.length) {
    attrError(ctx, 'split', `${explicit.length} sizes for ${ctx.node.outputs.length} outputs`);
  }
  const sizes = splitSizes(x.shape[axis], n, explicit, (m) => shapeError(ctx, m));
  const { outer, inner } = axisBlocks(x.shape, axis);
  const dim = x.shape[axis];
  let start = 0;
  return sizes.map((len) => {
    const map = new Int32Array(outer * len * inner);
    let o = 0;
    for (let b = 0; b < outer; b++)
      for (let j = 0; j < len * inner; j++) map[o++] = (b * dim + start) * inner + j;
    start += len;
    return gatherElems(
      x,
      x.shape.map((d, i) => (i === axis ? len : d)),
      map,
    );
  });
};

/** Start and element count of one sliced axis (ONNX: negative values count from the end, then clamp). */
export function sliceRange(
  dim: number,
  start: number,
  end: number,
  step: number,
): { start: number; count: number } {
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
  } else {
    // the spec clamps a negative-step start to [0, dim - 1] (numpy would give an empty slice for start < -dim)
    s = Math.min(Math.max(s, 0), dim - 1);
    e = Math.min(Math.max(e, -1), dim - 1);
  }
  return { start: s, count: Math.max(0, Math.ceil((e - s) / step)) };
}

const slice: Kernel = (inputs, ctx) => {
  let x: Tensor;
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset < 10) {
    checkInputs(inputs, ctx, 1);
    x = req(inputs, 0, ctx);
    starts = attrInts(ctx.node, 'starts');
    ends = attrInts(ctx.node, 'ends');
    axes = 'axes' in ctx.node.attrs ? attrInts(ctx.node, 'axes') : undefined;
  } else {
    checkInputs(inputs, ctx, 3, 5);
    x = req(inputs, 0, ctx);
    starts = intList(req(inputs, 1, ctx), 1, ctx);
    ends = intList(req(inputs, 2, ctx), 2, ctx);
    axes = inputs[3] === undefined ? undefined : intList(inputs[3], 3, ctx);
    steps = inputs[4] === undefined ? undefined : intList(inputs[4], 4, ctx);
  }
  const rank = x.shape.length;
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank, ctx, 'axes'));
  const st = steps ?? starts.map(() => 1);
  if (ends.length !== starts.length || ax.length !== starts.length || st.length !== starts.length) {
    shapeError(ctx, 'starts, ends, axes and steps must have the same length');
  }
  const begin = new Array<number>(rank).fill(0);
  const step = new Array<number>(rank).fill(1);
  const shape = [...x.shape];
  ax.forEach((a, i) => {
    if (st[i] === 0) shapeError(ctx, 'slice step must not be 0');
    const r = sliceRange(x.shape[a], starts[i], ends[i], st[i]);
    begin[a] = r.start;
    step[a] = st[i]!;
    shape[a] = r.count;
  });
  const inStrides = x.shape.map((_, i) => sizeOf(x.shape.slice(i + 1)));
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (begin[d] + idx[d] * step[d]) * inStrides[d];
    map[k] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return [gatherElems(x, shape, map)];
};

const gather: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2);
  const x = req(inputs, 0, ctx);
  const ind = req(inputs, 1, ctx);
  expectDType(ind, 1, ['int64', 'int32'], ctx);
  const axis = normAxis(attrInt(ctx.node, 'axis', 0), x.shape.length, ctx);
  const dim = x.shape[axis];
  const { outer, inner } = axisBlocks(x.shape, axis);
  const idx = Array.from(ind.data as ArrayLike<number | bigint>, (v) => {
    const i = Number(v);
    if (i < -dim || i >= dim)
      shapeError(ctx, `index ${i} is out of range for axis ${axis} of size ${dim}`);
    return i < 0 ? i + dim : i;
  });
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const map = new Int32Array(sizeOf(shape));
  let o = 0;
  for (let b = 0; b < outer; b++)
    for (const i of idx) for (let j = 0; j < inner; j++) map[o++] = (b * dim + i) * inner + j;
  return [gatherElems(x, shape, map)];
};

export const SLICING_KERNELS: Record<string, Kernel> = {
  Concat: concat,
  Split: split,
  Slice: slice,
  Gather: gather,
};
