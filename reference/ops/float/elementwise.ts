// Elementwise math with numpy broadcasting: arithmetic, comparisons, Where/Not and the unary math functions.

import type { DType, Tensor } from '../../../common/tensor.js';
import { allocData, sizeOf } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import type { Kernel, KernelContext } from '../../kernel.js';
import { broadcastShapes, describeShapes, offsetsIfNeeded } from './broadcast.js';
import { erf } from './erf.js';
import type { Elem } from './util.js';
import {
  FLOAT_DTYPES,
  at,
  checkInputs,
  expectDType,
  expectSameDType,
  isFloatDType,
  req,
  roundFor,
  shapeError,
} from './util.js';

const INT_DTYPES: readonly DType[] = ['int8', 'uint8', 'int16', 'int32', 'int64'];
const NUMERIC: readonly DType[] = [...FLOAT_DTYPES, ...INT_DTYPES];

function outShapeOf(ts: readonly Tensor[], ctx: KernelContext): number[] {
  const shapes = ts.map((t) => t.shape);
  const s = broadcastShapes(shapes);
  if (s === undefined) shapeError(ctx, `cannot broadcast shapes ${describeShapes(shapes)}`);
  return s;
}

/** Applies fn to broadcast elements of the inputs, writing into a new tensor of dtype `outDType`. */
function zip(
  ts: readonly Tensor[],
  outDType: DType,
  ctx: KernelContext,
  fn: (xs: Elem[]) => Elem,
): Tensor {
  const shape = outShapeOf(ts, ctx);
  const n = sizeOf(shape);
  const offs = ts.map((t) => offsetsIfNeeded(t.shape, shape));
  const data = allocData(outDType, n) as unknown as Elem[];
  const srcs = ts.map((t) => t.data as unknown as Elem[]);
  const xs = new Array<Elem>(ts.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < ts.length; k++) {
      const o = offs[k];
      xs[k] = srcs[k][o === undefined ? i : o[i]]!;
    }
    data[i] = fn(xs);
  }
  return { dtype: outDType, shape, data: data as unknown as Tensor['data'] };
}

interface ArithSpec {
  /** The double-precision op; the result is rounded once to the storage precision. */
  float: (a: number, b: number) => number;
  /** int8..int32 (wrapped to the storage width on store); omitted: floats only. */
  int?: (a: number, b: number, ctx: KernelContext) => number;
  big?: (a: bigint, b: bigint, ctx: KernelContext) => bigint;
}

function arith(spec: ArithSpec): Kernel {
  const allowed = spec.int === undefined ? FLOAT_DTYPES : NUMERIC;
  return (inputs, ctx) => {
    checkInputs(inputs, ctx, 2);
    const a = req(inputs, 0, ctx);
    const b = req(inputs, 1, ctx);
    expectDType(a, 0, allowed, ctx);
    expectSameDType(b, 1, a, ctx);
    const d = a.dtype;
    if (isFloatDType(d)) {
      const r = roundFor(d);
      return [zip([a, b], d, ctx, (x) => r(spec.float(x[0] as number, x[1] as number)))];
    }
    if (d === 'int64') {
      const f = spec.big!;
      return [
        zip([a, b], d, ctx, (x) => BigInt.asIntN(64, f(x[0] as bigint, x[1] as bigint, ctx))),
      ];
    }
    const f = spec.int!;
    return [zip([a, b], d, ctx, (x) => f(x[0] as number, x[1] as number, ctx))];
  };
}

function divByZero(ctx: KernelContext): never {
  fail('unsupported', ['integer division by zero'], at(ctx));
}

/** Pow: the exponent may have another numeric dtype; the result has the base's dtype. */
const pow: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 2);
  const a = req(inputs, 0, ctx);
  const b = req(inputs, 1, ctx);
  expectDType(a, 0, NUMERIC, ctx);
  expectDType(b, 1, NUMERIC, ctx);
  const r = isFloatDType(a.dtype) ? roundFor(a.dtype) : Math.trunc;
  const out = zip([a, b], a.dtype, ctx, (x) => {
    const v = r(Math.pow(Number(x[0]), Number(x[1])));
    return a.dtype === 'int64' ? BigInt(v) : v;
  });
  return [out];
};

/** Variadic Min/Max with broadcasting (NaN propagates like numpy's minimum/maximum). */
function minMax(pick: (a: Elem, b: Elem) => boolean): Kernel {
  return (inputs, ctx) => {
    if (inputs.length < 1) fail('badInputCount', ['at least 1', 0], at(ctx));
    const ts = inputs.map((_, i) => req(inputs, i, ctx));
    expectDType(ts[0], 0, NUMERIC, ctx);
    ts.forEach((t, i) => {
      expectSameDType(t, i, ts[0], ctx);
    });
    return [
      zip(ts, ts[0].dtype, ctx, (xs) => {
        let m = xs[0];
        for (let k = 1; k < xs.length; k++) {
          const v = xs[k];
          if (typeof v === 'number' && Number.isNaN(v)) return NaN;
          if (pick(v, m)) m = v;
        }
        return m;
      }),
    ];
  };
}

function compare(fn: (a: Elem, b: Elem) => boolean): Kernel {
  return (inputs, ctx) => {
    checkInputs(inputs, ctx, 2);
    const a = req(inputs, 0, ctx);
    const b = req(inputs, 1, ctx);
    expectDType(a, 0, [...NUMERIC, 'bool'], ctx);
    expectSameDType(b, 1, a, ctx);
    return [zip([a, b], 'bool', ctx, (x) => (fn(x[0], x[1]) ? 1 : 0))];
  };
}

const where: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 3);
  const c = req(inputs, 0, ctx);
  const x = req(inputs, 1, ctx);
  const y = req(inputs, 2, ctx);
  expectDType(c, 0, ['bool'], ctx);
  expectSameDType(y, 2, x, ctx);
  return [zip([c, x, y], x.dtype, ctx, (v) => (v[0] !== 0 ? v[1] : v[2]))];
};

const not: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  expectDType(x, 0, ['bool'], ctx);
  return [zip([x], 'bool', ctx, (v) => (v[0] === 0 ? 1 : 0))];
};

/** A float unary op: the double result rounded once (Abs/Neg also accept integers, which they keep exact). */
export function unary(
  fn: (x: number) => number,
  ints?: { int: (x: number) => number; big: (x: bigint) => bigint },
): Kernel {
  return (inputs, ctx) => {
    checkInputs(inputs, ctx, 1);
    const x = req(inputs, 0, ctx);
    expectDType(x, 0, ints === undefined ? FLOAT_DTYPES : NUMERIC, ctx);
    if (isFloatDType(x.dtype)) {
      const r = roundFor(x.dtype);
      return [zip([x], x.dtype, ctx, (v) => r(fn(v[0] as number)))];
    }
    if (x.dtype === 'int64')
      return [zip([x], x.dtype, ctx, (v) => BigInt.asIntN(64, ints!.big(v[0] as bigint)))];
    return [zip([x], x.dtype, ctx, (v) => ints!.int(v[0] as number))];
  };
}

/** Round half to even (ONNX Round, numpy.round). */
export function roundHalfEven(x: number): number {
  const fl = Math.floor(x);
  const diff = x - fl;
  if (diff < 0.5) return fl;
  if (diff > 0.5) return fl + 1;
  return fl % 2 === 0 ? fl : fl + 1;
}

const bigAbs = (x: bigint): bigint => (x < 0n ? -x : x);

export const ELEMENTWISE_KERNELS: Record<string, Kernel> = {
  Add: arith({ float: (a, b) => a + b, int: (a, b) => a + b, big: (a, b) => a + b }),
  Sub: arith({ float: (a, b) => a - b, int: (a, b) => a - b, big: (a, b) => a - b }),
  Mul: arith({ float: (a, b) => a * b, int: (a, b) => Math.imul(a, b), big: (a, b) => a * b }),
  Div: arith({
    float: (a, b) => a / b,
    // C semantics: truncate toward zero (BigInt division already does)
    int: (a, b, ctx) => (b === 0 ? divByZero(ctx) : Math.trunc(a / b)),
    big: (a, b, ctx) => (b === 0n ? divByZero(ctx) : a / b),
  }),
  Pow: pow,
  Min: minMax((a, b) => a < b),
  Max: minMax((a, b) => a > b),
  Equal: compare((a, b) => a === b),
  Less: compare((a, b) => a < b),
  Greater: compare((a, b) => a > b),
  LessOrEqual: compare((a, b) => a <= b),
  GreaterOrEqual: compare((a, b) => a >= b),
  Where: where,
  Not: not,
  Sqrt: unary(Math.sqrt),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Erf: unary(erf),
  Neg: unary((x) => -x, { int: (x) => -x, big: (x) => -x }),
  Abs: unary(Math.abs, { int: Math.abs, big: bigAbs }),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Reciprocal: unary((x) => 1 / x),
  Round: unary(roundHalfEven),
};
