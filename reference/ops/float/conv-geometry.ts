// Window geometry of Conv (and of the quantized convs): attributes, resolved pads, output size.

import { fail } from '../../../common/diagnostics.js';
import { shapeStr } from '../../../common/tensor.js';
import type { Node } from '../../../onnx/graph.js';
import { attrInts, attrString } from '../../../onnx/graph.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
const AUTO_PADS: readonly string[] = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

/** A sliding window over the spatial axes; `pads` is ONNX order [begin_0.., end_0..], already resolved. */
export interface WindowGeometry {
  inSpatial: number[];
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  outSpatial: number[];
}

const where = (node: Node): { node: string; opType: string } => ({
  node: node.name,
  opType: node.opType,
});

export function readAutoPad(node: Node): AutoPad {
  const p = attrString(node, 'auto_pad', 'NOTSET');
  if (!AUTO_PADS.includes(p))
    fail('badAttribute', ['auto_pad', `unknown value '${p}'`], where(node));
  return p as AutoPad;
}

/** A per-spatial-axis int list attribute (strides, dilations) with its default of all ones. */
export function spatialInts(node: Node, name: string, rank: number, dflt: number): number[] {
  const v = attrInts(node, name, new Array<number>(rank).fill(dflt));
  if (v.length !== rank)
    fail('badAttribute', [name, `needs ${rank} values, got ${v.length}`], where(node));
  if (v.some((x) => x < 1))
    fail('badAttribute', [name, `values must be >= 1, got [${v.join(',')}]`], where(node));
  return v;
}

/** Effective (dilated) kernel extent. */
export const dilatedKernel = (k: number, d: number): number => (k - 1) * d + 1;

/**
 * Pads for auto_pad: SAME_* pad so that out = ceil(in / stride), the odd pad going to the end (UPPER) or the
 * beginning (LOWER); VALID pads nothing; NOTSET keeps the explicit pads.
 */
export function resolveConvPads(
  inSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  autoPad: AutoPad,
  explicitPads: readonly number[],
): number[] {
  const r = inSpatial.length;
  if (autoPad === 'NOTSET') return [...explicitPads];
  const pads = new Array<number>(2 * r).fill(0);
  if (autoPad === 'VALID') return pads;
  for (let i = 0; i < r; i++) {
    const out = Math.ceil(inSpatial[i] / strides[i]);
    const need = Math.max(
      0,
      (out - 1) * strides[i] + dilatedKernel(kernel[i], dilations[i]) - inSpatial[i],
    );
    const head = autoPad === 'SAME_LOWER' ? Math.ceil(need / 2) : Math.floor(need / 2);
    pads[i] = head;
    pads[i + r] = need - head;
  }
  return pads;
}

/** Output size along each spatial axis: floor((in + pads - dilated kernel) / stride) + 1. */
export function convOutputSpatial(
  inSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  pads: readonly number[],
): number[] {
  const r = inSpatial.length;
  return inSpatial.map((d, i) => {
    const total = d + pads[i] + pads[i + r] - dilatedKernel(kernel[i], dilations[i]);
    return Math.floor(total / strides[i]) + 1;
  });
}

/** Reads strides/dilations/pads/auto_pad of a conv node for an input with the given spatial dims. */
export function convGeometry(
  node: Node,
  inSpatial: readonly number[],
  kernel: readonly number[],
): WindowGeometry {
  const r = inSpatial.length;
  const strides = spatialInts(node, 'strides', r, 1);
  const dilations = spatialInts(node, 'dilations', r, 1);
  const explicit = attrInts(node, 'pads', new Array<number>(2 * r).fill(0));
  if (explicit.length !== 2 * r)
    fail('badAttribute', ['pads', `needs ${2 * r} values, got ${explicit.length}`], where(node));
  if (explicit.some((p) => p < 0))
    fail('badAttribute', ['pads', `must be >= 0, got [${explicit.join(',')}]`], where(node));
  const pads = resolveConvPads(inSpatial, kernel, strides, dilations, readAutoPad(node), explicit);
  const outSpatial = convOutputSpatial(inSpatial, kernel, strides, dilations, pads);
  if (outSpatial.some((d) => d < 1)) {
    fail(
      'shapeMismatch',
      [`window ${shapeStr(kernel)} does not fit input ${shapeStr(inSpatial)} with these pads`],
      where(node),
    );
  }
  return { inSpatial: [...inSpatial], kernel: [...kernel], strides, dilations, pads, outSpatial };
}

/**
 * Output shape [N, M, out...] of a conv with input shape [N, C, in...] and weight shape [M, C/group, k...];
 * `kernel_shape`, when given, must agree with the weight.
 */
export function convOutputShape(
  node: Node,
  xShape: readonly number[],
  wShape: readonly number[],
): {
  shape: number[];
  geometry: WindowGeometry;
} {
  if (xShape.length < 3 || wShape.length !== xShape.length) {
    fail(
      'shapeMismatch',
      [`conv input ${shapeStr(xShape)} and weight ${shapeStr(wShape)} need equal rank >= 3`],
      where(node),
    );
  }
  const kernel = wShape.slice(2);
  const ks = attrInts(node, 'kernel_shape', kernel);
  if (ks.length !== kernel.length || ks.some((k, i) => k !== kernel[i])) {
    fail(
      'badAttribute',
      ['kernel_shape', `[${ks.join(',')}] disagrees with the weight shape ${shapeStr(wShape)}`],
      where(node),
    );
  }
  const geometry = convGeometry(node, xShape.slice(2), kernel);
  return { shape: [xShape[0], wShape[0], ...geometry.outSpatial], geometry };
}

/**
 * The same geometry over exactly 3 spatial axes (depth, height, width), with unit axes prepended, so that one
 * loop nest serves 1-D, 2-D and 3-D windows; undefined for more than 3 spatial axes.
 */
export function liftTo3d(g: WindowGeometry): WindowGeometry | undefined {
  const r = g.inSpatial.length;
  if (r > 3) return undefined;
  const pre = (v: readonly number[], fill: number): number[] => [
    ...new Array<number>(3 - r).fill(fill),
    ...v,
  ];
  return {
    inSpatial: pre(g.inSpatial, 1),
    kernel: pre(g.kernel, 1),
    strides: pre(g.strides, 1),
    dilations: pre(g.dilations, 1),
    pads: [...pre(g.pads.slice(0, r), 0), ...pre(g.pads.slice(r), 0)],
    outSpatial: pre(g.outSpatial, 1),
  };
}
