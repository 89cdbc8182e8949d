// Graph preparation: BN folded into Conv / Gemm computes the same function, constants folded, PRelu rewritten,
// Conv / Gemm + Relu / Clip pairs found.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '../../common/tensor.js';
import type { Model } from '../../onnx/graph.js';
import { runModel } from '../../reference/interpreter.js';
import { foldBatchNorm } from '../../quantizer/prepare/fold-batchnorm.js';
import { findFusedActivations } from '../../quantizer/prepare/fuse-activation.js';
import { preluToLeakyRelu } from '../../quantizer/prepare/prelu-to-leaky.js';
import { prepareGraph } from '../../quantizer/prepare/prepare-graph.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { runOrt } from '../helpers/ort.js';

const rng = seedrandom('prepare');
const rand = (shape: number[], lo = -1, hi = 1): Tensor<'float32'> => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(
    'float32',
    shape,
    Array.from({ length: n }, () => lo + (hi - lo) * rng()),
  );
};

function maxDiff(a: Tensor, b: Tensor): number {
  expect(a.shape).toEqual(b.shape);
  let m = 0;
  for (let i = 0; i < a.data.length; i++)
    m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

const out = (m: Model, feeds: Record<string, Tensor>): Tensor =>
  Object.values(runModel(m, feeds))[0];

function bn(b: ModelBuilder, c: number, x: string, y: string): ModelBuilder {
  return b
    .initializer('gamma', rand([c], 0.5, 2))
    .initializer('beta', rand([c]))
    .initializer('mean', rand([c]))
    .initializer('var', rand([c], 0.1, 2))
    .node('BatchNormalization', [x, 'gamma', 'beta', 'mean', 'var'], [y], {
      epsilon: A.float(1e-3),
    });
}

describe('BatchNormalization folding', () => {
  for (const withBias of [true, false]) {
    it(`Conv ${withBias ? 'with' : 'without'} bias + BN computes the same outputs after folding`, () => {
      const b = new ModelBuilder({ opset: 13 })
        .input('x', 'float32', [2, 3, 5, 5])
        .initializer('w', rand([4, 3, 3, 3]))
        .initializer('b', rand([4]))
        .node('Conv', withBias ? ['x', 'w', 'b'] : ['x', 'w'], ['c'], {
          pads: A.ints([1, 1, 1, 1]),
        });
      const m = bn(b, 4, 'c', 'y').output('y', 'float32').build();
      const res = foldBatchNorm(m);
      expect(res.folded).toHaveLength(1);
      expect(res.model.graph.nodes.map((n) => n.opType)).toEqual(['Conv']);
      const x = rand([2, 3, 5, 5]);
      expect(maxDiff(out(m, { x }), out(res.model, { x }))).toBeLessThan(1e-5);
      // the input model is untouched
      expect(m.graph.nodes).toHaveLength(2);
    });
  }

  for (const transB of [0, 1]) {
    it(`Gemm (transB=${transB}, beta=0.5) + BN computes the same outputs after folding`, () => {
      const b = new ModelBuilder({ opset: 13 })
        .input('x', 'float32', [3, 6])
        .initializer('w', rand(transB ? [5, 6] : [6, 5]))
        .initializer('b', rand([5]))
        .node('Gemm', ['x', 'w', 'b'], ['c'], { transB: A.int(transB), beta: A.float(0.5) });
      const m = bn(b, 5, 'c', 'y').output('y', 'float32').build();
      const res = foldBatchNorm(m);
      expect(res.folded).toHaveLength(1);
      const x = rand([3, 6]);
      expect(maxDiff(out(m, { x }), out(res.model, { x }))).toBeLessThan(1e-5);
    });
  }

  it('leaves a BN whose input has a second consumer', () => {
    const b = new ModelBuilder({ opset: 13 })
      .input('x', 'float32', [1, 2, 3, 3])
      .initializer('w', rand([2, 2, 1, 1]))
      .node('Conv', ['x', 'w'], ['c']);
    const m = bn(b, 2, 'c', 'y').node('Add', ['y', 'c'], ['z']).output('z', 'float32').build();
    expect(foldBatchNorm(m).folded).toHaveLength(0);
  });
});

describe('PRelu and activations', () => {
  it('PRelu with one slope becomes LeakyRelu with that alpha; a per-channel slope stays', async () => {
    const m = new ModelBuilder({ opset: 13 })
      .input('x', 'float32', [1, 3, 2, 2])
      .initializer('s1', tensor('float32', [1], [0.25]))
      .initializer('s3', tensor('float32', [3, 1, 1], [0.1, 0.2, 0.3]))
      .node('PRelu', ['x', 's1'], ['a'])
      .node('PRelu', ['a', 's3'], ['y'])
      .output('y', 'float32')
      .build();
    const res = preluToLeakyRelu(m);
    expect(res.model.graph.nodes.map((n) => n.opType)).toEqual(['LeakyRelu', 'PRelu']);
    expect(res.model.graph.nodes[0].attrs.alpha).toEqual({ type: 'float', value: 0.25 });
    // the reference has no PRelu kernel: onnxruntime runs both
    const x = rand([1, 3, 2, 2]);
    const a = Object.values(await runOrt(m, { x }))[0];
    const b = Object.values(await runOrt(res.model, { x }))[0];
    expect(maxDiff(a, b)).toBe(0);
  });

  it('finds Conv + Relu, Add + Relu and Gemm + Clip(0, 6) pairs, not an activation after Mul', () => {
    const m = new ModelBuilder({ opset: 13 })
      .input('x', 'float32', [1, 2, 3, 3])
      .initializer('w', rand([2, 2, 1, 1]))
      .initializer('wf', rand([18, 4]))
      .initializer('lo', tensor('float32', [], [0]))
      .initializer('hi', tensor('float32', [], [6]))
      .initializer('shape', tensor('int64', [2], [1, 18]))
      .node('Conv', ['x', 'w'], ['c'])
      .node('Relu', ['c'], ['r'])
      .node('Add', ['r', 'x'], ['s'])
      .node('Relu', ['s'], ['r2'])
      .node('Mul', ['r2', 'x'], ['p'])
      .node('Relu', ['p'], ['r3'])
      .node('Reshape', ['r3', 'shape'], ['f'])
      .node('Gemm', ['f', 'wf'], ['g'])
      .node('Clip', ['g', 'lo', 'hi'], ['y'])
      .output('y', 'float32')
      .build();
    const pairs = findFusedActivations(m).map((p) => [
      p.producer.opType,
      p.activation.opType,
      p.low,
      p.high,
    ]);
    expect(pairs).toEqual([
      ['Conv', 'Relu', 0, Infinity],
      ['Add', 'Relu', 0, Infinity],
      ['Gemm', 'Clip', 0, 6],
    ]);
  });

  it('prepareGraph folds constant subgraphs (Constant -> Mul) into initializers before BN folding', () => {
    const m = new ModelBuilder({ opset: 13 })
      .input('x', 'float32', [1, 2, 3, 3])
      .initializer('w0', rand([2, 2, 1, 1]))
      .initializer('two', tensor('float32', [], [2]))
      .node('Mul', ['w0', 'two'], ['w'])
      .node('Conv', ['x', 'w'], ['c'])
      .node('Relu', ['c'], ['y'])
      .output('y', 'float32')
      .build();
    const p = prepareGraph(m);
    expect(p.model.graph.nodes.map((n) => n.opType)).toEqual(['Conv', 'Relu']);
    expect(p.log.constantNodesFolded).toBe(1);
    expect(p.fused).toHaveLength(1);
    const x = rand([1, 2, 3, 3]);
    expect(maxDiff(out(m, { x }), out(p.model, { x }))).toBe(0);
  });
});
