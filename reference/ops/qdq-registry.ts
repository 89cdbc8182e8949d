// Kernels of the internal ops QDQ lowering introduces (domain npu.ref): QLinearLut and IntClip.

import { fail } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import { INT_RANGE, allocData } from '../../common/tensor.js';
import { attrInt, attrTensor } from '../../onnx/graph.js';
import type { Kernel, KernelContext } from '../kernel.js';

type Int8Like = 'int8' | 'uint8';
const is8 = (d: string): d is Int8Like => d === 'int8' || d === 'uint8';

function oneInput(inputs: readonly (Tensor | undefined)[], ctx: KernelContext): Tensor {
  const x = inputs[0];
  if (inputs.length !== 1 || x === undefined) fail('badInputCount', [1, inputs.length]);
  if (!is8(x.dtype) && x.dtype !== 'int32')
    fail('wrongDType', [ctx.node.inputs[0] ?? 'x', x.dtype, 'int8, uint8 or int32']);
  return x;
}

/**
 * npu.ref:QLinearLut(x: int8 | uint8) with tensor attribute `table` (256 entries, int8 or uint8):
 * y[i] = table[x[i] − qmin(x)], i.e. table[x] for uint8 and table[x + 128] for int8. y has the table's dtype.
 */
const qlinearLut: Kernel = (inputs, ctx) => {
  const x = oneInput(inputs, ctx);
  if (!is8(x.dtype)) fail('wrongDType', [ctx.node.inputs[0] ?? 'x', x.dtype, 'int8 or uint8']);
  const table = attrTensor(ctx.node, 'table');
  if (table === undefined) fail('badAttribute', ['table', 'required attribute is missing']);
  if (!is8(table.dtype) || table.data.length !== 256) {
    fail('badAttribute', [
      'table',
      `expected 256 int8 or uint8 values, got ${table.data.length} ${table.dtype}`,
    ]);
  }
  const off = -INT_RANGE[x.dtype][0];
  const out = allocData(table.dtype, x.data.length);
  const t = table.data as Int8Array | Uint8Array;
  const xd = x.data as Int8Array | Uint8Array;
  for (let i = 0; i < xd.length; i++) out[i] = t[xd[i] + off]!;
  return [{ dtype: table.dtype, shape: [...x.shape], data: out }];
};

/** npu.ref:IntClip(x: int8 | uint8 | int32) with int attributes min, max: y = min(max(x, min), max), same dtype. */
const intClip: Kernel = (inputs, ctx) => {
  const x = oneInput(inputs, ctx);
  const [qmin, qmax] = INT_RANGE[x.dtype as Int8Like | 'int32'];
  const lo = attrInt(ctx.node, 'min', qmin);
  const hi = attrInt(ctx.node, 'max', qmax);
  const out = allocData(x.dtype, x.data.length);
  const xd = x.data as Int8Array | Uint8Array | Int32Array;
  for (let i = 0; i < xd.length; i++) out[i] = Math.min(Math.max(xd[i], lo), hi);
  return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
};

export const QDQ_KERNELS: Record<string, Kernel> = {
  'npu.ref:QLinearLut': qlinearLut,
  'npu.ref:IntClip': intClip,
};
