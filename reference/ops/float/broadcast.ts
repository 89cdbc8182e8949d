// numpy broadcasting: the result shape of several shapes, and for each input the source offset of every result element.

import { sizeOf, stridesOf, shapeStr } from '../../../common/tensor.js';

/** The numpy broadcast of shapes, or undefined when two dims differ and neither is 1. */
export function broadcastShapes(shapes: readonly (readonly number[])[]): number[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const a = out[j];
      const b = s[i];
      if (a === b || b === 1) continue;
      if (a !== 1) return undefined;
      out[j] = b;
    }
  }
  return out;
}

export const describeShapes = (shapes: readonly (readonly number[])[]): string =>
  shapes.map(shapeStr).join(' and ');

/**
 * For every element of `outShape` (row-major), the offset of the element of an input of shape `inShape`
 * that broadcasts to it; `inShape` must broadcast to `outShape`.
 */
export function broadcastOffsets(
  inShape: readonly number[],
  outShape: readonly number[],
): Int32Array {
  const n = sizeOf(outShape);
  const rank = outShape.length;
  const offs = new Int32Array(n);
  if (n === 0) return offs;
  // strides of the input aligned to the output's rank, 0 along broadcast dims
  const inStrides = stridesOf(inShape);
  const st = new Array<number>(rank).fill(0);
  for (let i = 0; i < inShape.length; i++) {
    const j = rank - inShape.length + i;
    st[j] = inShape[i] === 1 && outShape[j] !== 1 ? 0 : inStrides[i];
  }
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let k = 0; k < n; k++) {
    offs[k] = off;
    // odometer increment, last axis fastest
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += st[d];
      if (idx[d] < outShape[d]) break;
      off -= st[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return offs;
}

/** Offsets only when broadcasting is needed; undefined means "same shape, offset = index". */
export function offsetsIfNeeded(
  inShape: readonly number[],
  outShape: readonly number[],
): Int32Array | undefined {
  const same = inShape.length === outShape.length && inShape.every((d, i) => d === outShape[i]);
  return same ? undefined : broadcastOffsets(inShape, outShape);
}
