// Window geometry of the pools (float and quantized): kernel_shape, ceil_mode, auto_pad, output size.

import { fail } from '../../../common/diagnostics.js';
import { shapeStr } from '../../../common/tensor.js';
import type { Node } from '../../../onnx/graph.js';
import { attrInt, attrInts } from '../../../onnx/graph.js';
import type { AutoPad, WindowGeometry } from './conv-geometry.js';
import { dilatedKernel, readAutoPad, resolveConvPads, spatialInts } from './conv-geometry.js';

const where = (node: Node): { node: string; opType: string } => ({
  node: node.name,
  opType: node.opType,
});

/**
 * Output size per spatial axis. With ceil_mode the size rounds up, but (as in onnxruntime and PyTorch) the last
 * window must start inside the input or its leading pad, so a window lying wholly in the end pad is dropped.
 */
export function poolOutputSpatial(
  inSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  pads: readonly number[],
  ceilMode: boolean,
): number[] {
  const r = inSpatial.length;
  return inSpatial.map((d, i) => {
    const s = strides[i];
    const total = d + pads[i] + pads[i + r] - dilatedKernel(kernel[i], dilations[i]);
    if (!ceilMode) return Math.floor(total / s) + 1;
    let out = Math.ceil(total / s) + 1;
    if ((out - 1) * s >= d + pads[i]) out--;
    return out;
  });
}

/**
 * Pads of a pool: as for conv (SAME_* aim at ceil(in / stride) outputs and ignore ceil_mode). onnxruntime 1.30
 * computes SAME pads of a dilated pool for the undilated kernel (fewer outputs); we follow the ONNX spec.
 */
export function resolvePoolPads(
  inSpatial: readonly number[],
  kernel: readonly number[],
  strides: readonly number[],
  dilations: readonly number[],
  autoPad: AutoPad,
  explicitPads: readonly number[],
): number[] {
  return resolveConvPads(inSpatial, kernel, strides, dilations, autoPad, explicitPads);
}

/** Reads kernel_shape/strides/dilations/pads/auto_pad/ceil_mode of a pool node for the given spatial dims. */
export function poolGeometry(
  node: Node,
  inSpatial: readonly number[],
): WindowGeometry & { ceilMode: boolean } {
  const r = inSpatial.length;
  const kernel = attrInts(node, 'kernel_shape');
  if (kernel.length !== r)
    fail('badAttribute', ['kernel_shape', `needs ${r} values, got ${kernel.length}`], where(node));
  if (kernel.some((k) => k < 1))
    fail('badAttribute', ['kernel_shape', `values must be >= 1`], where(node));
  const strides = spatialInts(node, 'strides', r, 1);
  const dilations = spatialInts(node, 'dilations', r, 1);
  const explicit = attrInts(node, 'pads', new Array<number>(2 * r).fill(0));
  if (explicit.length !== 2 * r)
    fail('badAttribute', ['pads', `needs ${2 * r} values, got ${explicit.length}`], where(node));
  if (explicit.some((p) => p < 0))
    fail('badAttribute', ['pads', `must be >= 0, got [${explicit.join(',')}]`], where(node));
  const autoPad = readAutoPad(node);
  const ceilMode = attrInt(node, 'ceil_mode', 0) !== 0;
  const pads = resolvePoolPads(inSpatial, kernel, strides, dilations, autoPad, explicit);
  const outSpatial =
    autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER'
      ? inSpatial.map((d, i) => Math.ceil(d / strides[i]))
      : poolOutputSpatial(inSpatial, kernel, strides, dilations, pads, ceilMode);
  if (outSpatial.some((d) => d < 1)) {
    fail(
      'shapeMismatch',
      [`window ${shapeStr(kernel)} does not fit input ${shapeStr(inSpatial)} with these pads`],
      where(node),
    );
  }
  return { inSpatial: [...inSpatial], kernel, strides, dilations, pads, outSpatial, ceilMode };
}

/** Output shape [N, C, out...] of a pool with input shape [N, C, in...]. */
export function poolOutputShape(
  node: Node,
  xShape: readonly number[],
): { shape: number[]; geometry: WindowGeometry } {
  if (xShape.length < 3)
    fail('shapeMismatch', [`pool input ${shapeStr(xShape)} needs rank >= 3`], where(node));
  const geometry = poolGeometry(node, xShape.slice(2));
  return { shape: [xShape[0], xShape[1], ...geometry.outSpatial], geometry };
}
