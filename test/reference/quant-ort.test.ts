// Smoke test against onnxruntime (float mode): QLinearConv / QLinearMatMul / QuantizeLinear exact, contrib ops ±1.

import seedrandom from 'seedrandom';
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../common/tensor.js';
import type { Attr } from '../../onnx/graph.js';
import { randomFloatTensor, randomIntTensor } from '../helpers/arbitraries.js';
import { A, ModelBuilder } from '../helpers/model-builder.js';
import { ORT_OPTIONS, ortOptionsFor, runOrt } from '../helpers/ort.js';
import { run, t, vals } from './quant-harness.js';

/** Runs one node in ORT (inputs[0] is the graph input, the rest initializers) and in our kernel; returns both. */
async function both(
  opType: string,
  inputs: (Tensor | undefined)[],
  attrs: Record<string, Attr>,
  outDType: Tensor['dtype'],
  opts: { domain?: string; actType?: Tensor['dtype'] } = {},
): Promise<{ ours: number[]; theirs: number[] }> {
  const domain = opts.domain ?? '';
  const b = new ModelBuilder();
  const names: string[] = [];
  for (const [i, x] of inputs.entries()) {
    if (x === undefined) {
      names.push('');
      continue;
    }
    const name = `in${i}`;
    names.push(name);
    if (i === 0) b.input(name, x.dtype, x.shape);
    else b.initializer(name, x);
  }
  b.node(opType, names, ['y'], attrs, domain).output('y', outDType);
  const out = await runOrt(
    b.build(),
    { in0: inputs[0]! },
    opts.actType ? ortOptionsFor(opts.actType) : ORT_OPTIONS,
  );
  const ours = run(opType, inputs, 'float', attrs, { domain })[0];
  expect(ours.shape).toEqual(out.y.shape);
  return { ours: vals(ours), theirs: vals(out.y) };
}

const f = (v: number): Tensor => t('float32', [], [v]);
const sc = (dtype: Tensor['dtype'], v: number): Tensor => t(dtype, [], [v]);
const countDiff = (a: number[], b: number[]): { n: number; max: number } => {
  let n = 0;
  let max = 0;
  a.forEach((v, i) => {
    const d = Math.abs(v - b[i]);
    if (d > 0) n++;
    max = Math.max(max, d);
  });
  return { n, max };
};

describe('onnxruntime oracle (float mode)', () => {
  it('QLinearConv: exact on seeded cases (u8s8 and s8s8, groups, depthwise, pads, per-channel)', async () => {
    const rng = seedrandom('qlinearconv-ort');
    const ri = (lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
    for (let k = 0; k < 8; k++) {
      const xType = k % 2 === 0 ? 'uint8' : 'int8';
      const group = k === 3 ? 4 : k === 5 ? 2 : 1;
      const cg = k === 3 ? 1 : ri(1, 5);
      const mg = k === 3 ? 1 : ri(1, 4);
      const C = cg * group;
      const M = mg * group;
      const kh = ri(1, 3);
      const kw = ri(1, 3);
      const H = ri(kh, 8);
      const W = ri(kw, 8);
      const perChannel = k % 3 !== 0;
      const x = randomIntTensor(xType, [1, C, H, W], k);
      const w = randomIntTensor('int8', [M, cg, kh, kw], 100 + k, -127, 127);
      const ws = Array.from({ length: perChannel ? M : 1 }, () =>
        Math.fround(0.001 + rng() * 0.02),
      );
      const bias = randomIntTensor('int32', [M], 200 + k, -5000, 5000);
      const attrs: Record<string, Attr> = {
        group: A.int(group),
        strides: A.ints([ri(1, 2), ri(1, 2)]),
        pads: A.ints([ri(0, 1), ri(0, 1), ri(0, 1), ri(0, 1)]),
      };
      if (k === 7) attrs.dilations = A.ints([2, 1]);
      const inputs = [
        x,
        f(Math.fround(0.05 + rng() * 0.1)),
        sc(xType, xType === 'uint8' ? ri(0, 255) : ri(-128, 127)),
        w,
        t('float32', [ws.length], ws),
        t('int8', [ws.length], new Array<number>(ws.length).fill(0)),
        f(Math.fround(0.05 + rng() * 0.5)),
        sc(xType, xType === 'uint8' ? ri(0, 255) : ri(-128, 127)),
        bias,
      ];
      const { ours, theirs } = await both('QLinearConv', inputs, attrs, xType, { actType: xType });
      expect(ours).toEqual(theirs);
    }
  });

  it('QLinearMatMul: exact (broadcast batch, per-tensor and per-column b)', async () => {
    for (const [k, aType] of (['uint8', 'int8', 'uint8'] as const).entries()) {
      const a = randomIntTensor(aType, [2, 3, 5], k);
      const b = randomIntTensor('int8', [5, 4], 10 + k, -127, 127);
      const perCol = k === 2;
      const inputs = [
        a,
        f(0.037),
        sc(aType, aType === 'uint8' ? 120 : -3),
        b,
        perCol ? t('float32', [4], [0.011, 0.02, 0.0071, 0.03]) : f(0.013),
        perCol ? t('int8', [4], [0, 0, 0, 0]) : sc('int8', 0),
        f(0.09),
        sc(aType, aType === 'uint8' ? 128 : 1),
      ];
      const { ours, theirs } = await both('QLinearMatMul', inputs, {}, aType, { actType: aType });
      expect(ours).toEqual(theirs);
    }
  });

  it('QuantizeLinear: exact incl. exact ties and saturation, per-tensor and per-axis', async () => {
    const x = randomFloatTensor([2, 3, 4], 7, -20, 20);
    // plant exact ties: (k + 0.5) * 0.5 / 0.5 = k + 0.5
    const xd = x.data;
    for (let i = 0; i < 8; i++) xd[i] = (i - 4 + 0.5) * 0.5;
    // NaN saturates to qmin in both (MLAS max-then-min clamp), infinities to the ends
    xd.set([NaN, Infinity, -Infinity, 1e30], 8);
    for (const [zpType, zp] of [
      ['uint8', 128],
      ['int8', -5],
    ] as const) {
      const r1 = await both('QuantizeLinear', [x, f(0.5), sc(zpType, zp)], {}, zpType);
      expect(r1.ours).toEqual(r1.theirs);
      const r2 = await both(
        'QuantizeLinear',
        [x, t('float32', [3], [0.5, 0.013, 0.2]), t(zpType, [3], [zp, zp + 1, zp - 1])],
        { axis: A.int(1) },
        zpType,
      );
      expect(r2.ours).toEqual(r2.theirs);
    }
  });

  it('contrib ops agree within 1 LSB (counts logged)', async () => {
    const report: string[] = [];
    const a = randomIntTensor('uint8', [1, 3, 4, 4], 1);
    const b = randomIntTensor('uint8', [1, 3, 4, 4], 2);
    const add = [
      a,
      f(0.05),
      sc('uint8', 120),
      b,
      f(0.03),
      sc('uint8', 130),
      f(0.07),
      sc('uint8', 125),
    ];
    const cases: [string, (Tensor | undefined)[], Record<string, Attr>][] = [
      ['QLinearAdd', add, {}],
      ['QLinearMul', add.slice(0, 6).concat([f(0.3), sc('uint8', 100)]), {}],
      ['QLinearSigmoid', [a, f(0.05), sc('uint8', 120), f(1 / 256), sc('uint8', 0)], {}],
      [
        'QLinearLeakyRelu',
        [a, f(0.05), sc('uint8', 120), f(0.04), sc('uint8', 100)],
        { alpha: A.float(0.1) },
      ],
      [
        'QLinearGlobalAveragePool',
        [a, f(0.05), sc('uint8', 120), f(0.02), sc('uint8', 110)],
        { channels_last: A.int(0) },
      ],
      [
        'QLinearAveragePool',
        [a, f(0.05), sc('uint8', 120), f(0.03), sc('uint8', 110)],
        { kernel_shape: A.ints([3, 3]), pads: A.ints([1, 1, 1, 1]), count_include_pad: A.int(0) },
      ],
      [
        'QLinearAveragePool',
        [a, f(0.05), sc('uint8', 120), f(0.03), sc('uint8', 110)],
        { kernel_shape: A.ints([2, 2]), pads: A.ints([1, 1, 0, 0]), count_include_pad: A.int(1) },
      ],
      [
        'QLinearConcat',
        [f(0.06), sc('uint8', 125), a, f(0.05), sc('uint8', 120), b, f(0.06), sc('uint8', 125)],
        { axis: A.int(1) },
      ],
    ];
    // power-of-two scales make exact ties common: the x86 QLinearAdd kernel rounds some of them differently
    const p2 = [
      a,
      f(0.25),
      sc('uint8', 120),
      b,
      f(0.125),
      sc('uint8', 130),
      f(0.5),
      sc('uint8', 125),
    ];
    const s8 = randomIntTensor('int8', [1, 3, 4, 4], 6);
    const s8b = randomIntTensor('int8', [1, 1, 4, 4], 7);
    cases.push(
      ['QLinearAdd', p2, {}],
      ['QLinearMul', p2.slice(0, 6).concat([f(4), sc('uint8', 100)]), {}],
      [
        'QLinearAdd',
        [s8, f(0.05), sc('int8', -3), s8b, f(0.03), sc('int8', 7), f(0.07), sc('int8', 1)],
        {},
      ],
      [
        'QLinearGlobalAveragePool',
        [a, f(0.05), sc('uint8', 120), f(0.02), sc('uint8', 110)],
        { channels_last: A.int(1) },
      ],
      [
        'QLinearAveragePool',
        [a, f(0.05), sc('uint8', 120), f(0.03), sc('uint8', 110)],
        {
          kernel_shape: A.ints([3, 3]),
          strides: A.ints([2, 2]),
          pads: A.ints([1, 1, 1, 1]),
          ceil_mode: A.int(1),
          count_include_pad: A.int(1),
        },
      ],
    );
    for (const [op, inputs, attrs] of cases) {
      const { ours, theirs } = await both(
        op,
        inputs,
        attrs,
        op === 'QLinearConcat' ? 'uint8' : inputs[0]!.dtype,
        { domain: 'com.microsoft' },
      );
      const d = countDiff(ours, theirs);
      report.push(`${op}: ${d.n}/${ours.length} differ, max ${d.max}`);
      if (d.max > 1) console.log(op, JSON.stringify(attrs), ours.slice(0, 24), theirs.slice(0, 24));
      expect(d.max).toBeLessThanOrEqual(1);
    }
    // QGemm: transB and alpha, per-column b scale, int32 C
    const A2 = randomIntTensor('uint8', [3, 6], 3);
    const B2 = randomIntTensor('int8', [4, 6], 4, -127, 127);
    const qg = [
      A2,
      f(0.04),
      sc('uint8', 128),
      B2,
      t('float32', [4], [0.01, 0.02, 0.015, 0.005]),
      t('int8', [4], [0, 0, 0, 0]),
      t('int32', [4], [100, -200, 300, 0]),
      f(0.05),
      sc('uint8', 120),
    ];
    const g = await both('QGemm', qg, { transB: A.int(1), alpha: A.float(0.7) }, 'uint8', {
      domain: 'com.microsoft',
    });
    const dg = countDiff(g.ours, g.theirs);
    report.push(`QGemm: ${dg.n}/${g.ours.length} differ, max ${dg.max}`);
    expect(dg.max).toBeLessThanOrEqual(1);
    console.log(report.join('\n'));
  });

  it('DynamicQuantizeLinear: exact', async () => {
    const x = randomFloatTensor([3, 7], 11, -3, 5);
    const b = new ModelBuilder();
    b.input('x', 'float32', [3, 7]).node('DynamicQuantizeLinear', ['x'], ['y', 's', 'z']);
    b.output('y', 'uint8').output('s', 'float32').output('z', 'uint8');
    const out = await runOrt(b.build(), { x });
    const [y, s, z] = run('DynamicQuantizeLinear', [x], 'float');
    expect(vals(s)).toEqual(vals(out.s));
    expect(vals(z)).toEqual(vals(out.z));
    expect(vals(y)).toEqual(vals(out.y));
  });
});
