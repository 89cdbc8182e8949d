// 256-entry lookup tables for quantized unary ops: table[code] = Q(f(DQ(code))), float32 arithmetic, RHE.

import { fail } from '../../common/diagnostics.js';
import type { DataOf } from '../../common/tensor.js';
import { Q_RANGE, saturate } from './requant.js';
import { rhe } from './rounding.js';

const f32 = Math.fround;
export type LutInDType = 'int8' | 'uint8';
export type LutOutDType = 'int8' | 'uint8' | 'int16';

/** DequantizeLinear of one value: fround(fround(q - zp) * scale) (scale float32). */
export const dequantizeValue = (q: number, scale: number, zp: number): number =>
  f32(f32(q - zp) * scale);

/** QuantizeLinear of one float32 value: saturate(RHE(fround(x / scale)) + zp) (float32 division). */
export function quantizeValue(
  x: number,
  scale: number,
  zp: number,
  lo: number,
  hi: number,
): number {
  return saturate(rhe(f32(x / scale)) + zp, lo, hi);
}

/** Index of an input code in a table: code - qmin (so int8 -128 is entry 0, uint8 0 is entry 0). */
export const lutIndex = (code: number, inDType: LutInDType): number => code - Q_RANGE[inDType][0];

/**
 * table[lutIndex(v)] = saturate(RHE(fround(fround(f(x)) / outScale)) + outZp) with x = DequantizeLinear(v).
 * f is evaluated in double on the float32 x and its result rounded to float32 (as a float32 kernel would store
 * it). The NPU's LUT instruction and the QDQ unary lowering must produce exactly this table.
 */
export function buildUnaryLut<O extends LutOutDType>(
  f: (x: number) => number,
  inScale: number,
  inZp: number,
  inDType: LutInDType,
  outScale: number,
  outZp: number,
  outDType: O,
): DataOf[O] {
  // callers from untyped paths (graph dtypes) may pass anything; a table has exactly 256 entries
  const eightBit: readonly string[] = ['int8', 'uint8'];
  if (!eightBit.includes(inDType))
    fail('unsupported', [`lookup tables need an 8-bit input, got ${inDType}`]);
  const [lo, hi] = Q_RANGE[outDType];
  const table = (
    outDType === 'int8'
      ? new Int8Array(256)
      : outDType === 'uint8'
        ? new Uint8Array(256)
        : new Int16Array(256)
  ) as DataOf[O];
  const qmin = Q_RANGE[inDType][0];
  for (let i = 0; i < 256; i++) {
    const x = dequantizeValue(qmin + i, inScale, inZp);
    const y = f32(f(x));
    (table as Int16Array)[i] = quantizeValue(y, outScale, outZp, lo, hi);
  }
  return table;
}

/** Applies a table built by buildUnaryLut to 8-bit codes. */
export function applyLut<O extends LutOutDType>(
  table: DataOf[O],
  codes: Int8Array | Uint8Array,
  inDType: LutInDType,
  out: DataOf[O],
): void {
  const qmin = Q_RANGE[inDType][0];
  for (let i = 0; i < codes.length; i++)
    (out as Int16Array)[i] = (table as Int16Array)[codes[i] - qmin]!;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const leakyRelu =
  (alpha: number) =>
  (x: number): number =>
    x >= 0 ? x : f32(f32(alpha) * x);
