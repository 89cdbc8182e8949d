// foldConstants with the reference interpreter's real kernel table (KERNELS): a torch-style shape idiom and QDQ.

import { describe, expect, test } from 'vitest';
import { tensor, toNumbers } from '../../common/tensor.js';
import { foldConstants } from '../../onnx/fold-constants.js';
import { inferShapes } from '../../onnx/shape-inference.js';
import { KERNELS } from '../../reference/ops/registry.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';

const i64 = (vals: number[], shape = [vals.length]) => tensor('int64', shape, vals.map(BigInt));

describe('foldConstants with KERNELS', () => {
  test('Shape/Gather/Unsqueeze/Concat/Reshape and Cast/Mul fold; QDQ stays', () => {
    const m = new ModelBuilder({ opset: 13 })
      .input('x', 'float32', [2, 3, 6])
      .initializer('one', i64([1], []))
      .initializer('axes0', i64([0]))
      .initializer('minus1', i64([-1]))
      .initializer('w', tensor('float32', [12, 5], new Array<number>(60).fill(0.5)))
      .scalar('s', 'float32', 0.125)
      .scalar('zp', 'int8', 0)
      .node('Shape', ['x'], ['sh'])
      .node('Gather', ['sh', 'one'], ['d1'], { axis: A.int(0) })
      .node('Mul', ['d1', 'd1'], ['d1sq'])
      .node('Unsqueeze', ['d1sq', 'axes0'], ['d1u'])
      .node('Concat', ['minus1', 'd1u'], ['target'], { axis: A.int(0) })
      .node('Cast', ['target'], ['target64'], { to: A.int(7) })
      .node('Reshape', ['x', 'target64'], ['xr'])
      .node('QuantizeLinear', ['w', 's', 'zp'], ['wq'])
      .node('DequantizeLinear', ['wq', 's', 'zp'], ['wdq'])
      .node('Slice', ['xr', 'zero1', 'twelve1'], ['xs'])
      .initializer('zero1', i64([0]))
      .initializer('twelve1', i64([12]))
      .node('Reshape', ['xs', 'shape2'], ['xs2'])
      .initializer('shape2', i64([-1, 12]))
      .node('MatMul', ['xs2', 'wdq'], ['y'])
      .output('y', 'float32')
      .build();
    const f = foldConstants(m, KERNELS);
    expect(f.graph.nodes.map((n) => n.opType)).toEqual([
      'Reshape',
      'QuantizeLinear',
      'DequantizeLinear',
      'Slice',
      'Reshape',
      'MatMul',
    ]);
    expect(toNumbers(f.graph.initializers.get('target64')!)).toEqual([-1, 9]);
    expect(inferShapes(f).get('y')?.shape).toEqual([3, 5]);
  });
});
