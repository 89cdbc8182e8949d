// Runs one float kernel on hand-made tensors, for the float kernel unit tests.

import type { DType, Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Attr } from '../../onnx/graph.js';
import type { Kernel } from '../../reference/kernel.js';
import { FLOAT_KERNELS } from '../../reference/ops/float-registry.js';

export { A } from '../helpers/model-builder.js';

export interface RunOpts {
  attrs?: Record<string, Attr>;
  opset?: number;
  /** Output names; the default is one output 'y'. */
  outputs?: string[];
}

/** Runs `opType` on the inputs (undefined = omitted optional input) and returns its outputs. */
export function runOp(
  opType: string,
  inputs: readonly (Tensor | undefined)[],
  opts: RunOpts = {},
): Tensor[] {
  const kernel = FLOAT_KERNELS[opType] as Kernel | undefined;
  if (kernel === undefined) throw new Error(`no float kernel ${opType}`);
  const node = {
    name: `${opType.toLowerCase()}_node`,
    opType,
    domain: '',
    inputs: inputs.map((t, i) => (t === undefined ? '' : `x${i}`)),
    outputs: opts.outputs ?? ['y'],
    attrs: opts.attrs ?? {},
  };
  return kernel(inputs, { node, mode: 'float', opset: opts.opset ?? 17 });
}

/** The first output only. */
export const run1 = (
  opType: string,
  inputs: readonly (Tensor | undefined)[],
  opts: RunOpts = {},
): Tensor => runOp(opType, inputs, opts)[0];

export const f32 = (shape: readonly number[], values: readonly number[]): Tensor =>
  tensor('float32', shape, values);
export const i64 = (
  values: readonly number[],
  shape: readonly number[] = [values.length],
): Tensor =>
  tensor(
    'int64',
    shape,
    values.map((v) => BigInt(v)),
  );
export const t = (dtype: DType, shape: readonly number[], values: readonly number[]): Tensor =>
  tensor(dtype, shape, values);

/** Shape and plain-number values, for toEqual. */
export const plain = (x: Tensor): { dtype: DType; shape: number[]; values: number[] } => ({
  dtype: x.dtype,
  shape: [...x.shape],
  values: Array.from(x.data as ArrayLike<number | bigint>, (v) => Number(v)),
});
