// One-op QDQ transformer graphs (softmax, layernorm, gelu, act × act matmul) through npuc → npusim vs the reference.

import seedrandom from 'seedrandom';
import type { Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import type { CompileResult } from '../../compiler/state.js';
import type { Model } from '../../onnx/graph.js';
import { runModel } from '../../reference/interpreter.js';
import { simulate } from '../../simulator/simulate.js';
import { type HwName, type Mode, target } from '../e2e/npu-run.js';
import { A } from '../helpers/model-builder.js';
import { QdqBuilder } from '../helpers/qdq-builders.js';

export interface QParams {
  scale: number;
  zp: number;
}

/** Random int8 codes of a shape (fixed seed per call site). */
export function codes(shape: number[], seed: string): Tensor {
  const rng = seedrandom(seed);
  const n = shape.reduce((p, d) => p * d, 1);
  return {
    dtype: 'int8',
    shape,
    data: Int8Array.from({ length: n }, () => Math.floor(rng() * 256) - 128),
  };
}

/** x_q → DQ → Softmax(axis −1) → Q → y (int8). */
export function softmaxModel(shape: number[], x: QParams, y: QParams): Model {
  return new QdqBuilder({ opset: 17 })
    .dqInput('x', 'int8', shape, x.scale, x.zp)
    .node('Softmax', ['x'], ['s'], { axis: A.int(-1) })
    .q('s', 'y', 'int8', y.scale, y.zp)
    .build();
}

/** x_q → DQ → LayerNormalization(γ, β over the last axis) → Q → y. */
export function layerNormModel(
  shape: number[],
  x: QParams,
  y: QParams,
  gamma: number[],
  beta: number[],
): Model {
  const d = shape.at(-1)!;
  return new QdqBuilder({ opset: 17 })
    .dqInput('x', 'int8', shape, x.scale, x.zp)
    .initializer('gamma', { dtype: 'float32', shape: [d], data: Float32Array.from(gamma) })
    .initializer('beta', { dtype: 'float32', shape: [d], data: Float32Array.from(beta) })
    .node('LayerNormalization', ['x', 'gamma', 'beta'], ['s'], { axis: A.int(-1) })
    .q('s', 'y', 'int8', y.scale, y.zp)
    .build();
}

/** x_q → DQ → Gelu (opset 20, or com.microsoft Gelu) → Q → y. */
export function geluModel(shape: number[], x: QParams, y: QParams, ms: boolean): Model {
  const b = new QdqBuilder({ opset: ms ? 17 : 20 }).dqInput('x', 'int8', shape, x.scale, x.zp);
  if (ms) b.msNode('Gelu', ['x'], ['s']);
  else b.node('Gelu', ['x'], ['s']);
  return b.q('s', 'y', 'int8', y.scale, y.zp).build();
}

/** a_q, b_q → DQ → MatMul → Q → y: both operands activations (attention). */
export function matMulModel(
  aShape: number[],
  bShape: number[],
  a: QParams,
  b: QParams,
  y: QParams,
): Model {
  return new QdqBuilder({ opset: 17 })
    .dqInput('a', 'int8', aShape, a.scale, a.zp)
    .dqInput('b', 'int8', bShape, b.scale, b.zp)
    .node('MatMul', ['a', 'b'], ['s'])
    .q('s', 'y', 'int8', y.scale, y.zp)
    .build();
}

/** x_q → DQ → Add(DQ(constant c), x) → Q → y: a bias (or positional embedding) broadcast over the rows. */
export function addConstModel(
  shape: number[],
  cShape: number[],
  x: QParams,
  y: QParams,
  seed: string,
): Model {
  return new QdqBuilder({ opset: 17 })
    .dqInput('x', 'int8', shape, x.scale, x.zp)
    .dqConst('c', codes(cShape, seed), 0.02, -3)
    .node('Add', ['c', 'x'], ['s'])
    .q('s', 'y', 'int8', y.scale, y.zp)
    .build();
}

/** As matMulModel, with B = Transpose(b_raw, perm) in QDQ (DQ → Transpose → Q → DQ), the attention's Kᵀ. */
export function matMulTransposedModel(
  aShape: number[],
  bRawShape: number[],
  perm: number[],
  a: QParams,
  b: QParams,
  y: QParams,
): Model {
  return new QdqBuilder({ opset: 17 })
    .dqInput('a', 'int8', aShape, a.scale, a.zp)
    .dqInput('braw', 'int8', bRawShape, b.scale, b.zp)
    .node('Transpose', ['braw'], ['bt'], { perm: A.ints(perm) })
    .q('bt', 'bq', 'int8', b.scale, b.zp, false)
    .dq('b', 'bq', 'int8', b.scale, b.zp)
    .node('MatMul', ['a', 'b'], ['s'])
    .q('s', 'y', 'int8', y.scale, y.zp)
    .build();
}

export interface Compared {
  result: CompileResult;
  got: Tensor;
  want: Tensor;
}

/** Compiles (no host fallback), simulates with raw codes, and runs the reference with the integer kernels. */
export function runBoth(
  m: Model,
  feeds: Record<string, Tensor>,
  mode: Mode,
  hwName: HwName,
): Compared {
  const hw = target(hwName, mode);
  const result = compile(m, { hw, requant: mode, cpuFallback: false });
  const got = Object.values(simulate(result.program!, feeds, { hw, raw: true }).outputs)[0];
  const want = Object.values(runModel(m, feeds, { mode, integerKernels: true }))[0];
  return { result, got, want };
}
