// Shared bits of the compiler tests: options per preset and a small QOperator conv model builder.

import { tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { PRESETS } from '../../isa/hw-presets.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { CompileOptions } from '../../compiler/state.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

export const hw = (name: string): HwConfig => {
  const c = PRESETS[name];
  if (c === undefined) throw new Error(`no preset ${name}`);
  return c;
};

export const opts = (
  preset = 'edge',
  requant: 'float' | 'fixed' = 'float',
  cpuFallback = false,
): CompileOptions => ({
  hw: hw(preset),
  requant,
  cpuFallback,
  fixedDims: { batch: 1 },
});

/**
 * int8 input x [1, C, H, W] → QLinearConv 3x3 (C → K, pad 1) → `tail` nodes → output. Scales are per-channel.
 * Returns the builder so callers add the tail; the conv writes 'y'.
 */
export function convModel(c = 4, k = 8, h = 6, w = 6, outZp = -5): ModelBuilder {
  const b = new ModelBuilder({ opset: 13 });
  const wdata = Array.from({ length: k * c * 9 }, (_, i) => ((i * 37) % 255) - 127);
  b.input('x', 'int8', [1, c, h, w])
    .scalar('xs', 'float32', 0.05)
    .scalar('xz', 'int8', 3)
    .initializer('w', tensor('int8', [k, c, 3, 3], wdata))
    .vector(
      'ws',
      'float32',
      Array.from({ length: k }, (_, i) => 0.01 + 0.001 * i),
    )
    .vector('wz', 'int8', new Array<number>(k).fill(0))
    .scalar('ys', 'float32', 0.2)
    .scalar('yz', 'int8', outZp)
    .vector(
      'bias',
      'int32',
      Array.from({ length: k }, (_, i) => 100 * i - 300),
    )
    .node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'], ['y'], {
      kernel_shape: A.ints([3, 3]),
      pads: A.ints([1, 1, 1, 1]),
    });
  return b;
}

export const built = (b: ModelBuilder): Model => b.build();
