// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (float; MaxPool also on int8/uint8).

import type { Tensor } from '../../../common/tensor.js';
import { allocData, sizeOf } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import { attrInt } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import type { WindowGeometry } from './conv-geometry.js';
import { liftTo3d } from './conv-geometry.js';
import { poolOutputShape } from './pool-geometry.js';
import {
  FLOAT_DTYPES,
  at,
  checkInputs,
  expectDType,
  isFloatDType,
  req,
  roundFor,
  shapeError,
} from './util.js';

/** Visits each output element's window: `visit(outIndex, planeOffset, window)` over the valid input offsets. */
interface Window {
  /** valid input offsets (within one N*C plane) */
  offsets: number[];
  /** positions of the window inside [-pad_begin, in + pad_end) along all axes */
  paddedCount: number;
}

function forEachWindow(g3: WindowGeometry, visit: (outPos: number, w: Window) => void): void {
  const [ID, IH, IW] = g3.inSpatial as [number, number, number];
  const [KD, KH, KW] = g3.kernel as [number, number, number];
  const [SD, SH, SW] = g3.strides as [number, number, number];
  const [DD, DH, DW] = g3.dilations as [number, number, number];
  const [PD, PH, PW, ED, EH, EW] = g3.pads as [number, number, number, number, number, number];
  const [OD, OH, OW] = g3.outSpatial as [number, number, number];
  const axis = (
    o: number,
    s: number,
    p: number,
    k: number,
    d: number,
    size: number,
    endPad: number,
  ) => {
    const valid: number[] = [];
    let padded = 0;
    for (let j = 0; j < k; j++) {
      const i = o * s - p + j * d;
      if (i >= -p && i < size + endPad) padded++;
      if (i >= 0 && i < size) valid.push(i);
    }
    return { valid, padded };
  };
  let pos = 0;
  for (let od = 0; od < OD; od++) {
    const ad = axis(od, SD, PD, KD, DD, ID, ED);
    for (let oh = 0; oh < OH; oh++) {
      const ah = axis(oh, SH, PH, KH, DH, IH, EH);
      for (let ow = 0; ow < OW; ow++) {
        const aw = axis(ow, SW, PW, KW, DW, IW, EW);
        const offsets: number[] = [];
        for (const d of ad.valid)
          for (const h of ah.valid) for (const w of aw.valid) offsets.push((d * IH + h) * IW + w);
        visit(pos++, { offsets, paddedCount: ad.padded * ah.padded * aw.padded });
      }
    }
  }
}

function geometry3d(x: Tensor, ctx: KernelContext): { shape: number[]; g3: WindowGeometry } {
  const { shape, geometry } = poolOutputShape(ctx.node, x.shape);
  const g3 = liftTo3d(geometry);
  if (g3 === undefined)
    fail('unsupported', [`${ctx.node.opType} with more than 3 spatial axes`], at(ctx));
  return { shape, g3 };
}

const maxPool: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  expectDType(x, 0, [...FLOAT_DTYPES, 'int8', 'uint8'], ctx);
  const { shape, g3 } = geometry3d(x, ctx);
  const wantIndices = (ctx.node.outputs[1] ?? '') !== '';
  if (wantIndices && attrInt(ctx.node, 'storage_order', 0) !== 0) {
    fail('unsupported', ['MaxPool Indices with storage_order=1'], at(ctx));
  }
  const planes = x.shape[0] * x.shape[1];
  const inPlane = sizeOf(g3.inSpatial);
  const outPlane = sizeOf(g3.outSpatial);
  const src = x.data as Float32Array;
  const out = allocData(x.dtype, planes * outPlane) as Float32Array;
  const indices = new BigInt64Array(wantIndices ? planes * outPlane : 0);
  forEachWindow(g3, (pos, w) => {
    for (let p = 0; p < planes; p++) {
      let best = -Infinity;
      let arg = -1;
      for (const off of w.offsets) {
        const v = src[p * inPlane + off];
        if (v > best || arg < 0) {
          best = v;
          arg = p * inPlane + off;
        }
      }
      out[p * outPlane + pos] = best;
      if (wantIndices) indices[p * outPlane + pos] = BigInt(arg);
    }
  });
  const y: Tensor = { dtype: x.dtype, shape, data: out };
  return wantIndices ? [y, { dtype: 'int64', shape: [...shape], data: indices }] : [y];
};

const averagePool: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  expectDType(x, 0, FLOAT_DTYPES, ctx);
  const { shape, g3 } = geometry3d(x, ctx);
  const includePad = attrInt(ctx.node, 'count_include_pad', 0) !== 0;
  const planes = x.shape[0] * x.shape[1];
  const inPlane = sizeOf(g3.inSpatial);
  const outPlane = sizeOf(g3.outSpatial);
  const src = x.data as Float32Array;
  const out = allocData(x.dtype, planes * outPlane) as Float32Array;
  const r = roundFor(x.dtype);
  forEachWindow(g3, (pos, w) => {
    // count_include_pad counts pad positions but not window positions beyond the end pad (ceil_mode), as ORT
    const count = includePad ? w.paddedCount : w.offsets.length;
    for (let p = 0; p < planes; p++) {
      let sum = 0;
      for (const off of w.offsets) sum += src[p * inPlane + off];
      out[p * outPlane + pos] = r(sum / count);
    }
  });
  return [{ dtype: x.dtype, shape, data: out }];
};

function globalPool(kind: 'avg' | 'max'): Kernel {
  return (inputs, ctx) => {
    checkInputs(inputs, ctx, 1);
    const x = req(inputs, 0, ctx);
    expectDType(x, 0, kind === 'max' ? [...FLOAT_DTYPES, 'int8', 'uint8'] : FLOAT_DTYPES, ctx);
    if (x.shape.length < 3) shapeError(ctx, `input needs rank >= 3, got [${x.shape.join(',')}]`);
    const planes = x.shape[0] * x.shape[1];
    const size = sizeOf(x.shape.slice(2));
    const src = x.data as Float32Array;
    const out = allocData(x.dtype, planes) as Float32Array;
    const r = isFloatDType(x.dtype) ? roundFor(x.dtype) : (v: number) => v;
    for (let p = 0; p < planes; p++) {
      let acc = kind === 'max' ? -Infinity : 0;
      for (let i = 0; i < size; i++) {
        const v = src[p * size + i];
        acc = kind === 'max' ? Math.max(acc, v) : acc + v;
      }
      out[p] = r(kind === 'max' ? acc : acc / size);
    }
    const shape = [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)];
    return [{ dtype: x.dtype, shape, data: out }];
  };
}

export const POOL_KERNELS: Record<string, Kernel> = {
  MaxPool: maxPool,
  AveragePool: averagePool,
  GlobalAveragePool: globalPool('avg'),
  GlobalMaxPool: globalPool('max'),
};
