// The ten calibration methods (five range methods, each symmetric or asymmetric) and the per-tensor range table.

import { ENTROPY } from './entropy.js';
import { rangeWith, type MethodName, type MethodOptions, type RangeMethod } from './method.js';
import { MIN_MAX } from './minmax.js';
import { MSE } from './mse.js';
import { PERCENTILE } from './percentile.js';
import { SQNR } from './sqnr.js';
import type { CalibrationStats, TensorStats } from './stats.js';

export const RANGE_METHODS: Readonly<Record<MethodName, RangeMethod>> = {
  minmax: MIN_MAX,
  entropy: ENTROPY,
  percentile: PERCENTILE,
  mse: MSE,
  sqnr: SQNR,
};

/** Furiosa's CalibrationMethod names (values 0..9 in this order). */
export const CALIBRATION_METHODS = [
  { name: 'MIN_MAX_ASYM', method: 'minmax', symmetric: false },
  { name: 'MIN_MAX_SYM', method: 'minmax', symmetric: true },
  { name: 'ENTROPY_ASYM', method: 'entropy', symmetric: false },
  { name: 'ENTROPY_SYM', method: 'entropy', symmetric: true },
  { name: 'PERCENTILE_ASYM', method: 'percentile', symmetric: false },
  { name: 'PERCENTILE_SYM', method: 'percentile', symmetric: true },
  { name: 'MSE_ASYM', method: 'mse', symmetric: false },
  { name: 'MSE_SYM', method: 'mse', symmetric: true },
  { name: 'SQNR_ASYM', method: 'sqnr', symmetric: false },
  { name: 'SQNR_SYM', method: 'sqnr', symmetric: true },
] as const satisfies readonly { name: string; method: MethodName; symmetric: boolean }[];

export const DEFAULT_PERCENTILE = 99.99;

export function tensorRange(
  method: MethodName,
  st: TensorStats,
  opts: MethodOptions,
): [number, number] {
  return rangeWith(RANGE_METHODS[method], st, opts);
}

/** Range of every calibrated tensor. */
export function computeRanges(
  stats: CalibrationStats,
  method: MethodName,
  opts: Partial<MethodOptions> = {},
): Map<string, [number, number]> {
  const o: MethodOptions = {
    symmetric: opts.symmetric ?? false,
    percentile: opts.percentile ?? DEFAULT_PERCENTILE,
  };
  const out = new Map<string, [number, number]>();
  for (const [name, st] of stats.tensors) out.set(name, tensorRange(method, st, o));
  return out;
}
