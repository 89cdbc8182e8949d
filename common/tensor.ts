// The one tensor type shared by ONNX I/O, .npy I/O, the reference interpreter, runtime and simulator.

export type DType =
  'float32' | 'float16' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

/** Storage per dtype. float16 is widened to float32 on load (values exact); int64 keeps full range as bigint. */
export interface DataOf {
  float32: Float32Array;
  float16: Float32Array;
  float64: Float64Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  bool: Uint8Array;
}

export type TensorData = DataOf[DType];

export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DataOf[D];
}

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  float16: 2,
  float64: 8,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
};

/** Saturation range of each integer dtype (used by QuantizeLinear, requantization, casts). */
export const INT_RANGE = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
} as const;

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocData<D extends DType>(dtype: D, n: number): DataOf[D] {
  switch (dtype) {
    case 'float32':
    case 'float16':
      return new Float32Array(n) as DataOf[D];
    case 'float64':
      return new Float64Array(n) as DataOf[D];
    case 'int8':
      return new Int8Array(n) as DataOf[D];
    case 'uint8':
    case 'bool':
      return new Uint8Array(n) as DataOf[D];
    case 'int16':
      return new Int16Array(n) as DataOf[D];
    case 'int32':
      return new Int32Array(n) as DataOf[D];
    case 'int64':
      return new BigInt64Array(n) as DataOf[D];
  }
}

export function zeros<D extends DType>(dtype: D, shape: readonly number[]): Tensor<D> {
  return { dtype, shape: [...shape], data: allocData(dtype, sizeOf(shape)) };
}

export function tensor<D extends DType>(
  dtype: D,
  shape: readonly number[],
  values: ArrayLike<number> | readonly bigint[],
): Tensor<D> {
  const n = sizeOf(shape);
  if (values.length !== n) {
    throw new Error(`tensor of shape [${shape.join(',')}] needs ${n} values, got ${values.length}`);
  }
  const data = allocData(dtype, n);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) data[i] = BigInt(values[i]);
  } else {
    for (let i = 0; i < n; i++) (data as Float64Array)[i] = Number(values[i]);
  }
  return { dtype, shape: [...shape], data };
}

export const isIntegerDType = (d: DType): boolean =>
  d === 'int8' || d === 'uint8' || d === 'int16' || d === 'int32' || d === 'int64' || d === 'bool';

/** Values as plain numbers (int64 converted; beyond ±2^53 they lose precision, fine for shapes and indices). */
export function toNumbers(t: Tensor): number[] {
  const out: number[] = new Array<number>(t.data.length);
  for (let i = 0; i < t.data.length; i++) out[i] = Number(t.data[i]);
  return out;
}

/** Row-major strides for a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

export const shapeStr = (shape: readonly number[]): string => `[${shape.join(',')}]`;
