// Resize and Upsample, nearest mode: every coordinate transformation and nearest rounding, computed in float32 like onnxruntime.

import type { Tensor } from '../../../common/tensor.js';
import { shapeStr, sizeOf, stridesOf } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import { attrFloats, attrInts, attrString } from '../../../onnx/graph.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import {
  at,
  attrError,
  checkInputs,
  expectDType,
  gatherElems,
  intList,
  normAxis,
  req,
  shapeError,
} from './util.js';

const f = Math.fround;

/**
 * Input coordinate of output coordinate `o` along one axis, each step rounded to float32 as in onnxruntime's source
 * (with sizes, the scale is float32 out / in). Known gap: onnxruntime 1.30 binaries sometimes round a coordinate
 * lying 1 ulp from a .5 tie as the tie (rare; only scales that are not dyadic fractions).
 */
export function originalCoordinate(
  mode: string,
  o: number,
  scale: number,
  outLen: number,
  inLen: number,
  roi: [number, number],
  r: (v: number) => number = f,
): number {
  switch (mode) {
    case 'half_pixel':
      return r(r(r(o + 0.5) / scale) - 0.5);
    case 'half_pixel_symmetric': {
      // onnxruntime: the adjustment in float, the rest in double, one rounding at the end
      const adj = r(outLen / r(scale * inLen));
      const offset = r((inLen / 2) * r(1 - adj));
      return r(offset + (o + 0.5) / scale - 0.5);
    }
    case 'pytorch_half_pixel':
      return outLen > 1 ? r(r(r(o + 0.5) / scale) - 0.5) : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : r(r(o * (inLen - 1)) / (outLen - 1));
    case 'asymmetric':
      return r(o / scale);
    case 'tf_half_pixel_for_nn':
      return r(r(o + 0.5) / scale);
    case 'tf_crop_and_resize': {
      const [s, e] = roi;
      return outLen > 1
        ? r(r(s * (inLen - 1)) + r(r(o * r(r(e - s) * (inLen - 1))) / (outLen - 1)))
        : r(0.5 * (s + e) * (inLen - 1));
    }
  }
  throw new Error(`unchecked coordinate_transformation_mode ${mode}`);
}

const COORD_MODES = [
  'half_pixel',
  'half_pixel_symmetric',
  'pytorch_half_pixel',
  'align_corners',
  'asymmetric',
  'tf_half_pixel_for_nn',
  'tf_crop_and_resize',
];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'];

/** The nearest input index of an input coordinate (before clamping). `simple` is the pre-opset-11 behaviour. */
export function nearestIndex(mode: string, x: number, downsample: boolean): number {
  switch (mode) {
    case 'round_prefer_floor':
      return x === Math.floor(x) + 0.5 ? Math.floor(x) : Math.round(x);
    case 'round_prefer_ceil':
      return Math.round(x);
    case 'floor':
      return Math.floor(x);
    case 'ceil':
      return Math.ceil(x);
    default:
      return downsample ? Math.ceil(x) : Math.trunc(x);
  }
}

interface ResizeParams {
  coordMode: string;
  nearestMode: string;
  /** per axis: float32 scale (out / in) and output size */
  scales: number[];
  outShape: number[];
  roi: [number, number][];
}

function resizeNearest(x: Tensor, p: ResizeParams): Tensor {
  const rank = x.shape.length;
  // onnxruntime copies the input when the shape does not change, whatever the scales say
  if (p.outShape.every((d, i) => d === x.shape[i])) return x;
  const inStrides = stridesOf(x.shape);
  const coords = p.outShape.map((outLen, a) => {
    const inLen = x.shape[a];
    return Int32Array.from({ length: outLen }, (_, o) => {
      const scale = p.scales[a];
      if (scale === 1 && p.coordMode !== 'tf_crop_and_resize') return o;
      const c = originalCoordinate(p.coordMode, o, scale, outLen, inLen, p.roi[a]);
      const i = nearestIndex(p.nearestMode, c, scale < 1);
      return Math.min(Math.max(i, 0), inLen - 1);
    });
  });
  const n = sizeOf(p.outShape);
  const map = new Int32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += coords[d][idx[d]] * inStrides[d];
    map[k] = off;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < p.outShape[d]) break;
      idx[d] = 0;
    }
  }
  return gatherElems(x, p.outShape, map);
}

function floatList(t: Tensor, i: number, ctx: KernelContext): number[] {
  expectDType(t, i, ['float32', 'float16', 'float64'], ctx);
  return Array.from(t.data as Float32Array, (v) => f(v));
}

const resize: Kernel = (inputs, ctx) => {
  const legacy = ctx.opset < 11;
  checkInputs(inputs, ctx, legacy ? 2 : 1, legacy ? 2 : 4);
  const x = req(inputs, 0, ctx);
  const rank = x.shape.length;
  const mode = attrString(ctx.node, 'mode', 'nearest');
  if (mode !== 'nearest')
    fail('unsupported', [`Resize mode '${mode}' (only 'nearest' is implemented)`], at(ctx));
  const coordMode = legacy
    ? 'asymmetric'
    : attrString(ctx.node, 'coordinate_transformation_mode', 'half_pixel');
  const nearestMode = legacy
    ? 'simple'
    : attrString(ctx.node, 'nearest_mode', 'round_prefer_floor');
  if (!COORD_MODES.includes(coordMode))
    attrError(ctx, 'coordinate_transformation_mode', `unknown value '${coordMode}'`);
  if (!NEAREST_MODES.slice(0, 4).includes(nearestMode) && !legacy)
    attrError(ctx, 'nearest_mode', `unknown value '${nearestMode}'`);
  const axes = (ctx.opset >= 18 ? attrInts(ctx.node, 'axes', []) : []).map((a) =>
    normAxis(a, rank, ctx, 'axes'),
  );
  const ax = axes.length > 0 ? axes : x.shape.map((_, i) => i);
  if (
    ctx.opset >= 18 &&
    attrString(ctx.node, 'keep_aspect_ratio_policy', 'stretch') !== 'stretch'
  ) {
    fail('unsupported', ['Resize keep_aspect_ratio_policy other than stretch'], at(ctx));
  }
  const scalesT = legacy ? inputs[1] : inputs[2];
  const sizesT = legacy ? undefined : inputs[3];
  const roiT = legacy ? undefined : inputs[1];
  const scales = x.shape.map(() => 1);
  const outShape = [...x.shape];
  if (sizesT !== undefined && sizesT.data.length > 0) {
    if (scalesT !== undefined && scalesT.data.length > 0)
      shapeError(ctx, 'only one of scales and sizes may be given');
    const sizes = intList(sizesT, 3, ctx);
    if (sizes.length !== ax.length)
      shapeError(ctx, `sizes has ${sizes.length} values for ${ax.length} axes`);
    ax.forEach((a, i) => {
      outShape[a] = sizes[i]!;
      scales[a] = f(sizes[i] / x.shape[a]);
    });
  } else if (scalesT !== undefined && scalesT.data.length > 0) {
    const s = floatList(scalesT, legacy ? 1 : 2, ctx);
    if (s.length !== ax.length)
      shapeError(ctx, `scales has ${s.length} values for ${ax.length} axes`);
    if (s.some((v) => !(v > 0))) shapeError(ctx, `scales must be > 0, got [${s.join(',')}]`);
    ax.forEach((a, i) => {
      scales[a] = s[i]!;
      // float32 product, truncated, as onnxruntime
      outShape[a] = Math.floor(f(x.shape[a] * s[i]));
    });
  } else {
    shapeError(ctx, 'Resize needs scales or sizes');
  }
  const roi: [number, number][] = x.shape.map(() => [0, 1]);
  if (coordMode === 'tf_crop_and_resize') {
    if (roiT === undefined) shapeError(ctx, 'tf_crop_and_resize needs roi');
    const r = floatList(roiT, 1, ctx);
    if (r.length !== 2 * ax.length)
      shapeError(ctx, `roi ${shapeStr(roiT.shape)} needs ${2 * ax.length} values`);
    ax.forEach((a, i) => (roi[a] = [r[i], r[i + ax.length]]));
  }
  return [resizeNearest(x, { coordMode, nearestMode, scales, outShape, roi })];
};

/** Upsample (deprecated in opset 10): nearest only, scales as an attribute (opset 7) or an input (opset 9). */
const upsample: Kernel = (inputs, ctx) => {
  const mode = attrString(ctx.node, 'mode', 'nearest');
  if (mode !== 'nearest')
    fail('unsupported', [`Upsample mode '${mode}' (only 'nearest' is implemented)`], at(ctx));
  let scales: number[];
  if (ctx.opset < 9) {
    checkInputs(inputs, ctx, 1);
    scales = attrFloats(ctx.node, 'scales').map(f);
  } else {
    checkInputs(inputs, ctx, 2);
    scales = floatList(req(inputs, 1, ctx), 1, ctx);
  }
  const x = req(inputs, 0, ctx);
  if (scales.length !== x.shape.length)
    shapeError(ctx, `scales has ${scales.length} values for ${shapeStr(x.shape)}`);
  const outShape = x.shape.map((d, i) => Math.floor(f(d * scales[i])));
  const roi: [number, number][] = x.shape.map(() => [0, 1]);
  return [
    resizeNearest(x, { coordMode: 'asymmetric', nearestMode: 'simple', scales, outShape, roi }),
  ];
};

export const RESIZE_KERNELS: Record<string, Kernel> = { Resize: resize, Upsample: upsample };
