// Shape-only and data-movement ops on any dtype: Reshape, Flatten, Squeeze, Unsqueeze, Shape, Transpose, Expand, Tile.

import type { Tensor } from '../../../common/tensor.js';
import { shapeStr, sizeOf, stridesOf } from '../../../common/tensor.js';
import { attrInt, attrInts } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { broadcastOffsets, broadcastShapes } from './broadcast.js';
import { attrError, checkInputs, gatherElems, intList, normAxis, req, shapeError } from './util.js';

/** Same data, new shape (tensors are immutable, so the data is shared). */
const view = (t: Tensor, shape: readonly number[]): Tensor => ({
  dtype: t.dtype,
  shape: [...shape],
  data: t.data,
});

const reshape: Kernel = (inputs, ctx) => {
  let x: Tensor;
  let spec: number[];
  if (ctx.opset < 5) {
    checkInputs(inputs, ctx, 1);
    x = req(inputs, 0, ctx);
    spec = attrInts(ctx.node, 'shape');
  } else {
    checkInputs(inputs, ctx, 2);
    x = req(inputs, 0, ctx);
    spec = intList(req(inputs, 1, ctx), 1, ctx);
  }
  const allowZero = ctx.opset >= 14 && attrInt(ctx.node, 'allowzero', 0) !== 0;
  const shape = spec.map((d, i) =>
    d === 0 && !allowZero
      ? (x.shape[i] ??
        shapeError(ctx, `shape[${i}] = 0 copies a dim the input ${shapeStr(x.shape)} lacks`))
      : d,
  );
  const neg = shape.filter((d) => d === -1).length;
  if (neg > 1 || shape.some((d) => d < -1))
    shapeError(ctx, `invalid target shape [${spec.join(',')}]`);
  const n = sizeOf(x.shape);
  if (neg === 1) {
    const known = shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    if (known === 0 || n % known !== 0)
      shapeError(ctx, `cannot reshape ${shapeStr(x.shape)} to [${spec.join(',')}]`);
    shape[shape.indexOf(-1)] = n / known;
  }
  if (sizeOf(shape) !== n)
    shapeError(ctx, `cannot reshape ${shapeStr(x.shape)} (${n} elements) to [${spec.join(',')}]`);
  return [view(x, shape)];
};

const flatten: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  const rank = x.shape.length;
  const a = attrInt(ctx.node, 'axis', 1);
  if (a < -rank || a > rank) attrError(ctx, 'axis', `${a} is out of range for rank ${rank}`);
  const axis = a < 0 ? a + rank : a;
  return [view(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))])];
};

/** Axes of Squeeze/Unsqueeze: an attribute before opset 13, an optional input from 13. */
function axesOf(inputs: readonly (Tensor | undefined)[], ctx: KernelContext): number[] | undefined {
  if (ctx.opset < 13) {
    checkInputs(inputs, ctx, 1);
    return 'axes' in ctx.node.attrs ? attrInts(ctx.node, 'axes') : undefined;
  }
  checkInputs(inputs, ctx, 1, 2);
  const t = inputs[1];
  return t === undefined ? undefined : intList(t, 1, ctx);
}

const squeeze: Kernel = (inputs, ctx) => {
  const axes = axesOf(inputs, ctx);
  const x = req(inputs, 0, ctx);
  const rank = x.shape.length;
  const drop = new Set(
    (axes ?? x.shape.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) =>
      normAxis(a, rank, ctx, 'axes'),
    ),
  );
  for (const a of drop)
    if (x.shape[a] !== 1)
      shapeError(ctx, `cannot squeeze axis ${a} of ${shapeStr(x.shape)}: its size is not 1`);
  return [
    view(
      x,
      x.shape.filter((_, i) => !drop.has(i)),
    ),
  ];
};

const unsqueeze: Kernel = (inputs, ctx) => {
  const axes = axesOf(inputs, ctx);
  const x = req(inputs, 0, ctx);
  if (axes === undefined) attrError(ctx, 'axes', 'Unsqueeze needs axes');
  const rank = x.shape.length + axes.length;
  const ins = new Set(axes.map((a) => normAxis(a, rank, ctx, 'axes')));
  if (ins.size !== axes.length) attrError(ctx, 'axes', `repeated axis in [${axes.join(',')}]`);
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) shape.push(ins.has(i) ? 1 : x.shape[j++]);
  return [view(x, shape)];
};

const shapeOp: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  const rank = x.shape.length;
  const clampAxis = (a: number): number => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = ctx.opset >= 15 ? clampAxis(attrInt(ctx.node, 'start', 0)) : 0;
  const end = ctx.opset >= 15 ? clampAxis(attrInt(ctx.node, 'end', rank)) : rank;
  const dims = x.shape.slice(start, Math.max(start, end));
  return [
    { dtype: 'int64', shape: [dims.length], data: BigInt64Array.from(dims, (d) => BigInt(d)) },
  ];
};

const size: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  return [{ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(sizeOf(x.shape))) }];
};

/** Row-major source offsets of a transposition: output axis i is input axis perm[i]. */
export function transposeOffsets(shape: readonly number[], perm: readonly number[]): Int32Array {
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]);
  const st = perm.map((p) => inStrides[p]);
  const n = sizeOf(shape);
  const offs = new Int32Array(n);
  const idx = new Array<number>(perm.length).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    offs[k] = off;
    for (let d = perm.length - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < outShape[d]) break;
      off -= st[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return offs;
}

const transpose: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  const rank = x.shape.length;
  const perm = attrInts(
    ctx.node,
    'perm',
    x.shape.map((_, i) => rank - 1 - i),
  );
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((p, i) => p !== i))
    attrError(ctx, 'perm', `[${perm.join(',')}] is not a permutation of ${rank} axes`);
  return [
    gatherElems(
      x,
      perm.map((p) => x.shape[p]),
      transposeOffsets(x.shape, perm),
    ),
  ];
};

const expand: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2);
  const x = req(inputs, 0, ctx);
  const target = intList(req(inputs, 1, ctx), 1, ctx);
  const shape = broadcastShapes([x.shape, target]);
  if (shape === undefined)
    shapeError(ctx, `cannot expand ${shapeStr(x.shape)} to [${target.join(',')}]`);
  return [gatherElems(x, shape, broadcastOffsets(x.shape, shape))];
};

const tile: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2);
  const x = req(inputs, 0, ctx);
  const reps = intList(req(inputs, 1, ctx), 1, ctx);
  if (reps.length !== x.shape.length || reps.some((r) => r < 0))
    shapeError(ctx, `repeats [${reps.join(',')}] must be ${x.shape.length} values >= 0`);
  const shape = x.shape.map((d, i) => d * reps[i]);
  const inStrides = stridesOf(x.shape);
  const n = sizeOf(shape);
  const map = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += (idx[d] % x.shape[d]) * inStrides[d];
    map[k] = off;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) break;
      idx[d] = 0;
    }
  }
  return [gatherElems(x, shape, map)];
};

export const SHAPE_KERNELS: Record<string, Kernel> = {
  Reshape: reshape,
  Flatten: flatten,
  Squeeze: squeeze,
  Unsqueeze: unsqueeze,
  Shape: shapeOp,
  Size: size,
  Transpose: transpose,
  Expand: expand,
  Tile: tile,
};
