// The documented example program (isa/example.ts, docs/isa.md) runs bit-exact against QLinearConv + Relu.
import { expect, test } from 'vitest';
import { tensor } from '../../common/tensor.js';
import { assembleWords } from '../../isa/asm.js';
import { EXAMPLE_ASM } from '../../isa/example.js';
import { loadHwConfig } from '../../isa/hw-config.js';
import { programFor } from '../../isa/program-file.js';
import { floatMultipliers } from '../../reference/quant/requant.js';
import { simulate } from '../../simulator/simulate.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import { run, vals } from '../reference/quant-harness.js';
import { bytesOf } from './program-builder.js';

test('the docs/isa.md example: 3x3 conv 8 -> 8 on 16x16 with DMA zero-point padding and relu', () => {
  const hw = loadHwConfig('edge');
  const x = randomIntTensor('int8', [1, 8, 16, 16], 11);
  const w = randomIntTensor('int8', [8, 8, 3, 3], 12);
  const bias = randomIntTensor('int32', [8], 13, -2000, 2000);
  const [xs, ys] = [0.05, 0.4];
  const ws = Array.from({ length: 8 }, (_, k) => Math.fround(0.002 * (k + 1)));
  const image = new Uint8Array(640);
  image.set(bytesOf(w), 0);
  image.set(bytesOf(bias), 0x240);
  image.set(bytesOf(floatMultipliers({ x: Math.fround(xs), w: ws, y: Math.fround(ys) })), 0x260);
  const desc = { shape: [1, 8, 16, 16], dtype: 'int8', layout: 'NCHW' } as const;
  const p = programFor(hw, {
    code: assembleWords(EXAMPLE_ASM),
    dram: [{ addr: 0, data: image }],
    inputs: [{ ...desc, name: 'x', scale: xs, zeroPoint: -3, dramAddr: 0x1000 }],
    outputs: [{ ...desc, name: 'y', scale: ys, zeroPoint: 5, dramAddr: 0x2000 }],
    debug: [{ pc: 5, node: 'conv_0' }],
  });
  const f = (v: number) => tensor('float32', [], [v]);
  const ref = run(
    'QLinearConv',
    [
      x,
      f(xs),
      tensor('int8', [], [-3]),
      w,
      tensor('float32', [8], ws),
      tensor('int8', [], [0]),
      f(ys),
      tensor('int8', [], [5]),
      bias,
    ],
    'float',
    { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]) },
  )[0];
  const r = simulate(p, { x }, { hw, raw: true, trace: true });
  expect(vals(r.outputs.y)).toEqual(vals(ref).map((v) => Math.max(v, 5)));
  expect(r.trace!.records.find((e) => e.op === 'conv')!.node).toBe('conv_0');
});
