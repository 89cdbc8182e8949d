// The data-movement, pool and activation ops of the random-graph generator (each step is one or two ONNX nodes).

import type { Attr } from '../../onnx/graph.js';
import { A } from '../helpers/model-builder.js';
import type { ActFn, GraphWriter, QT, StepSpec } from './random-graph-emit.js';

export type Mode = 'float' | 'fixed';

export const ACTS: ActFn[] = ['Relu', 'LeakyRelu', 'Sigmoid', 'HardSwish', 'Tanh', 'Relu6'];
export const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

export function pick(g: GraphWriter, s: StepSpec): QT {
  const n = g.tensors.length;
  return g.tensors[n - 1 - (s.src % n)];
}

/** A 4-D view [1, size, 1, 1] of a tensor of another rank. */
export function as4d(g: GraphWriter, t: QT): QT {
  if (t.shape.length === 4) return t;
  g.features.add('reshape');
  const y = g.defineLike(g.fresh('t'), [1, size(t.shape), 1, 1], t);
  return g.movement('Reshape', t, y, [g.int64(y.shape)]);
}

/** Flatten (axis 1) of a tensor into [N, rest]. */
export function flatten(g: GraphWriter, x: QT): QT {
  g.features.add('flatten');
  const y = g.defineLike(g.fresh('t'), [x.shape[0], size(x.shape.slice(1))], x);
  return g.movement('Flatten', x, y, [], { axis: A.int(1) });
}

export function pool(g: GraphWriter, s: StepSpec, mode: Mode): void {
  const x = as4d(g, pick(g, s));
  const [, c, h, w] = x.shape;
  const isMax = s.op === 'maxpool';
  const k = [Math.min(1 + (s.k % 3), h + 2), Math.min(1 + ((s.square ? s.k : s.k2) % 3), w + 2)];
  const pads = k.map((kk) => Math.min(s.pad, kk - 1));
  // a window must overlap the image: kernel <= size + 2 pads, else shrink it
  const kk = k.map((v, i) => Math.max(1, Math.min(v, [h, w][i] + 2 * pads[i])));
  const ceil = s.flag2 && s.variant % 3 === 0;
  const out = kk.map((v, i) => {
    const n = [h, w][i] + 2 * pads[i] - v;
    let o = (ceil ? Math.ceil(n / s.stride) : Math.floor(n / s.stride)) + 1;
    // ONNX: a ceil-mode window that would start in the end padding is dropped (onnxruntime's kernel does so,
    // its ONNX shape inference does not: it cannot load such a pool followed by a shape-merging op)
    if (ceil && (o - 1) * s.stride >= [h, w][i] + pads[i]) {
      o--;
      g.features.add('pool:ceil-drop');
    }
    return o;
  });
  const attrs: Record<string, Attr> = {
    kernel_shape: A.ints(kk),
    strides: A.ints([s.stride, s.stride]),
    pads: A.ints([pads[0], pads[1], pads[0], pads[1]]),
    ...(ceil ? { ceil_mode: A.int(1) } : {}),
  };
  g.features.add(s.op);
  if (ceil) g.features.add('pool:ceil');
  const shape = [1, c, ...out];
  const keep = isMax ? s.qSame || g.format === 'qop' : s.qSame || mode === 'fixed';
  const y = keep
    ? g.defineLike(g.fresh('t'), shape, x)
    : g.defineFor(g.fresh('t'), shape, x.rms, s.out);
  if (isMax) {
    g.movement('MaxPool', x, y, [], attrs);
    return;
  }
  if (s.flag) attrs.count_include_pad = A.int(1);
  if (g.format === 'qop') {
    const args = [...g.qargs(x), `${y.name}_s`, `${y.name}_z`];
    g.b.msNode('QLinearAveragePool', args, [y.name], { ...attrs, channels_last: A.int(0) });
  } else g.qdqUnary('AveragePool', x, y, [], attrs);
}

/** The output of a code-moving op: the input's quantization (QOp always), or a requantized one. */
const moved = (g: GraphWriter, x: QT, shape: number[], s: StepSpec): QT =>
  s.qSame || g.format === 'qop'
    ? g.defineLike(g.fresh('t'), shape, x)
    : g.defineFor(g.fresh('t'), shape, x.rms, s.out);

export function resize(g: GraphWriter, s: StepSpec): void {
  const x = as4d(g, pick(g, s));
  const f = [
    [2, 2],
    [1, 2],
    [2, 1],
  ][s.variant % 3].map((v, i) => (x.shape[2 + i] * v > 24 ? 1 : v));
  const attrs: Record<string, Attr> = { mode: A.string('nearest') };
  if (s.flag) {
    attrs.coordinate_transformation_mode = A.string('asymmetric');
    attrs.nearest_mode = A.string('floor');
  }
  g.features.add('resize');
  const y = moved(g, x, [1, x.shape[1], x.shape[2] * f[0], x.shape[3] * f[1]], s);
  g.movement('Resize', x, y, ['', g.floats([1, 1, f[0], f[1]])], attrs);
}

export function pad(g: GraphWriter, s: StepSpec): void {
  const x = as4d(g, pick(g, s));
  const p = [s.pad, s.k % 3, s.flag2 ? s.pad : 0, s.k2 % 3];
  g.features.add('pad');
  const y = moved(g, x, [1, x.shape[1], x.shape[2] + p[0] + p[2], x.shape[3] + p[1] + p[3]], s);
  const pads = g.int64([0, 0, p[0], p[1], 0, 0, p[2], p[3]]);
  if (g.format === 'qdq') {
    g.qdqUnary('Pad', x, y, [pads, g.scalarF(0)]);
    return;
  }
  const v = g.fresh('c');
  g.b.scalar(
    v,
    g.dtype,
    s.flag ? x.zp : Math.min(g.qmax, Math.max(g.qmin, x.zp + (s.seed % 7) - 3)),
  );
  g.movement('Pad', x, y, [pads, v]);
}

const PERMS = [
  [0, 1, 3, 2],
  [0, 2, 1, 3],
  [0, 3, 2, 1],
  [0, 2, 3, 1],
  [0, 3, 1, 2],
];

export function transpose(g: GraphWriter, s: StepSpec): void {
  const x = pick(g, s);
  const perm = x.shape.length === 4 ? PERMS[s.variant % PERMS.length] : [1, 0];
  g.features.add('transpose');
  const y = moved(
    g,
    x,
    perm.map((p) => x.shape[p]),
    s,
  );
  g.movement('Transpose', x, y, [], { perm: A.ints(perm) });
}

export function slice(g: GraphWriter, s: StepSpec): void {
  const x = pick(g, s);
  const r = x.shape.length;
  const axes = r === 2 ? [1] : [[1], [2, 3], [3], [1, 2]][s.variant % 4];
  const starts: number[] = [];
  const ends: number[] = [];
  const shape = [...x.shape];
  axes.forEach((ax, i) => {
    const d = x.shape[ax];
    const st = (s.seed >> (3 * i)) % d;
    const len = 1 + ((s.seed >> (3 * i + 9)) % (d - st));
    shape[ax] = len;
    starts.push(s.flag2 ? st - d : st);
    ends.push(s.flag && st + len === d ? 2 ** 31 - 1 : st + len);
  });
  g.features.add('slice');
  const y = moved(g, x, shape, s);
  const extra = [g.int64(starts), g.int64(ends), g.int64(axes)];
  if (s.variant % 2) extra.push(g.int64(axes.map(() => 1)));
  g.movement('Slice', x, y, extra);
}

export function reshape(g: GraphWriter, s: StepSpec): void {
  const x = pick(g, s);
  if (x.shape.length !== 4) {
    as4d(g, x);
    return;
  }
  const [, c, h, w] = x.shape;
  const targets = [
    [1, c * h * w, 1, 1],
    [1, c, h * w, 1],
    [1, -1],
    [1, c, w, h],
    [1, h, c, w],
  ];
  const t = targets[s.variant % (targets.length + 1)];
  if (t === undefined) {
    flatten(g, x);
    return;
  }
  g.features.add('reshape');
  const shape = t[1] === -1 ? [1, c * h * w] : t;
  const y = moved(g, x, shape, s);
  g.movement('Reshape', x, y, [g.int64(t)]);
}

export function act(g: GraphWriter, s: StepSpec): void {
  const x = pick(g, s);
  const fn = s.act === 'none' ? ACTS[s.variant % ACTS.length] : s.act;
  g.activation(fn, x, g.activationOut(fn, x, x.shape, s.out), [0.01, 0.1, 0.2][s.variant % 3]);
}
