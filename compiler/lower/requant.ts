// Requantization tables of the MAC epilogue, from the reference's own formulas (reference/quant/requant.ts).

import { quantizeMultiplier } from '../../reference/quant/gemmlowp.js';
import { fixedRealMultipliers, floatMultipliers } from '../../reference/quant/requant.js';
import type { Epilogue, RequantTable } from '../ir.js';

/**
 * One multiplier per output channel: float mode fround(fround(x·w[c]) [·alpha] / y) (what the hardware multiplies
 * fround(acc) by); fixed mode QuantizeMultiplier(double(x)·double(w[c]) [·alpha] / double(y)) as (M, shift).
 */
export function requantTable(
  mode: 'float' | 'fixed',
  scales: { x: number; w: ArrayLike<number>; y: number; alpha?: number },
  channels: number,
): Pick<Epilogue, 'requant' | 'realMultiplier'> {
  const w = Float32Array.from(
    { length: channels },
    (_, c) => scales.w[scales.w.length === 1 ? 0 : c],
  );
  const s = {
    x: scales.x,
    w,
    y: scales.y,
    ...(scales.alpha !== undefined ? { alpha: scales.alpha } : {}),
  };
  if (mode === 'float') {
    const multiplier = floatMultipliers(s);
    return { requant: { mode, multiplier }, realMultiplier: Float64Array.from(multiplier) };
  }
  const real = fixedRealMultipliers(s);
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const q = quantizeMultiplier(real[c]);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  }
  const requant: RequantTable = { mode, multiplier, shift };
  return { requant, realMultiplier: real };
}
