// Histogram bins for the quantization plots: aligned to a tensor's int grid, or uniform; and counting into them.

import type { BinGrid } from './svg-histogram.js';

/** Bins plus the rule that places a value (so grid bins can compute in code units, away from rounding). */
export interface Bins extends BinGrid {
  index(x: number): number;
}

/**
 * Bins that each hold `m` whole integer codes of the grid x = (q − zp)·scale: bin edges sit at half codes, so
 * every dequantized value lies inside a bin and never on an edge. `m` is the smallest width for which
 * [lo, hi] fits in `maxBins` bins.
 */
export function gridBins(
  lo: number,
  hi: number,
  scale: number,
  zeroPoint: number,
  qmin: number,
  maxBins: number,
): Bins & { codesPerBin: number } {
  const base = qmin - 0.5;
  const codeOf = (x: number): number => x / scale + zeroPoint - base;
  const cLo = codeOf(Math.min(lo, hi));
  const cHi = codeOf(Math.max(lo, hi));
  let m = Math.max(1, Math.ceil((cHi - cLo) / maxBins));
  let j0 = Math.floor(cLo / m);
  let j1 = Math.floor(cHi / m) + 1;
  while (j1 - j0 > maxBins) {
    m++;
    j0 = Math.floor(cLo / m);
    j1 = Math.floor(cHi / m) + 1;
  }
  const count = j1 - j0;
  return {
    start: (base + j0 * m - zeroPoint) * scale,
    width: m * scale,
    count,
    codesPerBin: m,
    index: (x) => clampIndex(Math.floor(codeOf(x) / m) - j0, count),
  };
}

/** `count` equal bins over [lo, hi] (a single value gets a unit-wide range around it). */
export function uniformBins(lo: number, hi: number, count: number): Bins {
  const a = Math.min(lo, hi);
  const b = Math.max(lo, hi);
  const [s, e] = b > a ? [a, b] : [a - 0.5, a + 0.5];
  const width = (e - s) / count;
  return { start: s, width, count, index: (x) => clampIndex(Math.floor((x - s) / width), count) };
}

const clampIndex = (i: number, count: number): number =>
  Number.isNaN(i) ? 0 : Math.min(count - 1, Math.max(0, i));

/** Adds every value of `data` to `counts` (NaN and values outside go to the end bins). */
export function addToHistogram(counts: number[], bins: Bins, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) counts[bins.index(data[i])]++;
}
