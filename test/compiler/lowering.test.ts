// Lowering of data movement: pools, pads, resizes, transposes, slices, concats and free reshape views.

import { expect, test } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import { verifyGraph } from '../../compiler/verify.js';
import type { NpuOp } from '../../compiler/ir.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { opts } from './compile-helpers.js';

const i64 = (v: number[]) => tensor('int64', [v.length], v);

function movementModel(resizeMode = 'nearest') {
  return new ModelBuilder({ opset: 13 })
    .input('x', 'int8', [1, 4, 6, 6])
    .node('MaxPool', ['x'], ['p'], { kernel_shape: A.ints([2, 2]), strides: A.ints([2, 2]) })
    .initializer('pads', i64([0, 0, 1, 1, 0, 0, 1, 1]))
    .initializer('pv', tensor('int8', [], [-3]))
    .node('Pad', ['p', 'pads', 'pv'], ['pp'])
    .initializer('scales', tensor('float32', [4], [1, 1, 2, 2]))
    .node('Resize', ['pp', '', 'scales'], ['r'], { mode: A.string(resizeMode) })
    .node('Transpose', ['r'], ['t'], { perm: A.ints([0, 1, 3, 2]) })
    .initializer('st', i64([2, 2]))
    .initializer('en', i64([8, 8]))
    .initializer('ax', i64([2, 3]))
    .node('Slice', ['t', 'st', 'en', 'ax'], ['s'])
    .node('Concat', ['x', 's'], ['c'], { axis: A.int(1) })
    .initializer('shape', i64([1, 288]))
    .node('Reshape', ['c', 'shape'], ['y'])
    .output('y', 'int8')
    .build();
}

test('data movement lowers to pool, pad, resize, moves and a free reshape view', () => {
  const r = compile(movementModel(), opts());
  const byKind = (k: NpuOp['kind']) => r.graph.ops.filter((o) => o.kind === k);
  expect(r.graph.ops.map((o) => o.kind)).toEqual([
    'pool',
    'pad',
    'resize',
    'move',
    'move',
    'move',
    'move',
  ]);
  const [pad] = byKind('pad');
  if (pad.kind === 'pad') expect([pad.pads, pad.value]).toEqual([[0, 0, 1, 1, 0, 0, 1, 1], -3]);
  const [resize] = byKind('resize');
  if (resize.kind === 'resize') expect(resize.factors).toEqual([1, 1, 2, 2]);
  const moves = byKind('move').map((m) =>
    m.kind === 'move' ? [m.what, m.view, m.perm ?? m.axis ?? m.starts ?? null] : [],
  );
  expect(moves).toEqual([
    ['transpose', false, [0, 1, 3, 2]],
    ['slice', false, [0, 0, 2, 2]],
    ['concat', false, 1],
    ['reshape', true, null],
  ]);
  // the reshape output is the concat's buffer, placed in the output region (it is the program output)
  const c = r.memory.tensors.find((t) => t.tensor === 'c')!;
  const y = r.memory.tensors.find((t) => t.tensor === 'y')!;
  expect([y.offset, y.aliasOf, c.region]).toEqual([c.offset, 'c', 'output']);
  // views need no tiles; every other op has tiles covering its output
  expect(r.tiling.has(byKind('move')[3].id)).toBe(false);
  expect(r.tiling.get(byKind('resize')[0].id)!.tiles.length).toBeGreaterThan(0);
});

test('a bilinear resize is reported as unsupported', () => {
  expect(() => compile(movementModel('linear'), opts())).toThrow(
    /'Resize_2' \(Resize\): mode 'linear' \(only nearest\)/,
  );
});

test('the IR verifier names the pass after which an invariant broke', () => {
  const r = compile(movementModel(), opts());
  const g = { ...r.graph, ops: [...r.graph.ops].reverse() };
  expect(() => {
    verifyGraph(g, 'some-pass');
  }).toThrow(/after 'some-pass': op \d+ \(move\) reads 'c' before it is written/);
  expect(() => {
    verifyGraph(r.graph, 'ok');
  }).not.toThrow();
});
