// The support check: one error naming every node the NPU cannot run; with cpuFallback a host / NPU partition.

import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { A } from '../helpers/model-builder.js';
import { convModel, opts } from './compile-helpers.js';

/** conv (supported) → Abs (no lowering) → a 9x9 QLinearConv (kernel too large) → Neg (no lowering). */
function threeBad() {
  const b = convModel(4, 8, 12, 12);
  b.node('Abs', ['y'], ['a'])
    .initializer('w9', tensor('int8', [8, 8, 9, 9], new Array<number>(8 * 8 * 81).fill(1)))
    .node('QLinearConv', ['a', 'ys', 'yz', 'w9', 'ws', 'wz', 'ys', 'yz'], ['c9'], {
      kernel_shape: A.ints([9, 9]),
    })
    .node('Neg', ['c9'], ['z'])
    .output('z', 'int8');
  return b.build();
}

describe('support check', () => {
  test('one error lists every unsupported node with op type and reason', () => {
    let err: unknown;
    try {
      compile(threeBad(), opts());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NpuError);
    const e = err as NpuError;
    expect(e.id).toBe('npuUnsupportedNodes');
    expect(e.code).toBe(5001);
    const text = e.format();
    expect(text).toMatch(/^error NPU5001: 3 node\(s\)/);
    expect(text).toContain("'Abs_1' (Abs)");
    expect(text).toContain("'QLinearConv_2' (QLinearConv): kernel 9x9 exceeds 7x7");
    expect(text).toContain("'Neg_3' (Neg)");
    expect(text).not.toContain("'QLinearConv_0'");
    expect(text).toContain('--cpu-fallback');
    expect(text.split('\n')).toHaveLength(1);
  });

  test('with cpuFallback the graph is partitioned into NPU and host segments', () => {
    const r = compile(threeBad(), opts('edge', 'float', true));
    expect(r.placement.npu).toEqual(['QLinearConv_0']);
    expect(r.placement.host.map((h) => h.node)).toEqual(['Abs_1', 'QLinearConv_2', 'Neg_3']);
    expect(r.placement.segments.map((s) => s.target)).toEqual(['npu', 'host']);
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'host', 'host', 'host']);
    // host ops get no tiles and no cycles; their tensors still get DRAM buffers (the runtime moves them)
    expect(r.estimate.layers.filter((l) => l.bound === 'host')).toHaveLength(3);
    expect(r.memory.tensors.map((t) => t.tensor)).toContain('c9');
  });

  test('mode-dependent support: fixed-mode average pool needs equal input and output parameters', () => {
    const b = convModel(4, 8, 8, 8);
    b.scalar('ps', 'float32', 0.3)
      .msNode('QLinearAveragePool', ['y', 'ys', 'yz', 'ps', 'yz'], ['p'], {
        kernel_shape: A.ints([2, 2]),
        strides: A.ints([2, 2]),
      })
      .output('p', 'int8');
    expect(compile(b.build(), opts('edge', 'float')).placement.host).toEqual([]);
    expect(() => compile(b.build(), opts('edge', 'fixed'))).toThrow(/fixed-mode average pool/);
  });

  test('a dynamic dimension is an error that suggests fixing it', () => {
    const b = convModel();
    b.output('y', 'int8');
    const m = b.build();
    m.graph.inputs[0].shape = ['N', 4, 6, 6];
    expect(() => compile(m, { ...opts(), fixedDims: {} })).toThrow(/dynamic shape.*--fix-dims N=1/);
    expect(compile(m, { ...opts(), fixedDims: { N: 1 } }).graph.ops).toHaveLength(1);
  });
});
