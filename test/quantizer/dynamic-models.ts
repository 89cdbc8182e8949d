// Small float models for the dynamic-quantization tests: a MatMul/Gemm MLP and a conv net with seeded weights.

import seedrandom from 'seedrandom';
import type { Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

/** float32 values uniform in [-amp, amp) (plus `offset`), a pure function of the seed. */
export function randomFloats(
  seed: string,
  shape: readonly number[],
  amp = 1,
  offset = 0,
): Tensor<'float32'> {
  const rng = seedrandom(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = offset + (2 * rng() - 1) * amp;
  return { dtype: 'float32', shape: [...shape], data };
}

export interface MlpSpec {
  seed: number;
  batch: number | string;
  inF: number;
  hidden: number;
  outF: number;
  /** Second layer as Gemm(transB = 1, alpha, beta) instead of MatMul + Add. */
  gemm?: { alpha: number; beta: number };
}

/** x → MatMul(W1) → Add(b1) → Relu → [Gemm(W2ᵀ, c) | MatMul(W2) → Add(b2)] → y, opset 13. */
export function mlpModel(s: MlpSpec): Model {
  const b = new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', [s.batch, s.inF])
    .initializer('W1', randomFloats(`w1:${s.seed}`, [s.inF, s.hidden], 0.5))
    .initializer('b1', randomFloats(`b1:${s.seed}`, [s.hidden], 0.2))
    .node('MatMul', ['x', 'W1'], ['h0'])
    .node('Add', ['h0', 'b1'], ['h1'])
    .node('Relu', ['h1'], ['h']);
  if (s.gemm !== undefined) {
    b.initializer('W2', randomFloats(`w2:${s.seed}`, [s.outF, s.hidden], 0.5))
      .initializer('c', randomFloats(`c:${s.seed}`, [s.outF], 0.3))
      .node('Gemm', ['h', 'W2', 'c'], ['y'], {
        transB: A.int(1),
        alpha: A.float(s.gemm.alpha),
        beta: A.float(s.gemm.beta),
      });
  } else {
    b.initializer('W2', randomFloats(`w2:${s.seed}`, [s.hidden, s.outF], 0.5))
      .initializer('b2', randomFloats(`b2:${s.seed}`, [s.outF], 0.3))
      .node('MatMul', ['h', 'W2'], ['y0'])
      .node('Add', ['y0', 'b2'], ['y']);
  }
  return b.output('y', 'float32').build();
}

export interface ConvSpec {
  seed: number;
  batch: number;
  inC: number;
  size: number;
  outC: number;
  group: number;
  stride: number;
  bias: boolean;
}

/** x → Conv(k3, pad 1) → Relu → Conv 1x1 (depthwise-free) → y, opset 13. */
export function convModel(s: ConvSpec): Model {
  const w1 = randomFloats(`cw1:${s.seed}`, [s.outC, s.inC / s.group, 3, 3], 0.4);
  const b = new ModelBuilder({ opset: 13, msOpset: null })
    .input('x', 'float32', [s.batch, s.inC, s.size, s.size])
    .initializer('W1', w1)
    .initializer('W2', randomFloats(`cw2:${s.seed}`, [4, s.outC, 1, 1], 0.4));
  const in1 = ['x', 'W1'];
  if (s.bias) {
    b.initializer('B1', randomFloats(`cb1:${s.seed}`, [s.outC], 0.2));
    in1.push('B1');
  }
  return b
    .node('Conv', in1, ['c1'], {
      pads: A.ints([1, 1, 1, 1]),
      strides: A.ints([s.stride, s.stride]),
      group: A.int(s.group),
      kernel_shape: A.ints([3, 3]),
    })
    .node('Relu', ['c1'], ['r1'])
    .node('Conv', ['r1', 'W2'], ['y'])
    .output('y', 'float32')
    .build();
}
