// Test helpers for calling the quantized kernels directly: a node/context factory and tensor shorthands.

import type { DType, Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import type { Attr } from '../../onnx/graph.js';
import type { KernelContext, RequantMode } from '../../reference/kernel.js';
import { kernelKey } from '../../reference/kernel.js';
import { QUANT_KERNELS } from '../../reference/ops/quant-registry.js';

export function run(
  opType: string,
  inputs: readonly (Tensor | undefined)[],
  mode: RequantMode,
  attrs: Record<string, Attr> = {},
  opts: { domain?: string; opset?: number } = {},
): Tensor[] {
  const domain =
    opts.domain ??
    ((opType.startsWith('QLinear') && !['QLinearConv', 'QLinearMatMul'].includes(opType)) ||
    opType === 'QGemm'
      ? 'com.microsoft'
      : '');
  const key = kernelKey(domain, opType);
  if (!(key in QUANT_KERNELS)) throw new Error(`no kernel ${key}`);
  const kernel = QUANT_KERNELS[key];
  const ctx: KernelContext = {
    node: {
      name: 'n',
      opType,
      domain,
      inputs: inputs.map((_, i) => `i${i}`),
      outputs: ['y'],
      attrs,
    },
    mode,
    opset: opts.opset ?? (domain === '' ? 21 : 1),
  };
  return kernel(inputs, ctx);
}

export const t = (dtype: DType, shape: readonly number[], values: ArrayLike<number>): Tensor =>
  tensor(dtype, shape, values);
export const s = (dtype: DType, v: number): Tensor => tensor(dtype, [], [v]);
export const f = (v: number): Tensor => tensor('float32', [], [v]);
export const vals = (x: Tensor): number[] => Array.from(x.data as ArrayLike<number>);
