// conv on the simulator vs the reference QLinearConv: plain, padded by the DMA, strided, dilated, grouped, depthwise.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tensor, type Tensor } from '../../common/tensor.js';
import { buildUnaryLut, sigmoid } from '../../reference/quant/lut.js';
import { Q_RANGE } from '../../reference/quant/requant.js';
import { simulate } from '../../simulator/simulate.js';
import {
  qtypeArb,
  randomIntTensor,
  scaleArb,
  seedArb,
  type QType,
} from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import { run, vals } from '../reference/quant-harness.js';
import { bytesOf, hwWith, ProgramBuilder, requantTable } from './program-builder.js';

const PRESETS = ['edge', 'warboy-2pe'] as const;
const MODES = ['float', 'fixed'] as const;
const f = (v: number): Tensor => tensor('float32', [], [v]);
const q = (dtype: QType, v: number): Tensor => tensor(dtype, [], [v]);

const convCase = fc
  .record({
    depthwise: fc.boolean(),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 5 }),
    kg: fc.integer({ min: 1, max: 5 }),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    kH: fc.integer({ min: 1, max: 3 }),
    kW: fc.integer({ min: 1, max: 3 }),
    sH: fc.integer({ min: 1, max: 2 }),
    sW: fc.integer({ min: 1, max: 2 }),
    dH: fc.integer({ min: 1, max: 2 }),
    dW: fc.integer({ min: 1, max: 2 }),
    pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
    padByDma: fc.boolean(),
    inType: qtypeArb,
    wType: qtypeArb,
    outType: qtypeArb,
    zps: fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    ),
    xs: scaleArb(-8, -2),
    ws: fc.array(scaleArb(-9, -4), { minLength: 1, maxLength: 1 }),
    perChannel: fc.boolean(),
    yFactor: fc.double({ min: 0, max: 4, noNaN: true }),
    bias: fc.boolean(),
    act: fc.constantFrom('none', 'relu', 'clip', 'lut'),
    seed: seedArb,
  })
  .map((c) =>
    c.depthwise ? { ...c, cg: 1, kg: c.groups > 1 ? 1 : 1, groups: c.groups + c.cg } : c,
  )
  .filter((c) => {
    const oh = c.h + c.pads[0] + c.pads[2] - c.dH * (c.kH - 1) - 1;
    const ow = c.w + c.pads[1] + c.pads[3] - c.dW * (c.kW - 1) - 1;
    return (
      oh >= 0 &&
      ow >= 0 &&
      c.pads[0] < c.kH &&
      c.pads[2] < c.kH &&
      c.pads[1] < c.kW &&
      c.pads[3] < c.kW
    );
  });

type ConvCase = typeof convCase extends fc.Arbitrary<infer T> ? T : never;

/** Zero point of a dtype from a byte-range draw. */
const zpOf = (t: QType, v: number): number => v + Q_RANGE[t][0];

function checkConv(preset: string, mode: 'float' | 'fixed', c: ConvCase): void {
  const hw = hwWith(preset, { requant: mode });
  const C = c.groups * c.cg;
  const M = c.groups * c.kg;
  const [pT, pL, pB, pR] = c.pads;
  const xZp = zpOf(c.inType, c.zps[0]);
  const wZp = zpOf(c.wType, c.zps[1]);
  const yZp = zpOf(c.outType, c.zps[2]);
  const x = randomIntTensor(c.inType, [1, C, c.h, c.w], c.seed);
  const w = randomIntTensor(c.wType, [M, c.cg, c.kH, c.kW], c.seed + 1);
  const ws = c.perChannel
    ? Array.from({ length: M }, (_, k) => Math.fround(c.ws[0] * (1 + k / 7)))
    : [c.ws[0]];
  const taps = c.cg * c.kH * c.kW;
  const ys = Math.fround(c.xs * c.ws[0] * Math.sqrt(taps) * 2 ** c.yFactor * 64);
  const bias = randomIntTensor('int32', [M], c.seed + 2, -5000, 5000);
  const ref = run(
    'QLinearConv',
    [
      x,
      f(c.xs),
      q(c.inType, xZp),
      w,
      tensor('float32', [ws.length], ws),
      q(c.wType, wZp),
      f(ys),
      q(c.outType, yZp),
      ...(c.bias ? [bias] : []),
    ],
    mode,
    {
      kernel_shape: A.ints([c.kH, c.kW]),
      strides: A.ints([c.sH, c.sW]),
      dilations: A.ints([c.dH, c.dW]),
      pads: A.ints([pT, pL, pB, pR]),
      group: A.int(c.groups),
    },
  )[0];
  const [, , OH, OW] = ref.shape;
  const [lo, hi] = Q_RANGE[c.outType];
  const clipLo = Math.max(lo, yZp - 20);
  const clipHi = Math.min(hi, yZp + 30);
  const lut = buildUnaryLut(
    sigmoid,
    0.05,
    yZp,
    c.outType,
    1 / 200,
    Q_RANGE[c.outType][0],
    c.outType,
  );
  const expected = vals(ref).map((v) =>
    c.act === 'relu'
      ? Math.max(v, yZp)
      : c.act === 'clip'
        ? Math.min(Math.max(v, clipLo), clipHi)
        : c.act === 'lut'
          ? lut[v - lo]
          : v,
  );

  const b = new ProgramBuilder(hw);
  const xd = b.io('in', 'x', x.shape, c.inType, c.xs, xZp);
  const yd = b.io('out', 'y', ref.shape, c.outType, ys, yZp);
  const perC = Array.from({ length: M }, (_, k) => ws[ws.length === 1 ? 0 : k]);
  const [wA, biasA, rqA, lutA] = b.loadConstants(
    [bytesOf(w), bytesOf(bias), requantTable(hw, { x: c.xs, w: perC, y: ys }), bytesOf(lut)],
    0b10,
  );
  let inH = c.h;
  let inW = c.w;
  let xA: number;
  let shapePads = [pT, pL, pB, pR];
  if (c.padByDma) {
    // 'same'-style halo written by the DMA with the input zero point; the MAC sees an unpadded input
    inH = c.h + pT + pB;
    inW = c.w + pL + pR;
    xA = b.sramAlloc(C * inH * inW);
    b.emit('dma.cfg', {
      channel: 0,
      dramStride1: c.w,
      dramStride2: c.h * c.w,
      sramStride1: inW,
      sramStride2: inH * inW,
    });
    b.emit('dma.load', {
      channel: 0,
      dramAddr: xd.dramAddr,
      sramAddr: xA,
      size0: c.w,
      size1: c.h,
      size2: C,
      size3: 1,
      fill: xZp & 0xff,
      padLo0: pL,
      padHi0: pR,
      padLo1: pT,
      padHi1: pB,
      signal: 0b1,
    });
    shapePads = [0, 0, 0, 0];
  } else xA = b.loadInput(xd, 0b1);
  b.emit('mac.shape', {
    inC: C,
    inH,
    inW,
    outC: M,
    kH: c.kH,
    kW: c.kW,
    strideH: c.sH,
    strideW: c.sW,
    dilH: c.dH,
    dilW: c.dW,
    padT: shapePads[0],
    padL: shapePads[1],
    padB: shapePads[2],
    padR: shapePads[3],
    groups: c.groups,
  });
  b.emit('mac.quant', {
    inType: c.inType,
    wType: c.wType,
    outType: c.outType,
    inZp: xZp,
    wZp,
    outZp: yZp,
    useBias: c.bias ? 1 : 0,
    biasAddr: biasA,
    requantAddr: rqA,
    act: c.act,
    clipLo,
    clipHi,
    lutAddr: lutA,
  });
  const outA = b.sramAlloc(M * OH * OW);
  b.emit(
    'conv',
    {
      inAddr: xA,
      weightAddr: wA,
      outAddr: outA,
      inCStride: inH * inW,
      outCStride: OH * OW,
      wait: 0b11,
      signal: 0b100,
    },
    'conv0',
  );
  b.storeOutput(yd, outA, 0b100, 0b1000);
  b.emit('halt', { wait: 0b1000 });
  const r = simulate(b.program(), { x }, { hw, raw: true });
  expect(vals(r.outputs.y)).toEqual(expected);
  expect(r.stats.mac.usefulMacs).toBe(M * OH * OW * taps);
}

describe.each(PRESETS)('conv on %s', (preset) => {
  test.each(MODES)('bit-exact against QLinearConv, requant %s', (mode) => {
    fc.assert(
      fc.property(convCase, (c) => {
        checkConv(preset, mode, c);
      }),
      { numRuns: 25 },
    );
  });
});

const BASE: ConvCase = {
  depthwise: false,
  groups: 1,
  cg: 8,
  kg: 8,
  h: 6,
  w: 6,
  kH: 3,
  kW: 3,
  sH: 1,
  sW: 1,
  dH: 1,
  dW: 1,
  pads: [1, 1, 1, 1],
  padByDma: true,
  inType: 'int8',
  wType: 'int8',
  outType: 'int8',
  zps: [125, 128, 133],
  xs: 0.05,
  ws: [0.01],
  perChannel: true,
  yFactor: 1,
  bias: true,
  act: 'none',
  seed: 7,
};

/** Named cases (the property above draws them too; these make sure each kind runs on every preset and mode). */
const NAMED: Record<string, Partial<ConvCase>> = {
  '3x3, zero-point padding by the DMA': {},
  '3x3, padding in mac.shape, relu': { padByDma: false, act: 'relu' },
  'depthwise 3x3': { depthwise: true, groups: 6, cg: 1, kg: 1 },
  'strided 3x3 (stride 2), uint8 activations': {
    sH: 2,
    sW: 2,
    h: 9,
    w: 8,
    inType: 'uint8',
    outType: 'uint8',
  },
  'grouped (3 groups of 2 -> 3)': { groups: 3, cg: 2, kg: 3, pads: [0, 0, 0, 0] },
  'dilated 3x3, clip': {
    dH: 2,
    dW: 2,
    h: 8,
    w: 8,
    act: 'clip',
    pads: [2, 2, 2, 2],
    padByDma: false,
  },
};

describe.each(PRESETS)('named convolutions on %s', (preset) => {
  test.each(Object.keys(NAMED))('%s, both requant modes', (name) => {
    for (const mode of MODES) checkConv(preset, mode, { ...BASE, ...NAMED[name] });
  });
});
