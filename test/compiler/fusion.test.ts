// Epilogue fusion and uint8 normalisation on small QOperator graphs.

import { describe, expect, test } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import type { ConvOp } from '../../compiler/ir.js';
import { A } from '../helpers/model-builder.js';
import { validateHwConfig } from '../../isa/hw-config.js';
import { runModel } from '../../reference/interpreter.js';
import { simulate } from '../../simulator/simulate.js';
import { convModel, hw, opts } from './compile-helpers.js';

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

describe('add / mul output clip', () => {
  /** Two convs summed by QLinearAdd (a residual), then clamps: y = add(conv(x), conv(x)). */
  function residual(clamps: [number, number][]): ReturnType<typeof convModel> {
    const b = convModel(4, 8, 6, 6, -5);
    b.node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'], ['y2'], {
      kernel_shape: A.ints([3, 3]),
      pads: A.ints([1, 1, 1, 1]),
    })
      .scalar('as', 'float32', 0.3)
      .scalar('az', 'int8', 7)
      .node(
        'QLinearAdd',
        ['y', 'ys', 'yz', 'y2', 'ys', 'yz', 'as', 'az'],
        ['s'],
        {},
        'com.microsoft',
      );
    let last = 's';
    clamps.forEach(([lo, hi], k) => {
      b.node('IntClip', [last], [`c${k}`], { min: A.int(lo), max: A.int(hi) }, 'npu.ref');
      last = `c${k}`;
    });
    b.output(last, 'int8');
    return b;
  }

  test("a clamp after an add becomes the add's clip (residual Add + ReLU is one vector op)", () => {
    const r = compile(residual([[7, 127]]).build(), opts());
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'conv', 'add']);
    const add = r.graph.ops[2];
    if (add.kind !== 'add') throw new Error('expected an add');
    expect(add.clip).toEqual({ lo: 7, hi: 127 });
    expect(add.output).toBe('c0');
    expect(r.graph.tensors.has('s')).toBe(false);
  });

  test.each(['float', 'fixed'] as const)(
    'the fused add + clip simulates bit-exactly (%s mode)',
    (mode) => {
      const m = residual([
        [-20, 90],
        [0, 127],
      ]).build();
      const target = validateHwConfig({ ...hw('edge'), requant: mode });
      const r = compile(m, { hw: target, requant: mode, cpuFallback: false });
      expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'conv', 'add']);
      const x = tensor(
        'int8',
        [1, 4, 6, 6],
        Array.from({ length: 144 }, (_, i) => ((i * 73) % 256) - 128),
      );
      const want = runModel(m, { x }, { mode }).c1;
      const got = simulate(r.program!, { x }, { hw: target, raw: true }).outputs.c1;
      expect(Array.from(got.data as Int8Array)).toEqual(Array.from(want.data as Int8Array));
      // the clip matters: some outputs sit on both bounds
      expect(Array.from(want.data as Int8Array)).toEqual(expect.arrayContaining([0, 90]));
    },
  );

  test('clamps compose to their intersection; a disjoint one stays a clamp', () => {
    const r = compile(
      residual([
        [-20, 90],
        [0, 127],
        [100, 120],
      ]).build(),
      opts(),
    );
    expect(r.graph.ops.map((o) => o.kind)).toEqual(['conv', 'conv', 'add', 'clamp']);
    const add = r.graph.ops[2];
    if (add.kind !== 'add') throw new Error('expected an add');
    expect(add.clip).toEqual({ lo: 0, hi: 90 });
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
