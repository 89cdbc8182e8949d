// TensorProto <-> Tensor: every dtype the toolchain handles, from raw_data or the typed repeated fields.

import { endianness } from 'node:os';
import type { DType, Tensor } from '../common/tensor.js';
import { DTYPE_BYTES, allocData, sizeOf } from '../common/tensor.js';
import { NpuError, fail } from '../common/diagnostics.js';
import { onnx, longToBigInt, longToNumber } from './proto.js';
import type { LongLike } from './proto.js';
import { float32ToHalfBits, halfBitsToFloat32 } from '../common/half.js';

// raw_data and typed-array views share byte order only on a little-endian host
if (endianness() !== 'LE') throw new Error('a little-endian host is required');

/** ONNX TensorProto.DataType numbers of the dtypes we handle. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int16: 5,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

const FROM_ONNX = new Map<number, DType>(
  Object.entries(ONNX_DTYPE).map(([k, v]) => [v, k as DType]),
);

const ONNX_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  4: 'UINT16',
  8: 'STRING',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
};

/** The DType of an ONNX element type, or undefined if the toolchain does not handle it. */
export const dtypeFromOnnx = (t: number): DType | undefined => FROM_ONNX.get(t);

export const onnxTypeName = (t: number): string => ONNX_TYPE_NAMES[t] ?? String(t);

function fromRaw(dtype: DType, raw: Uint8Array, n: number, name: string): Tensor['data'] {
  const width = dtype === 'float16' ? 2 : DTYPE_BYTES[dtype];
  if (raw.byteLength !== n * width) {
    fail('badTensorData', [
      name,
      `raw_data has ${raw.byteLength} bytes; ${n} elements of ${dtype} need ${n * width}`,
    ]);
  }
  // copy: the bytes are a view into the file buffer and may be unaligned for the typed array
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const buf = copy.buffer;
  switch (dtype) {
    case 'float32':
      return new Float32Array(buf);
    case 'float16': {
      const bits = new Uint16Array(buf);
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfBitsToFloat32(bits[i]);
      return out;
    }
    case 'float64':
      return new Float64Array(buf);
    case 'int8':
      return new Int8Array(buf);
    case 'uint8':
      return copy;
    case 'bool': {
      for (let i = 0; i < n; i++) copy[i] = copy[i] !== 0 ? 1 : 0;
      return copy;
    }
    case 'int16':
      return new Int16Array(buf);
    case 'int32':
      return new Int32Array(buf);
    case 'int64':
      return new BigInt64Array(buf);
  }
}

function fromFields(dtype: DType, p: onnx.ITensorProto, n: number, name: string): Tensor['data'] {
  const data = allocData(dtype, n);
  let src: ArrayLike<number> | readonly LongLike[];
  if (dtype === 'float32') src = p.floatData ?? [];
  else if (dtype === 'float64') src = p.doubleData ?? [];
  else if (dtype === 'int64') src = p.int64Data ?? [];
  else src = p.int32Data ?? []; // int8, uint8, int16, int32, bool and float16 (as half bits) live in int32_data
  if (src.length !== n) {
    fail('badTensorData', [name, `has ${src.length} values; its shape needs ${n}`]);
  }
  if (dtype === 'int64') {
    const out = data as BigInt64Array;
    const s = src as readonly LongLike[];
    for (let i = 0; i < n; i++) out[i] = longToBigInt(s[i]);
  } else if (dtype === 'float16') {
    const s = src as ArrayLike<number>;
    for (let i = 0; i < n; i++) (data as Float32Array)[i] = halfBitsToFloat32(s[i] & 0xffff);
  } else if (dtype === 'bool') {
    const s = src as ArrayLike<number>;
    for (let i = 0; i < n; i++) (data as Uint8Array)[i] = s[i] !== 0 ? 1 : 0;
  } else {
    const s = src as ArrayLike<number>;
    const out = data as Float64Array; // typed arrays convert (and wrap) on store
    for (let i = 0; i < n; i++) out[i] = s[i]!;
  }
  return data;
}

/** Decodes a TensorProto. `name` overrides p.name in error messages. */
export function tensorFromProto(p: onnx.ITensorProto, name?: string): Tensor {
  const tname = name ?? p.name ?? '';
  const elem = p.dataType ?? 0;
  const dtype = dtypeFromOnnx(elem);
  if (dtype === undefined) fail('unsupportedTensorType', [tname, onnxTypeName(elem)]);
  if (
    p.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL ||
    (p.externalData?.length ?? 0) > 0
  ) {
    fail('badTensorData', [tname, 'external data (a separate weights file) is not supported']);
  }
  if (p.segment !== null && p.segment !== undefined) {
    fail('badTensorData', [tname, 'segmented tensors are not supported']);
  }
  const shape = (p.dims ?? []).map((d) => longToNumber(d));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    fail('badTensorData', [tname, `invalid dims [${shape.join(',')}]`]);
  }
  const n = sizeOf(shape);
  const raw = p.rawData;
  const data =
    raw !== null && raw !== undefined && raw.byteLength > 0
      ? fromRaw(dtype, raw, n, tname)
      : fromFields(dtype, p, n, tname);
  return { dtype, shape, data };
}

function rawBytes(t: Tensor): Uint8Array {
  if (t.dtype === 'float16') {
    const bits = new Uint16Array(t.data.length);
    const src = t.data as Float32Array;
    for (let i = 0; i < bits.length; i++) bits[i] = float32ToHalfBits(src[i]);
    return new Uint8Array(bits.buffer);
  }
  const d = t.data;
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** Encodes a Tensor as a TensorProto with raw_data (little-endian; float16 as half bits). */
export function tensorToProto(name: string, t: Tensor): onnx.ITensorProto {
  if (t.data.length !== sizeOf(t.shape)) {
    throw new Error(
      `tensor '${name}' has ${t.data.length} values for shape [${t.shape.join(',')}]`,
    );
  }
  return { name, dims: [...t.shape], dataType: ONNX_DTYPE[t.dtype], rawData: rawBytes(t) };
}

/** Reads a serialized TensorProto (the conformance tests' input_N.pb / output_N.pb). */
export function decodeTensorProtoFile(
  bytes: Uint8Array,
  file?: string,
): { name: string; tensor: Tensor } {
  let p: onnx.TensorProto;
  try {
    p = onnx.TensorProto.decode(bytes);
  } catch (e) {
    fail(
      'badTensorData',
      [file ?? '<bytes>', `not a serialized TensorProto (${(e as Error).message})`],
      { file },
    );
  }
  try {
    return { name: p.name, tensor: tensorFromProto(p, p.name !== '' ? p.name : file) };
  } catch (e) {
    if (e instanceof NpuError && file !== undefined) e.at({ file });
    throw e;
  }
}
