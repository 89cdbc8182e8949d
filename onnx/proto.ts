// The one place that imports the generated ONNX protobuf classes (onnx-proto is CommonJS: default import only).

import onnxProto from 'onnx-proto';
import type { onnx as P } from 'onnx-proto';

export const onnx = onnxProto.onnx;

/** The message types, under the same name as the value (a type-only namespace merges with the const). */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace onnx {
  export type ITensorProto = P.ITensorProto;
  export type TensorProto = P.TensorProto;
  export type IModelProto = P.IModelProto;
  export type ModelProto = P.ModelProto;
  export type IGraphProto = P.IGraphProto;
  export type INodeProto = P.INodeProto;
  export type IAttributeProto = P.IAttributeProto;
  export type IValueInfoProto = P.IValueInfoProto;
  export type ITypeProto = P.ITypeProto;
  export type ITensorShapeProto = P.ITensorShapeProto;
  export type IOperatorSetIdProto = P.IOperatorSetIdProto;
  export type AttributeType = P.AttributeProto.AttributeType;
  export type DataLocation = P.TensorProto.DataLocation;
}

/**
 * An int64 field as protobufjs gives it: a number, or a Long when the `long` package is present. The helpers
 * take `unknown` because onnx-proto's typings name a `Long` type that does not resolve here.
 */
export type LongLike = number | { low: number; high: number; unsigned?: boolean };

/** Exact for |v| <= 2^53; shapes, axes and attribute ints never get near that. */
export function longToNumber(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number') return value;
  const v = value as LongLike & object;
  return v.high * 0x100000000 + (v.low >>> 0);
}

/** Full 64-bit value (int64 tensor data). */
export function longToBigInt(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  const v = value as LongLike & object;
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned === true ? u : BigInt.asIntN(64, u);
}
