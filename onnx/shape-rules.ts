// Per-op static shape and dtype rules for shape inference (default domain and com.microsoft quantized ops).

import type { DType, Tensor } from '../common/tensor.js';
import { toNumbers } from '../common/tensor.js';
import type { Dim, Node } from './graph.js';
import { attrInt, attrInts, attrString } from './graph.js';
import { dtypeFromOnnx } from './tensor-proto.js';
import {
  padShape,
  reduceShape,
  reshapeShape,
  resizeShape,
  sliceShape,
  splitShapes,
  squeezeShape,
  unsqueezeShape,
} from './shape-layout.js';
import type { WindowParams } from './shape-dims.js';
import {
  UNKNOWN,
  attrOf,
  broadcast,
  constantValue,
  isNum,
  normAxis,
  prod,
  sum,
  unify,
  windowOut,
} from './shape-dims.js';

export interface Out {
  dtype?: DType;
  shape?: Dim[];
}

export interface RuleCtx {
  readonly node: Node;
  /** Opset of the default domain. */
  readonly opset: number;
  dtype(i: number): DType | undefined;
  shape(i: number): Dim[] | undefined;
  /** The input's value when it is a constant (initializer, Constant, or folded shape arithmetic). */
  value(i: number): Tensor | undefined;
  has(i: number): boolean;
  mismatch(msg: string): never;
}

export type Rule = (c: RuleCtx) => (Out | undefined)[];

const same = (c: RuleCtx, i = 0, dtype?: DType): Out => ({
  dtype: dtype ?? c.dtype(i),
  shape: c.shape(i),
});
const ints = (t: Tensor | undefined): number[] | undefined =>
  t === undefined ? undefined : toNumbers(t);
const dt = (to: number): DType | undefined => dtypeFromOnnx(to);

function bcast(c: RuleCtx, idx: number[], dtype: DType | undefined): Out {
  const shapes = idx.map((i) => c.shape(i));
  if (shapes.some((s) => s === undefined)) return { dtype };
  const out = broadcast(shapes as Dim[][]);
  if (out === undefined) {
    c.mismatch(`cannot broadcast ${shapes.map((s) => `[${s!.join(',')}]`).join(' with ')}`);
  }
  return { dtype, shape: out };
}

const elementwise: Rule = (c) => [bcast(c, [0, 1], c.dtype(0))];
const compare: Rule = (c) => [bcast(c, [0, 1], 'bool')];
const unary: Rule = (c) => [same(c)];
const variadic: Rule = (c) => [
  bcast(
    c,
    c.node.inputs.map((_, i) => i).filter((i) => c.has(i)),
    c.dtype(0),
  ),
];

function matmulShape(c: RuleCtx, a: Dim[] | undefined, b: Dim[] | undefined): Dim[] | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.length === 0 || b.length === 0) c.mismatch('MatMul inputs must not be scalars');
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const ka = A[A.length - 1];
  const kb = B[B.length - 2];
  if (unify(ka, kb) === undefined)
    c.mismatch(`inner dimensions differ: [${a.join(',')}] x [${b.join(',')}]`);
  const batch = broadcast([A.slice(0, -2), B.slice(0, -2)]);
  if (batch === undefined)
    c.mismatch(`batch dimensions do not broadcast: [${a.join(',')}] x [${b.join(',')}]`);
  const out = [...batch];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

function gemmShape(c: RuleCtx, ia: number, ib: number): Dim[] | undefined {
  const a = c.shape(ia);
  const b = c.shape(ib);
  if (a === undefined || b === undefined) return undefined;
  if (a.length !== 2 || b.length !== 2)
    c.mismatch(`Gemm needs 2-D inputs, got [${a.join(',')}] and [${b.join(',')}]`);
  const [m, ka] = attrInt(c.node, 'transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = attrInt(c.node, 'transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  if (unify(ka, kb) === undefined) c.mismatch(`inner dimensions differ: ${ka} vs ${kb}`);
  return [m, n];
}

function windowParams(c: RuleCtx, kernel: number[]): WindowParams {
  const n = kernel.length;
  return {
    kernel,
    strides: attrInts(c.node, 'strides', new Array<number>(n).fill(1)),
    pads: attrInts(c.node, 'pads', new Array<number>(2 * n).fill(0)),
    dilations: attrInts(c.node, 'dilations', new Array<number>(n).fill(1)),
    autoPad: attrString(c.node, 'auto_pad', 'NOTSET'),
    ceil: attrInt(c.node, 'ceil_mode', 0) !== 0,
  };
}

function convShape(c: RuleCtx, ix: number, iw: number): Dim[] | undefined {
  const x = c.shape(ix);
  const w = c.shape(iw);
  if (x === undefined || w === undefined) return undefined;
  if (x.length < 3 || w.length !== x.length)
    c.mismatch(`input [${x.join(',')}] and weight [${w.join(',')}] ranks do not fit`);
  const group = attrInt(c.node, 'group', 1);
  const wc = w[1];
  if (isNum(wc) && isNum(x[1]) && wc * group !== x[1]) {
    c.mismatch(`input has ${x[1]} channels but the weight expects ${wc} x group ${group}`);
  }
  const ws = w.slice(2);
  const kernel = attrInts(
    c.node,
    'kernel_shape',
    ws.map((d) => (isNum(d) ? d : 1)),
  );
  return [x[0], w[0], ...windowOut(x.slice(2), windowParams(c, kernel))];
}

function poolShape(c: RuleCtx, channelsLast = false): Dim[] | undefined {
  const x = c.shape(0);
  if (x === undefined) return undefined;
  const kernel = attrInts(c.node, 'kernel_shape');
  if (x.length !== kernel.length + 2)
    c.mismatch(`input [${x.join(',')}] does not fit kernel_shape [${kernel.join(',')}]`);
  const sp = channelsLast ? x.slice(1, -1) : x.slice(2);
  const out = windowOut(sp, windowParams(c, kernel));
  return channelsLast ? [x[0], ...out, x[x.length - 1]] : [x[0], x[1], ...out];
}

const globalPool = (x: Dim[] | undefined, channelsLast = false): Dim[] | undefined =>
  x === undefined
    ? undefined
    : channelsLast
      ? [x[0], ...x.slice(1, -1).map(() => 1), x[x.length - 1]]
      : [x[0], x[1], ...x.slice(2).map(() => 1)];

function concatShape(c: RuleCtx, idx: number[]): Dim[] | undefined {
  const shapes = idx.map((i) => c.shape(i));
  if (shapes.length === 0 || shapes.some((s) => s === undefined)) return undefined;
  const ss = shapes as Dim[][];
  const rank = ss[0].length;
  const axis = normAxis(attrInt(c.node, 'axis'), rank);
  const out = [...ss[0]];
  for (const s of ss.slice(1)) {
    if (s.length !== rank)
      c.mismatch(`inputs have different ranks: [${ss[0].join(',')}] and [${s.join(',')}]`);
    for (let d = 0; d < rank; d++) {
      if (d === axis) continue;
      const u = unify(out[d], s[d]);
      if (u === undefined)
        c.mismatch(`dimension ${d} differs: [${ss[0].join(',')}] and [${s.join(',')}]`);
      out[d] = u;
    }
  }
  out[axis] = sum(ss.map((s) => s[axis]));
  return out;
}

function layerNormOuts(c: RuleCtx): Out[] {
  const x = c.shape(0);
  const axis = attrInt(c.node, 'axis', -1);
  const stat: Out = { dtype: 'float32' };
  if (x !== undefined) {
    const a = normAxis(axis, x.length);
    stat.shape = x.map((d, i) => (i < a ? d : 1));
  }
  return [same(c), stat, stat];
}

const shapeOf: Rule = (c) => {
  const x = c.shape(0);
  if (x === undefined) return [{ dtype: 'int64', shape: [UNKNOWN] }];
  const r = x.length;
  const clampI = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clampI(attrInt(c.node, 'start', 0));
  const end = clampI(attrInt(c.node, 'end', r));
  return [{ dtype: 'int64', shape: [Math.max(0, end - start)] }];
};

const constantOut: Rule = (c) => {
  const v = constantValue(c.node);
  return [v === undefined ? {} : { dtype: v.dtype, shape: [...v.shape] }];
};

/** The rules, keyed by kernelKey(domain, opType). */
export const SHAPE_RULES: Record<string, Rule> = {
  // elementwise
  Add: elementwise,
  Sub: elementwise,
  Mul: elementwise,
  Div: elementwise,
  Pow: elementwise,
  Mod: elementwise,
  PRelu: elementwise,
  And: compare,
  Or: compare,
  Xor: compare,
  Equal: compare,
  Less: compare,
  Greater: compare,
  LessOrEqual: compare,
  GreaterOrEqual: compare,
  Max: variadic,
  Min: variadic,
  Sum: variadic,
  Mean: variadic,
  Where: (c) => [bcast(c, [0, 1, 2], c.dtype(1))],
  Relu: unary,
  Sigmoid: unary,
  Tanh: unary,
  Sqrt: unary,
  Exp: unary,
  Erf: unary,
  Log: unary,
  Neg: unary,
  Abs: unary,
  Floor: unary,
  Ceil: unary,
  Round: unary,
  Reciprocal: unary,
  LeakyRelu: unary,
  HardSigmoid: unary,
  HardSwish: unary,
  Clip: unary,
  Softmax: unary,
  LogSoftmax: unary,
  Identity: unary,
  Gelu: unary,
  Elu: unary,
  Not: unary,
  Sign: unary,
  Dropout: (c) => [same(c), same(c, 0, 'bool')],
  BatchNormalization: (c) => [same(c), same(c, 3), same(c, 4)],
  LayerNormalization: layerNormOuts,
  Cast: (c) => [same(c, 0, dt(attrInt(c.node, 'to')))],
  // quantization
  QuantizeLinear: (c) => [
    same(c, 0, c.dtype(2) ?? dt(attrInt(c.node, 'output_dtype', 0)) ?? 'uint8'),
  ],
  DequantizeLinear: (c) => [same(c, 0, c.dtype(1) ?? 'float32')],
  DynamicQuantizeLinear: (c) => [
    same(c, 0, 'uint8'),
    { dtype: 'float32', shape: [] },
    { dtype: 'uint8', shape: [] },
  ],
  // conv / matmul
  Conv: (c) => [{ dtype: c.dtype(0), shape: convShape(c, 0, 1) }],
  ConvInteger: (c) => [{ dtype: 'int32', shape: convShape(c, 0, 1) }],
  QLinearConv: (c) => [{ dtype: c.dtype(7) ?? c.dtype(0), shape: convShape(c, 0, 3) }],
  MatMul: (c) => [{ dtype: c.dtype(0), shape: matmulShape(c, c.shape(0), c.shape(1)) }],
  MatMulInteger: (c) => [{ dtype: 'int32', shape: matmulShape(c, c.shape(0), c.shape(1)) }],
  QLinearMatMul: (c) => [
    { dtype: c.dtype(7) ?? c.dtype(0), shape: matmulShape(c, c.shape(0), c.shape(3)) },
  ],
  Gemm: (c) => [{ dtype: c.dtype(0), shape: gemmShape(c, 0, 1) }],
  // pooling
  MaxPool: (c) => [
    { dtype: c.dtype(0), shape: poolShape(c) },
    { dtype: 'int64', shape: poolShape(c) },
  ],
  AveragePool: (c) => [{ dtype: c.dtype(0), shape: poolShape(c) }],
  GlobalAveragePool: (c) => [{ dtype: c.dtype(0), shape: globalPool(c.shape(0)) }],
  GlobalMaxPool: (c) => [{ dtype: c.dtype(0), shape: globalPool(c.shape(0)) }],
  // layout
  Concat: (c) => [
    {
      dtype: c.dtype(0),
      shape: concatShape(
        c,
        c.node.inputs.map((_, i) => i),
      ),
    },
  ],
  Reshape: (c) => [{ dtype: c.dtype(0), shape: reshapeShape(c) }],
  Flatten: (c) => {
    const x = c.shape(0);
    if (x === undefined) return [{ dtype: c.dtype(0) }];
    const a = normAxis(attrInt(c.node, 'axis', 1), x.length);
    return [{ dtype: c.dtype(0), shape: [prod(x.slice(0, a)), prod(x.slice(a))] }];
  },
  Transpose: (c) => {
    const x = c.shape(0);
    if (x === undefined) return [{ dtype: c.dtype(0) }];
    const perm = attrInts(
      c.node,
      'perm',
      x.map((_, i) => x.length - 1 - i),
    );
    if (perm.length !== x.length)
      c.mismatch(`perm [${perm.join(',')}] does not fit rank ${x.length}`);
    return [{ dtype: c.dtype(0), shape: perm.map((p) => x[normAxis(p, x.length)]) }];
  },
  Resize: (c) => [{ dtype: c.dtype(0), shape: resizeShape(c) }],
  Pad: (c) => [{ dtype: c.dtype(0), shape: padShape(c) }],
  Shape: shapeOf,
  Size: () => [{ dtype: 'int64', shape: [] }],
  Gather: (c) => {
    const x = c.shape(0);
    const idx = c.shape(1);
    if (x === undefined || idx === undefined) return [{ dtype: c.dtype(0) }];
    const a = normAxis(attrInt(c.node, 'axis', 0), x.length);
    return [{ dtype: c.dtype(0), shape: [...x.slice(0, a), ...idx, ...x.slice(a + 1)] }];
  },
  Unsqueeze: (c) => [{ dtype: c.dtype(0), shape: unsqueezeShape(c) }],
  Squeeze: (c) => [{ dtype: c.dtype(0), shape: squeezeShape(c) }],
  Split: (c) => splitShapes(c).map((shape) => ({ dtype: c.dtype(0), shape })),
  Slice: (c) => [{ dtype: c.dtype(0), shape: sliceShape(c) }],
  ReduceMean: (c) => [{ dtype: c.dtype(0), shape: reduceShape(c, 18) }],
  ReduceMax: (c) => [{ dtype: c.dtype(0), shape: reduceShape(c, 18) }],
  ReduceMin: (c) => [{ dtype: c.dtype(0), shape: reduceShape(c, 18) }],
  ReduceSum: (c) => [{ dtype: c.dtype(0), shape: reduceShape(c, 13) }],
  Expand: (c) => {
    const s = ints(c.value(1));
    const x = c.shape(0);
    if (s === undefined || x === undefined) return [{ dtype: c.dtype(0) }];
    const out = broadcast([x, s]);
    if (out === undefined) c.mismatch(`cannot expand [${x.join(',')}] to [${s.join(',')}]`);
    return [{ dtype: c.dtype(0), shape: out }];
  },
  ConstantOfShape: (c) => {
    const v = attrOf(c.node, 'value');
    return [{ dtype: v?.type === 'tensor' ? v.value.dtype : 'float32', shape: ints(c.value(0)) }];
  },
  Constant: constantOut,
  Range: (c) => {
    const [s, l, d] = [0, 1, 2].map((i) => ints(c.value(i))?.[0]);
    const n =
      s !== undefined && l !== undefined && d !== undefined && d !== 0
        ? Math.max(0, Math.ceil((l - s) / d))
        : UNKNOWN;
    return [{ dtype: c.dtype(0), shape: [n] }];
  },
  // com.microsoft quantized ops
  'com.microsoft:QLinearAdd': (c) => [bcast(c, [0, 3], c.dtype(0))],
  'com.microsoft:QLinearMul': (c) => [bcast(c, [0, 3], c.dtype(0))],
  'com.microsoft:QLinearSigmoid': (c) => [same(c)],
  // internal ops of the reference's QDQ lowering (reference/qdq): a 256-entry table lookup and a clamp
  'npu.ref:QLinearLut': (c) => {
    const table = c.node.attrs['table'];
    return [same(c, 0, table?.type === 'tensor' ? table.value.dtype : undefined)];
  },
  'npu.ref:IntClip': (c) => [same(c)],
  // the I-BERT int8 kernels of the integer-kernel lowering: input's dtype and shape
  'npu.ref:ISoftmax': (c) => [same(c)],
  'npu.ref:ILayerNorm': (c) => [same(c)],
  'npu.ref:IGelu': (c) => [same(c)],
  'com.microsoft:QLinearLeakyRelu': (c) => [same(c)],
  'com.microsoft:QLinearGlobalAveragePool': (c) => [
    { dtype: c.dtype(0), shape: globalPool(c.shape(0), attrInt(c.node, 'channels_last', 0) !== 0) },
  ],
  'com.microsoft:QLinearAveragePool': (c) => [
    { dtype: c.dtype(0), shape: poolShape(c, attrInt(c.node, 'channels_last', 0) !== 0) },
  ],
  'com.microsoft:QLinearConcat': (c) => {
    const idx = c.node.inputs.map((_, i) => i).filter((i) => i >= 2 && (i - 2) % 3 === 0);
    return [{ dtype: c.dtype(2), shape: concatShape(c, idx) }];
  },
  'com.microsoft:QGemm': (c) => [
    { dtype: c.has(7) ? (c.dtype(8) ?? c.dtype(0)) : 'float32', shape: gemmShape(c, 0, 3) },
  ],
};
