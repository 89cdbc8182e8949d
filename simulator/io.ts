// Program inputs and outputs: QuantizeLinear of float32 inputs, pass-through of integers, dequantized or raw outputs.
import { fail } from '../common/diagnostics.js';
import { shapeStr, sizeOf, zeros, type Tensor } from '../common/tensor.js';
import type { IoDescriptor, IoDType } from '../isa/program-file.js';
import { dequantizeValue, quantizeValue } from '../reference/quant/lut.js';
import { Q_RANGE } from '../reference/quant/requant.js';

const BYTES: Record<IoDType, number> = { int8: 1, uint8: 1, int32: 4, float32: 4 };
export const ioBytes = (d: IoDescriptor): number => sizeOf(d.shape) * BYTES[d.dtype];

/** How many inferences an input asks for: 1 for the descriptor's shape, N for a leading dim of N x batch. */
export function batchesOf(d: IoDescriptor, t: Tensor): number {
  const same = (a: readonly number[], b: readonly number[]): boolean =>
    a.length === b.length && a.every((x, k) => x === b[k]);
  if (same(t.shape, d.shape)) return 1;
  const b0 = d.shape[0];
  if (
    d.shape.length > 0 &&
    b0 > 0 &&
    t.shape.length === d.shape.length &&
    t.shape[0] % b0 === 0 &&
    same(t.shape.slice(1), d.shape.slice(1))
  )
    return t.shape[0] / b0;
  return fail('simInput', [
    d.name,
    `shape ${shapeStr(t.shape)} is neither ${shapeStr(d.shape)} nor N x it on axis 0`,
  ]);
}

/** The bytes of inference `k` of input tensor t as the descriptor stores them. */
export function inputBytes(d: IoDescriptor, t: Tensor, k: number): Uint8Array {
  const n = sizeOf(d.shape);
  const out = new Uint8Array(ioBytes(d));
  const view = new DataView(out.buffer);
  const src = t.data;
  const at = (i: number): number => Number(src[k * n + i]);
  if (d.dtype === 'int8' || d.dtype === 'uint8') {
    const [lo, hi] = Q_RANGE[d.dtype];
    if (t.dtype === 'float32' || t.dtype === 'float16' || t.dtype === 'float64') {
      const scale = Math.fround(d.scale);
      for (let i = 0; i < n; i++)
        out[i] = quantizeValue(Math.fround(at(i)), scale, d.zeroPoint, lo, hi) & 0xff;
    } else if (t.dtype === d.dtype) for (let i = 0; i < n; i++) out[i] = at(i) & 0xff;
    else
      fail('simInput', [
        d.name,
        `dtype ${t.dtype} is neither float32 nor the program's ${d.dtype}`,
      ]);
  } else if (d.dtype === 'int32') {
    if (t.dtype !== 'int32')
      fail('simInput', [d.name, `dtype ${t.dtype}; the program expects int32`]);
    for (let i = 0; i < n; i++) view.setInt32(4 * i, at(i), true);
  } else {
    if (t.dtype !== 'float32')
      fail('simInput', [d.name, `dtype ${t.dtype}; the program expects float32`]);
    for (let i = 0; i < n; i++) view.setFloat32(4 * i, at(i), true);
  }
  return out;
}

/** Reads an output from DRAM: raw integers of its dtype, or DequantizeLinear to float32. */
export function readOutput(d: IoDescriptor, dram: Uint8Array, raw: boolean): Tensor {
  const n = sizeOf(d.shape);
  const bytes = dram.subarray(d.dramAddr, d.dramAddr + ioBytes(d));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (d.dtype === 'float32') {
    const t = zeros('float32', d.shape);
    for (let i = 0; i < n; i++) t.data[i] = view.getFloat32(4 * i, true);
    return t;
  }
  const ints = zeros(d.dtype, d.shape);
  for (let i = 0; i < n; i++)
    ints.data[i] =
      d.dtype === 'int8'
        ? view.getInt8(i)
        : d.dtype === 'uint8'
          ? view.getUint8(i)
          : view.getInt32(4 * i, true);
  if (raw) return ints;
  const f = zeros('float32', d.shape);
  const scale = Math.fround(d.scale);
  for (let i = 0; i < n; i++) f.data[i] = dequantizeValue(ints.data[i], scale, d.zeroPoint);
  return f;
}

/** Stacks per-inference outputs along axis 0. */
export function stack(parts: readonly Tensor[]): Tensor {
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  const out = zeros(first.dtype, [first.shape[0] * parts.length, ...first.shape.slice(1)]);
  parts.forEach((p, k) => {
    (out.data as Float32Array).set(p.data as Float32Array, k * p.data.length);
  });
  return out;
}
