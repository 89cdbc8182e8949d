// The single-conv emitter: compile → emit → npusim equals the reference interpreter bit for bit.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import type { Tensor } from '../../common/tensor.js';
import { tensor } from '../../common/tensor.js';
import { validateHwConfig } from '../../isa/hw-config.js';
import { compile } from '../../compiler/pipeline.js';
import { runModel } from '../../reference/interpreter.js';
import { simulate } from '../../simulator/simulate.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { hw } from './compile-helpers.js';

interface Case {
  c: number;
  kPerGroup: number;
  groups: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  dil: number;
  pad: number;
  tail: 'none' | 'relu' | 'lut' | 'sigmoid';
  seed: number;
}

function model(cs: Case) {
  const inC = cs.c * cs.groups;
  const outC = cs.kPerGroup * cs.groups;
  const b = new ModelBuilder({ opset: 13 });
  b.input('x', 'int8', [1, inC, cs.h, cs.w])
    .scalar('xs', 'float32', 0.05)
    .scalar('xz', 'int8', -7)
    .initializer('w', randomIntTensor('int8', [outC, cs.c, cs.k, cs.k], cs.seed))
    .vector(
      'ws',
      'float32',
      Array.from({ length: outC }, (_, i) => Math.fround(0.004 + 0.0007 * i)),
    )
    .vector('wz', 'int8', new Array<number>(outC).fill(0))
    .scalar('ys', 'float32', 0.15)
    .scalar('yz', 'int8', 4)
    .initializer('bias', randomIntTensor('int32', [outC], cs.seed + 1, -3000, 3000))
    .node('QLinearConv', ['x', 'xs', 'xz', 'w', 'ws', 'wz', 'ys', 'yz', 'bias'], ['y'], {
      kernel_shape: A.ints([cs.k, cs.k]),
      pads: A.ints([cs.pad, cs.pad, cs.pad, cs.pad]),
      strides: A.ints([cs.stride, cs.stride]),
      dilations: A.ints([cs.dil, cs.dil]),
      group: A.int(cs.groups),
    });
  if (cs.tail === 'none') return b.output('y', 'int8').build();
  if (cs.tail === 'sigmoid')
    return b
      .scalar('ss', 'float32', 1 / 256)
      .scalar('sz', 'int8', -128)
      .msNode('QLinearSigmoid', ['y', 'ys', 'yz', 'ss', 'sz'], ['s'])
      .output('s', 'int8')
      .build();
  b.node('IntClip', ['y'], ['c'], { min: A.int(4), max: A.int(127) }, 'npu.ref');
  if (cs.tail === 'relu') return b.output('c', 'int8').build();
  const table = tensor(
    'int8',
    [256],
    Array.from({ length: 256 }, (_, i) => ((i * 7) % 256) - 128),
  );
  return b
    .node('QLinearLut', ['c'], ['z'], { table: { type: 'tensor', value: table } }, 'npu.ref')
    .output('z', 'int8')
    .build();
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    c: fc.integer({ min: 1, max: 6 }),
    kPerGroup: fc.integer({ min: 1, max: 6 }),
    groups: fc.constantFrom(1, 1, 2, 3),
    h: fc.integer({ min: 3, max: 14 }),
    w: fc.integer({ min: 3, max: 14 }),
    k: fc.constantFrom(1, 3, 5),
    stride: fc.integer({ min: 1, max: 2 }),
    dil: fc.integer({ min: 1, max: 2 }),
    pad: fc.integer({ min: 0, max: 2 }),
    tail: fc.constantFrom('none', 'relu', 'lut', 'sigmoid'),
    seed: fc.integer({ min: 1, max: 1000 }),
  })
  .filter(
    (cs) => cs.h + 2 * cs.pad > cs.dil * (cs.k - 1) && cs.w + 2 * cs.pad > cs.dil * (cs.k - 1),
  );

// a 2 KiB SRAM (2 slices x 1 KiB) forces row and channel tiling on most cases
const TINY = (mode: 'float' | 'fixed') =>
  validateHwConfig({
    ...hw('edge'),
    name: 'tiny',
    requant: mode,
    slices: 2,
    sram: { ...hw('edge').sram, bytesPerSlice: 1024 },
  });

test.each(['float', 'fixed'] as const)(
  'one conv, %s mode: npusim(emit(compile(m))) = reference',
  (mode) => {
    const seen = { multiTile: false, multiBlock: false, halo: false };
    fc.assert(
      fc.property(caseArb, fc.boolean(), (cs, tiny) => {
        const m = model(cs);
        const target = tiny ? TINY(mode) : validateHwConfig({ ...hw('edge'), requant: mode });
        let r;
        try {
          r = compile(m, { hw: target, requant: mode, cpuFallback: false });
        } catch (e) {
          if (e instanceof NpuError && e.id === 'tileTooLarge') return; // not even one row fits the tiny SRAM
          throw e;
        }
        const prog = r.program!;
        const x = randomIntTensor('int8', [1, cs.c * cs.groups, cs.h, cs.w], cs.seed + 2);
        const out = m.graph.outputs[0].name;
        const want: Tensor = runModel(m, { x }, { mode })[out];
        const got = simulate(prog, { x }, { hw: target, raw: true }).outputs[out];
        expect(Array.from(got.data as Int8Array)).toEqual(Array.from(want.data as Int8Array));
        const tiles = r.tiling.get(r.graph.ops[0].id)!;
        seen.multiTile ||= tiles.tiles.length > 1;
        seen.multiBlock ||=
          tiles.tileShape.channels < r.graph.tensors.get(r.graph.ops[0].output)!.shape[1];
        seen.halo ||= tiles.tiles.some((t) => t.padTop! > 0) && tiles.tiles.length > 1;
      }),
      { numRuns: 40, seed: 2026 },
    );
    // the cases exercised row tiling with halos and output-channel blocks (double-buffered constants)
    expect(seen).toEqual({ multiTile: true, multiBlock: true, halo: true });
  },
);
