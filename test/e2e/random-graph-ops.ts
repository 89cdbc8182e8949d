// The compute ops of the random-graph generator (conv, gemm / matmul, add / mul, concat, global average pool), the
// branches they create when a partner of the right shape is missing, and the table of all ops.

import type { Attr } from '../../onnx/graph.js';
import { randomIntTensor } from '../helpers/arbitraries.js';
import { A } from '../helpers/model-builder.js';
import type { ActFn, GraphWriter, OutQ, QT, StepSpec } from './random-graph-emit.js';
import {
  ACTS,
  type Mode,
  act,
  as4d,
  flatten,
  pad,
  pick,
  pool,
  reshape,
  resize,
  size,
  slice,
  transpose,
} from './random-graph-moves.js';

/**
 * Constant second operands of Add / Mul (a DQ'd int8 initializer of shape [1,C,1,1] or [1,1,1,1]). Off: the NPU
 * refuses them (NPU5001, 'a constant operand is not supported'; they used to crash build-ir, see the regression in
 * random-graphs.test.ts); branches built from the graph cover the same broadcast modes. Turn on once constant
 * operands are placed in the DRAM image.
 */
export const CONST_BINARY_OPERANDS = false;

type Op = (g: GraphWriter, s: StepSpec, mode: Mode) => void;

const same = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

const span = (n: number, k: number, d: number, s: number): number =>
  Math.floor((n - d * (k - 1) - 1) / s) + 1;

/** A 2-D [1, K] operand for a gemm: Flatten, or GlobalAveragePool then Flatten. */
function as2d(g: GraphWriter, t: QT, viaGap: boolean, s: StepSpec, mode: Mode): QT {
  if (t.shape.length === 2) return t;
  return flatten(g, viaGap ? gap(g, t, s, mode) : t);
}

interface ConvP {
  outC: number;
  groups: 'one' | 'two' | 'dw';
  kH: number;
  kW: number;
  stride: number;
  dil: number;
  pads: [number, number, number, number];
  act: ActFn | 'none';
  bias: boolean;
  perChannel: boolean;
  out: OutQ;
  seed: number;
}

const convP = (s: StepSpec): ConvP => ({
  outC: s.outC,
  groups: s.groups,
  kH: s.k,
  kW: s.square ? s.k : s.k2,
  stride: s.stride,
  dil: s.dil,
  pads: [s.pad, s.pad, s.flag2 ? s.pad : Math.max(0, s.pad - 1), s.pad],
  act: s.act,
  bias: s.variant % 4 !== 0,
  perChannel: s.flag,
  out: s.out,
  seed: s.seed,
});

/** A 1x1 conv (C → outC): the branch an Add / Concat / SE block creates when no partner exists. */
const pointwise = (s: StepSpec, outC: number, act: ActFn | 'none' = 'none'): ConvP => ({
  ...convP(s),
  outC,
  groups: 'one',
  kH: 1,
  kW: 1,
  stride: 1,
  dil: 1,
  pads: [0, 0, 0, 0],
  act,
  seed: s.seed + 7,
});

/** Applies an activation after an op's output (QDQ Relu / Relu6 are fused into the group by the caller). */
function after(g: GraphWriter, y: QT, act: ActFn | 'none', q: OutQ, seed: number): QT {
  if (act === 'none') return y;
  const out = g.activationOut(act, y, y.shape, { ...q, u: q.u / 2 });
  return g.activation(act, y, out, [0.01, 0.1, 0.2][seed % 3]);
}

const fusable = (g: GraphWriter, act: ActFn | 'none'): act is 'Relu' | 'Relu6' =>
  g.format === 'qdq' && (act === 'Relu' || act === 'Relu6');

/** Emits `DQ(inputs) → op → [Relu | Clip(0, 6)] → Q(y)` (the activation inside the QDQ group). */
function qdqGroup(
  g: GraphWriter,
  op: string,
  inputs: string[],
  y: QT,
  act: 'Relu' | 'Relu6' | 'none',
  attrs: Record<string, Attr> = {},
): QT {
  let v = g.fresh('f');
  g.b.node(op, inputs, [v], attrs);
  if (act !== 'none') {
    const r = g.fresh('f');
    if (act === 'Relu') g.b.node('Relu', [v], [r]);
    else g.b.node('Clip', [v, g.scalarF(0), g.scalarF(6)], [r]);
    v = r;
    g.features.add(`fused:${act}`);
  }
  return g.q(v, y);
}

function conv(g: GraphWriter, x0: QT, p: ConvP): QT {
  const x = as4d(g, x0);
  const [, cin, h, w] = x.shape;
  const groups = p.groups === 'dw' ? cin : p.groups === 'two' && cin % 2 === 0 ? 2 : 1;
  const outC = p.groups === 'dw' ? cin : groups * Math.max(1, Math.round(p.outC / groups));
  let { kH, kW } = p;
  const [pt, pl, pb, pr] = p.pads;
  let dil = p.dil;
  while (kH > 1 && h + pt + pb < dil * (kH - 1) + 1) kH--;
  while (kW > 1 && w + pl + pr < dil * (kW - 1) + 1) kW--;
  if (kH === 1 && kW === 1) dil = 1;
  const shape = [
    1,
    outC,
    span(h + pt + pb, kH, dil, p.stride),
    span(w + pl + pr, kW, dil, p.stride),
  ];
  g.features.add('conv');
  if (groups > 1)
    g.features.add(groups === cin && p.groups === 'dw' ? 'conv:depthwise' : 'conv:grouped');
  if (p.stride > 1) g.features.add('conv:stride2');
  if (dil > 1) g.features.add('conv:dilated');
  if (kH !== kW) g.features.add('conv:rect');
  if (Math.max(kH, kW) >= 5) g.features.add('conv:5x5');
  const wt = g.weight([outC, cin / groups, kH, kW], 0, p.perChannel, p.seed);
  const k = (cin / groups) * kH * kW;
  const accCodes = Math.sqrt(k) * (x.rms / x.scale) * 73;
  const rms = Math.sqrt(k) * x.rms * wt.rms * (p.act === 'Relu' || p.act === 'Relu6' ? 0.7 : 1);
  const y = g.defineFor(g.fresh('t'), shape, p.act === 'Relu6' ? Math.min(rms, 4) : rms, p.out);
  const attrs = {
    kernel_shape: A.ints([kH, kW]),
    strides: A.ints([p.stride, p.stride]),
    dilations: A.ints([dil, dil]),
    pads: A.ints(p.pads),
    group: A.int(groups),
  };
  const bias = p.bias ? g.bias(outC, x, wt, accCodes, p.seed + 1) : undefined;
  if (g.format === 'qop') {
    const args = [
      ...g.qargs(x),
      wt.name,
      `${wt.name}_s`,
      `${wt.name}_z`,
      `${y.name}_s`,
      `${y.name}_z`,
    ];
    g.b.node('QLinearConv', bias === undefined ? args : [...args, bias], [y.name], attrs);
    return after(g, y, p.act, p.out, p.seed);
  }
  const inputs = [g.dq(x), g.dqWeight(wt, 0), ...(bias === undefined ? [] : [bias])];
  const act = fusable(g, p.act) ? p.act : 'none';
  qdqGroup(g, 'Conv', inputs, y, act, attrs);
  return act === p.act ? y : after(g, y, p.act, p.out, p.seed);
}

/** Gemm / MatMul on [M, K] (after Flatten or GlobalAveragePool), or MatMul over the last axis of a 4-D tensor. */
function gemm(g: GraphWriter, s: StepSpec, mode: Mode, src: QT, forceN?: number): QT {
  const fourD = forceN === undefined && s.op === 'matmul' && src.shape.length === 4 && s.flag2;
  const x = fourD ? src : as2d(g, src, s.flag2, s, mode);
  const kDim = x.shape[x.shape.length - 1];
  const n = forceN ?? s.outC;
  const flavour =
    fourD || s.op === 'matmul' ? 'matmul' : s.variant % 2 || !g.valueInfo ? 'gemm' : 'matmul+bias';
  const transB = flavour === 'gemm' && s.flag;
  const wt = g.weight(transB ? [n, kDim] : [kDim, n], transB ? 0 : 1, s.variant % 3 === 1, s.seed);
  const shape = [...x.shape.slice(0, -1), n];
  const acc = Math.sqrt(kDim) * x.rms * wt.rms;
  const y = g.defineFor(g.fresh('t'), shape, fusable(g, s.act) ? acc * 0.7 : acc, s.out);
  const withBias = flavour !== 'matmul';
  g.features.add(fourD ? 'matmul:4d' : flavour === 'gemm' ? 'gemm' : flavour);
  const bias = withBias ? g.bias(n, x, wt, Math.sqrt(kDim) * 74 * 73, s.seed + 1) : undefined;
  const act = forceN !== undefined ? 'none' : s.act;
  if (g.format === 'qop') {
    const b = [wt.name, `${wt.name}_s`, `${wt.name}_z`];
    const ys = [`${y.name}_s`, `${y.name}_z`];
    if (!withBias) g.b.node('QLinearMatMul', [...g.qargs(x), ...b, ...ys], [y.name]);
    else
      g.b.msNode('QGemm', [...g.qargs(x), ...b, bias!, ...ys], [y.name], {
        transB: A.int(transB ? 1 : 0),
      });
    return after(g, y, act, s.out, s.seed);
  }
  const fa = fusable(g, act) ? act : 'none';
  const wf = g.dqWeight(wt, transB ? 0 : 1);
  if (flavour === 'gemm') {
    const inputs = [g.dq(x), wf, bias!];
    qdqGroup(g, 'Gemm', inputs, y, fa, { transB: A.int(transB ? 1 : 0) });
  } else if (flavour === 'matmul+bias') {
    const mm = g.fresh('f');
    g.b.node('MatMul', [g.dq(x), wf], [mm]);
    qdqGroup(g, 'Add', [mm, bias!], y, fa);
  } else qdqGroup(g, 'MatMul', [g.dq(x), wf], y, fa);
  return fa === act ? y : after(g, y, act, s.out, s.seed);
}

function gap(g: GraphWriter, x0: QT, s: StepSpec, mode: Mode): QT {
  const x = as4d(g, x0);
  g.features.add('gap');
  const shape = [1, x.shape[1], 1, 1];
  const y =
    s.qSame && mode === 'float'
      ? g.defineLike(g.fresh('t'), shape, x)
      : g.defineFor(g.fresh('t'), shape, x.rms / 1.5, s.out);
  if (g.format === 'qop') {
    const args = [...g.qargs(x), `${y.name}_s`, `${y.name}_z`];
    g.b.msNode('QLinearGlobalAveragePool', args, [y.name], { channels_last: A.int(0) });
    return y;
  }
  return g.qdqUnary('GlobalAveragePool', x, y);
}

/** The second operand of Add / Mul: an earlier tensor of a fitting shape, or a branch made from `a`. */
function partner(g: GraphWriter, a: QT, s: StepSpec, mode: Mode): QT {
  const kind =
    a.shape.length === 4
      ? (['same', 'channel', 'scalar'] as const)[s.variant % 3]
      : s.variant % 3 === 2
        ? 'scalar'
        : 'same';
  const want =
    kind === 'same' ? a.shape : kind === 'channel' ? [1, a.shape[1], 1, 1] : a.shape.map(() => 1);
  const found = g.tensors.filter((t) => t !== a && same(t.shape, want));
  if (found.length > 0) return found[s.other % found.length];
  if (CONST_BINARY_OPERANDS && kind !== 'same' && s.flag2) {
    const name = g.fresh('k');
    g.b.initializer(name, randomIntTensor(g.dtype, want, s.seed + 3));
    g.features.add('binary:const');
    return g.define(name, want, 2 ** -5, g.zpOf(s.out), 2 ** -5 * 74);
  }
  if (kind === 'same') {
    if (s.flag && a.shape.length === 4) return conv(g, a, pointwise(s, a.shape[1]));
    const fn = ACTS[s.seed % ACTS.length];
    return g.activation(fn, a, g.activationOut(fn, a, a.shape, s.out), 0.1);
  }
  if (a.shape.length === 2) return gemm(g, s, mode, a, 1);
  const pooled = gap(g, a, { ...s, qSame: false }, mode);
  g.features.add(kind === 'channel' ? 'se-block' : 'scalar-branch');
  return conv(
    g,
    pooled,
    pointwise(s, kind === 'channel' ? a.shape[1] : 1, s.flag ? 'Sigmoid' : 'none'),
  );
}

function binary(g: GraphWriter, s: StepSpec, mode: Mode): void {
  const a = pick(g, s);
  const b = partner(g, a, s, mode);
  const [x, z] = s.flag ? [b, a] : [a, b];
  const isAdd = s.op === 'add';
  const shape = size(x.shape) >= size(z.shape) ? x.shape : z.shape;
  const bc = same(x.shape, z.shape) ? 'elementwise' : size(b.shape) === 1 ? 'scalar' : 'channel';
  g.features.add(`${s.op}:${bc}`).add(s.op);
  if (a !== b) g.features.add('residual');
  const act = fusable(g, s.act) ? s.act : 'none';
  // fixed-mode add needs C_scale > 2·max(A_scale, B_scale) / 2^20 (TFLite's left shift of 20): keep 4x above
  const minRms = (((8 * Math.max(a.scale, b.scale)) / 2 ** 20) * 40) / 2 ** s.out.u;
  const rms = Math.max(isAdd ? Math.hypot(a.rms, b.rms) : a.rms * b.rms, minRms);
  let y = g.defineFor(g.fresh('t'), shape, act === 'none' ? rms : rms * 0.7, s.out);
  if (g.format === 'qop') {
    const args = [...g.qargs(x), ...g.qargs(z), `${y.name}_s`, `${y.name}_z`];
    g.b.msNode(isAdd ? 'QLinearAdd' : 'QLinearMul', args, [y.name]);
  } else y = qdqGroup(g, isAdd ? 'Add' : 'Mul', [g.dq(x), g.dq(z)], y, act);
  if (act === 'none' && s.act !== 'none' && s.variant % 2 === 0) after(g, y, s.act, s.out, s.seed);
}

function concat(g: GraphWriter, s: StepSpec, mode: Mode): void {
  const a = pick(g, s);
  const fits = (t: QT): boolean =>
    t.shape.length === a.shape.length && t.shape.every((d, i) => i === 1 || d === a.shape[i]);
  const found = g.tensors.filter((t) => t !== a && fits(t));
  const parts = [a];
  const n = 1 + (s.variant % 2) + 1;
  for (let i = 0; i < n - 1; i++)
    parts.push(found.length > 0 ? found[(s.other + i) % found.length] : a);
  if (found.length === 0)
    parts[1] =
      a.shape.length === 4 ? conv(g, a, pointwise(s, s.outC)) : gemm(g, s, mode, a, s.outC);
  if (s.flag) parts.reverse();
  const shape = [...a.shape];
  shape[1] = parts.reduce((p, t) => p + t.shape[1], 0);
  g.features.add('concat');
  if (new Set(parts).size > 1) g.features.add('residual');
  const sameQ = parts.every((t) => t.scale === a.scale && t.zp === a.zp);
  const rms = Math.max(...parts.map((t) => t.rms));
  const y =
    s.qSame && sameQ
      ? g.defineLike(g.fresh('t'), shape, a)
      : g.defineFor(g.fresh('t'), shape, rms, s.out);
  const axis = { axis: A.int(s.flag2 ? 1 - a.shape.length : 1) };
  if (g.format === 'qop') {
    if (y.scale === a.scale && y.zp === a.zp && sameQ) {
      g.b.node(
        'Concat',
        parts.map((t) => g.qargs(t)[0]),
        [y.name],
        axis,
      );
    } else {
      g.features.add('qlinearconcat');
      const args = [`${y.name}_s`, `${y.name}_z`, ...parts.flatMap((t) => g.qargs(t))];
      g.b.msNode('QLinearConcat', args, [y.name], axis);
    }
    return;
  }
  qdqGroup(
    g,
    'Concat',
    parts.map((t) => g.dq(t)),
    y,
    'none',
    axis,
  );
}

export const OPS: Record<StepSpec['op'], Op> = {
  conv: (g, s) => void conv(g, pick(g, s), convP(s)),
  gemm: (g, s, m) => void gemm(g, s, m, pick(g, s)),
  matmul: (g, s, m) => void gemm(g, s, m, pick(g, s)),
  add: binary,
  mul: binary,
  concat,
  maxpool: pool,
  avgpool: pool,
  gap: (g, s, m) => void gap(g, pick(g, s), s, m),
  resize,
  pad,
  transpose,
  slice,
  reshape,
  act,
};
