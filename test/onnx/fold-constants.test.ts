// foldConstants with small local kernels: shape idiom folding, QDQ preserved, dead code removed, input untouched.

import { describe, expect, test } from 'vitest';
import { fail } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import { tensor, toNumbers } from '../../common/tensor.js';
import { attrInt, attrInts } from '../../onnx/graph.js';
import type { Kernel } from '../../reference/kernel.js';
import { foldConstants } from '../../onnx/fold-constants.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

const i64 = (vals: number[], shape = [vals.length]): Tensor =>
  tensor('int64', shape, vals.map(BigInt));

let calls: string[] = [];
// deliberately tiny: int64 1-D only, enough for the shape idiom
const FAKE: Record<string, Kernel> = {
  Gather: ([d, i], { node }) => {
    calls.push('Gather');
    const v = toNumbers(d!);
    expect(attrInt(node, 'axis', 0)).toBe(0);
    return [
      i64(
        toNumbers(i!).map((k) => v[k]),
        [...i!.shape],
      ),
    ];
  },
  Unsqueeze: ([x, axes]) => {
    calls.push('Unsqueeze');
    expect(toNumbers(axes!)).toEqual([0]);
    return [i64(toNumbers(x!), [1, ...x!.shape])];
  },
  Concat: (xs) => {
    calls.push('Concat');
    const all = xs.flatMap((x) => toNumbers(x!));
    return [i64(all)];
  },
  Mul: ([a, b]) => {
    calls.push('Mul');
    const [x, y] = [toNumbers(a!), toNumbers(b!)];
    return [
      tensor(
        a!.dtype,
        a!.shape,
        x.map((v, k) => v * y[y.length === 1 ? 0 : k]),
      ),
    ];
  },
  Transpose: ([x], { node }) => {
    calls.push('Transpose');
    expect(attrInts(node, 'perm')).toEqual([1, 0]);
    const [r, c] = x!.shape as [number, number];
    const v = toNumbers(x!);
    return [
      tensor(
        x!.dtype,
        [c, r],
        Array.from({ length: r * c }, (_, k) => v[(k % r) * c + Math.floor(k / r)]),
      ),
    ];
  },
  Relu: ([x]) => {
    calls.push('Relu');
    return [x!];
  },
  Fail: (_, { node }) => fail('wrongDType', ['x', 'int64', 'float32'], { node: node.name }),
  'com.example:Twice': ([x]) => [
    tensor(
      x!.dtype,
      x!.shape,
      toNumbers(x!).map((v) => 2 * v),
    ),
  ],
};

function torchReshape(batch: number | string) {
  return new ModelBuilder()
    .input('x', 'float32', [batch, 3, 4, 4])
    .initializer('zero', i64([0], []))
    .initializer('axes0', i64([0]))
    .initializer('minus1', i64([-1]))
    .node('Shape', ['x'], ['s'])
    .node('Gather', ['s', 'zero'], ['n'], { axis: A.int(0) })
    .node('Unsqueeze', ['n', 'axes0'], ['n1'])
    .node('Concat', ['n1', 'minus1'], ['shape'], { axis: A.int(0) })
    .node('Reshape', ['x', 'shape'], ['y'])
    .output('y', 'float32')
    .build();
}

describe('foldConstants', () => {
  test('Shape -> Gather -> Unsqueeze -> Concat -> Reshape folds to a constant shape', () => {
    calls = [];
    const m = torchReshape(2);
    const before = JSON.stringify([
      ...m.graph.initializers.keys(),
      m.graph.nodes.map((n) => n.name),
    ]);
    const f = foldConstants(m, FAKE);
    expect(f.graph.nodes.map((n) => n.opType)).toEqual(['Reshape']);
    const shapeName = f.graph.nodes[0].inputs[1];
    expect(toNumbers(f.graph.initializers.get(shapeName)!)).toEqual([2, -1]);
    expect(calls).toEqual(['Gather', 'Unsqueeze', 'Concat']);
    // the used-up constants are gone
    expect([...f.graph.initializers.keys()]).toEqual([shapeName]);
    expect(inferShapes(f).get('y')?.shape).toEqual([2, 48]);
    // the input model is untouched
    expect(JSON.stringify([...m.graph.initializers.keys(), m.graph.nodes.map((n) => n.name)])).toBe(
      before,
    );
  });

  test('a symbolic batch dim keeps the Shape chain', () => {
    const f = foldConstants(torchReshape('batch'), FAKE);
    expect(f.graph.nodes.map((n) => n.opType)).toEqual([
      'Shape',
      'Gather',
      'Unsqueeze',
      'Concat',
      'Reshape',
    ]);
  });

  test('QuantizeLinear / DequantizeLinear survive; the constant arithmetic before them folds', () => {
    calls = [];
    const m = new ModelBuilder()
      .input('x', 'float32', [1, 2, 3, 2])
      .initializer('w', tensor('float32', [2, 2], [0.5, -1, 0.25, 2]))
      .scalar('s0', 'float32', 0.01)
      .scalar('two', 'float32', 2)
      .scalar('zp', 'int8', 0)
      .node('Mul', ['s0', 'two'], ['s'])
      .node('Transpose', ['w'], ['wt'], { perm: A.ints([1, 0]) })
      .node('QuantizeLinear', ['wt', 's', 'zp'], ['wq'])
      .node('DequantizeLinear', ['wq', 's', 'zp'], ['wdq'])
      .node('MatMul', ['x', 'wdq'], ['y'])
      .output('y', 'float32')
      .build();
    const f = foldConstants(m, {
      ...FAKE,
      QuantizeLinear: () => expect.unreachable(),
      DequantizeLinear: () => expect.unreachable(),
    });
    expect(f.graph.nodes.map((n) => n.opType)).toEqual([
      'QuantizeLinear',
      'DequantizeLinear',
      'MatMul',
    ]);
    expect(toNumbers(f.graph.initializers.get('s')!)).toEqual([Math.fround(0.01) * 2]);
    expect(toNumbers(f.graph.initializers.get('wt')!)).toEqual([0.5, 0.25, -1, 2]);
    expect(calls.sort()).toEqual(['Mul', 'Transpose']);
  });

  test('Constant and Identity fold without kernels; domain kernels are keyed by domain', () => {
    const m = new ModelBuilder()
      .input('x', 'float32', [2])
      .node('Constant', [], ['c'], { value_floats: A.floats([1, 2]) })
      .node('Identity', ['c'], ['ci'])
      .node('Twice', ['ci'], ['c2'], {}, 'com.example')
      .node('Add', ['x', 'c2'], ['y'])
      .output('y', 'float32')
      .build();
    const f = foldConstants(m, FAKE);
    expect(f.graph.nodes.map((n) => n.opType)).toEqual(['Add']);
    expect(toNumbers(f.graph.initializers.get('c2')!)).toEqual([2, 4]);
  });

  test('graph outputs are kept (even when folded); dead nodes go; unknown or failing kernels stay', () => {
    const m = new ModelBuilder()
      .input('x', 'float32', [2])
      .initializer('k', tensor('float32', [2], [1, -1]))
      .node('Relu', ['k'], ['kr'])
      .node('Relu', ['x'], ['dead'])
      .node('Sin', ['k'], ['unk'])
      .node('Fail', ['k'], ['bad'])
      .node('Add', ['x', 'unk'], ['y1'])
      .node('Add', ['x', 'bad'], ['y2'])
      .output('kr', 'float32')
      .output('y1', 'float32')
      .output('y2', 'float32')
      .build();
    const f = foldConstants(m, FAKE);
    expect(f.graph.nodes.map((n) => n.opType)).toEqual(['Sin', 'Fail', 'Add', 'Add']);
    expect(f.graph.initializers.has('kr')).toBe(true);
    expect(f.graph.outputs.map((o) => o.name)).toEqual(['kr', 'y1', 'y2']);
  });
});
