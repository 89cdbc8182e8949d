// Constant, ConstantOfShape, Range and Cast.

import type { DType, Tensor } from '../../../common/tensor.js';
import { allocData, sizeOf } from '../../../common/tensor.js';
import { fail } from '../../../common/diagnostics.js';
import { attrInt, attrTensor } from '../../../onnx/graph.js';
import { dtypeFromOnnx, onnxTypeName } from '../../../onnx/tensor-proto.js';
import type { Kernel } from '../../kernel.js';
import type { Elem } from './util.js';
import {
  at,
  attrError,
  checkInputs,
  expectDType,
  intList,
  isFloatDType,
  req,
  roundFor,
  scalarValue,
} from './util.js';

const constant: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 0);
  const attrs = ctx.node.attrs;
  const names = Object.keys(attrs);
  if (names.length !== 1)
    attrError(ctx, 'value', `Constant needs exactly one value attribute, got [${names.join(',')}]`);
  const a = attrs[names[0]];
  switch (names[0]) {
    case 'value':
      if (a.type === 'tensor') return [a.value];
      break;
    case 'value_float':
      if (a.type === 'float')
        return [{ dtype: 'float32', shape: [], data: Float32Array.of(a.value) }];
      break;
    case 'value_floats':
      if (a.type === 'floats')
        return [{ dtype: 'float32', shape: [a.value.length], data: Float32Array.from(a.value) }];
      break;
    case 'value_int':
      if (a.type === 'int')
        return [{ dtype: 'int64', shape: [], data: BigInt64Array.of(BigInt(a.value)) }];
      break;
    case 'value_ints':
      if (a.type === 'ints')
        return [
          {
            dtype: 'int64',
            shape: [a.value.length],
            data: BigInt64Array.from(a.value, (v) => BigInt(v)),
          },
        ];
      break;
    default:
      return fail('unsupported', [`Constant with attribute '${names[0]}'`], at(ctx));
  }
  return attrError(ctx, names[0], `unexpected type ${a.type}`);
};

const constantOfShape: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const shape = intList(req(inputs, 0, ctx), 0, ctx);
  if (shape.some((d) => d < 0)) attrError(ctx, 'input', `negative dim in [${shape.join(',')}]`);
  const value: Tensor = attrTensor(ctx.node, 'value') ?? {
    dtype: 'float32',
    shape: [1],
    data: new Float32Array(1),
  };
  if (value.data.length !== 1) attrError(ctx, 'value', 'must hold exactly one element');
  const data = allocData(value.dtype, sizeOf(shape));
  (data as unknown as { fill: (v: Elem) => void }).fill(value.data[0]);
  return [{ dtype: value.dtype, shape, data }];
};

const NUMERIC: readonly DType[] = [
  'float32',
  'float16',
  'float64',
  'int8',
  'uint8',
  'int16',
  'int32',
  'int64',
];

const range: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 3);
  const [s, l, d] = [0, 1, 2].map((i) => req(inputs, i, ctx)) as [Tensor, Tensor, Tensor];
  expectDType(s, 0, NUMERIC, ctx);
  [l, d].forEach((t, i) => {
    expectDType(t, i + 1, [s.dtype], ctx);
  });
  const start = scalarValue(s, 0, ctx);
  const limit = scalarValue(l, 1, ctx);
  const delta = scalarValue(d, 2, ctx);
  if (delta === 0) attrError(ctx, 'delta', 'must not be 0');
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  const data = allocData(s.dtype, n);
  const r = isFloatDType(s.dtype) ? roundFor(s.dtype) : (v: number) => v;
  // ONNX defines element i as start + i * delta (not a running sum)
  for (let i = 0; i < n; i++) {
    const v = r(start + i * delta);
    if (data instanceof BigInt64Array) data[i] = BigInt(v);
    else data[i] = v;
  }
  return [{ dtype: s.dtype, shape: [n], data }];
};

/** Element conversion for Cast: float -> int truncates toward zero and wraps to the width; -> bool is != 0. */
function converter(to: DType): (v: Elem) => Elem {
  if (to === 'bool')
    return (v) => (v === 0 || v === 0n || (typeof v === 'number' && Number.isNaN(v)) ? 0 : 1);
  if (to === 'int64')
    return (v) =>
      typeof v === 'bigint'
        ? v
        : Number.isFinite(v)
          ? BigInt.asIntN(64, BigInt(Math.trunc(v)))
          : 0n;
  if (isFloatDType(to)) {
    const r = roundFor(to);
    return (v) => r(Number(v));
  }
  // int8..int32: a typed-array store wraps modulo 2^width; bigint goes through its low 32 bits first
  return (v) =>
    typeof v === 'bigint' ? Number(BigInt.asIntN(32, v)) : Number.isFinite(v) ? Math.trunc(v) : 0;
}

const cast: Kernel = (inputs, ctx) => {
  checkInputs(inputs, ctx, 1);
  const x = req(inputs, 0, ctx);
  const code = attrInt(ctx.node, 'to');
  const to = dtypeFromOnnx(code);
  if (to === undefined) fail('unsupported', [`Cast to ${onnxTypeName(code)}`], at(ctx));
  if (to === x.dtype) return [x];
  const conv = converter(to);
  const data = allocData(to, x.data.length);
  const dst = data as unknown as Elem[];
  const src = x.data as unknown as Elem[];
  for (let i = 0; i < dst.length; i++) dst[i] = conv(src[i]);
  return [{ dtype: to, shape: [...x.shape], data }];
};

export const CONSTANT_KERNELS: Record<string, Kernel> = {
  Constant: constant,
  ConstantOfShape: constantOfShape,
  Range: range,
  Cast: cast,
};
