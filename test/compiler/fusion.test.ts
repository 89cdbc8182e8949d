// Epilogue fusion and uint8 normalisation on small QOperator graphs.

import { describe, expect, test } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import type { ConvOp } from '../../compiler/ir.js';
import { A } from '../helpers/model-builder.js';
import { convModel, opts } from './compile-helpers.js';

const table = (f: (i: number) => number): ReturnType<typeof tensor> =>
  tensor(
    'int8',
    [256],
    Array.from({ length: 256 }, (_, i) => f(i)),
  );
const sigmoidish = (i: number): number =>
  Math.max(-128, Math.min(127, Math.round(127 * Math.tanh((i - 128) / 40))));

const convOf = (ops: { kind: string }[]): ConvOp => ops.find((o) => o.kind === 'conv') as ConvOp;

describe('epilogue fusion', () => {
  test('IntClip then QLinearLut fold into one conv: the clip is folded into the table', () => {
    const b = convModel(4, 8, 6, 6, -5);
    b.node('IntClip', ['y'], ['c'], { min: A.int(-20), max: A.int(90) }, 'npu.ref')
      .node(
        'QLinearLut',
        ['c'],
        ['z'],
        { table: { type: 'tensor', value: table(sigmoidish) } },
        'npu.ref',
      )
      .output('z', 'int8');
    const r = compile(b.build(), opts());
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv']);
    const conv = convOf(r.graph.ops);
    expect(conv.output).toBe('z');
    expect(conv.nodes).toHaveLength(3);
    const act = conv.epilogue.activation;
    expect(act.act).toBe('lut');
    if (act.act !== 'lut') return;
    for (let q = -128; q <= 127; q++) {
      const clipped = Math.min(Math.max(q, -20), 90);
      expect(act.table[q + 128]).toBe(sigmoidish(clipped + 128));
    }
    expect(r.graph.tensors.has('y')).toBe(false);
    expect(r.graph.tensors.has('c')).toBe(false);
  });

  test('IntClip [zp, 127] is the ISA relu; any other range is clip', () => {
    for (const [lo, hi, act] of [
      [-5, 127, 'relu'],
      [-5, 100, 'clip'],
      [0, 127, 'clip'],
    ] as const) {
      const b = convModel(4, 8, 6, 6, -5);
      b.node('IntClip', ['y'], ['c'], { min: A.int(lo), max: A.int(hi) }, 'npu.ref').output(
        'c',
        'int8',
      );
      const conv = convOf(compile(b.build(), opts()).graph.ops);
      expect(conv.epilogue.activation.act).toBe(act);
    }
  });

  test('a conv output read twice is not fused', () => {
    const b = convModel(4, 8, 6, 6, -5);
    b.node('IntClip', ['y'], ['c'], { min: A.int(-5), max: A.int(127) }, 'npu.ref')
      .output('c', 'int8')
      .output('y', 'int8');
    const r = compile(b.build(), opts());
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'clamp']);
    expect(convOf(r.graph.ops).epilogue.activation.act).toBe('none');
  });
});

describe('uint8 normalisation', () => {
  /** uint8 x (zp 128) → QLinearConv (uint8 out, zp `yz`) → QLinearLut (uint8 table) → output. */
  function u8Model(yz: number, avgPool: boolean) {
    const w = tensor(
      'int8',
      [4, 2, 3, 3],
      Array.from({ length: 72 }, (_, i) => (i % 9) - 4),
    );
    const t = tensor(
      'uint8',
      [256],
      Array.from({ length: 256 }, (_, i) => 255 - i),
    );
    const m = convModel(2, 4, 5, 5);
    const model = m.build();
    const g = model.graph;
    g.nodes.length = 0;
    g.inputs[0] = { name: 'x', dtype: 'uint8', shape: [1, 2, 5, 5] };
    g.initializers.set('xz', tensor('uint8', [], [128]));
    g.initializers.set('yz', tensor('uint8', [], [yz]));
    g.initializers.set('w', w);
    g.initializers.set('ws', tensor('float32', [4], [0.01, 0.02, 0.03, 0.04]));
    g.initializers.set('wz', tensor('int8', [4], [0, 0, 0, 0]));
    g.initializers.set('bias', tensor('int32', [4], [1, 2, 3, 4]));
    g.nodes.push({
      name: 'conv',
      opType: 'QLinearConv',
      domain: '',
      inputs: ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'],
      outputs: ['y'],
      attrs: { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]) },
    });
    g.nodes.push({
      name: 'lut',
      opType: 'QLinearLut',
      domain: 'npu.ref',
      inputs: ['y'],
      outputs: ['z'],
      attrs: { table: { type: 'tensor', value: t } },
    });
    if (avgPool) {
      g.nodes.push({
        name: 'pool',
        opType: 'QLinearAveragePool',
        domain: 'com.microsoft',
        inputs: ['x', 'xs', 'xz', 'xs', 'xz'],
        outputs: ['p'],
        attrs: { kernel_shape: A.ints([2, 2]) },
      });
      g.outputs.push({ name: 'p', dtype: 'uint8' });
    }
    g.outputs.push({ name: 'z', dtype: 'uint8' });
    return model;
  }

  test('uint8 at zp 128 becomes int8 at zp 0; producers re-derived; raw integer I/O keeps its type', () => {
    const r = compile(u8Model(128, false), opts());
    const x = r.graph.tensors.get('x')!;
    expect([x.dtype, x.quant?.zp, x.codeOffset]).toEqual(['uint8', 128, undefined]);
    const conv = convOf(r.graph.ops);
    // y (zp 128) is shifted: the conv requantizes to int8 zp 0. z has no known parameters (an integer graph output)
    // and stays uint8, so the table (indexed by code − qmin: the same entry) keeps its values and is not fused
    expect(conv.epilogue.out).toEqual({ dtype: 'int8', zp: 0 });
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'lut']);
    const lut = r.graph.ops[1];
    if (lut.kind !== 'lut') throw new Error('expected a lut');
    expect(Array.from(lut.table)).toEqual(Array.from({ length: 256 }, (_, i) => 255 - i));
    expect(r.graph.tensors.get('z')!.dtype).toBe('uint8');
    expect(r.graph.inputs[0].tensor).toBe('x');
  });

  test('other zero points stay uint8; an average pool reader blocks the shift', () => {
    const a = compile(u8Model(100, false), opts());
    expect(a.graph.tensors.get('x')!.dtype).toBe('uint8');
    expect(convOf(a.graph.ops).epilogue.out).toEqual({ dtype: 'uint8', zp: 100 });
    const b = compile(u8Model(128, true), opts());
    expect(b.graph.tensors.get('x')!.dtype).toBe('uint8');
    expect(b.graph.tensors.get('x')!.codeOffset).toBeUndefined();
  });
});
