// MSE: the range minimising the mean squared quantization error over the histogram.

import type { Histogram } from './histogram.js';
import type { RangeMethod, Side } from './method.js';
import type { TensorStats } from './stats.js';
import { gridNoise, rhe } from './noise.js';

const START_BIN = 128;

/**
 * One side (pytorch-quantization _compute_amax_mse): for each bin centre from bin 128 on as the threshold, fake
 * quantize every bin centre with `levels` steps above zero and sum count · error²; the first minimum wins.
 */
export function mseThreshold(side: Side, levels: number): number {
  const { counts, width } = side;
  const n = counts.length;
  if (n <= START_BIN || width === 0) return side.maxAbs;
  const top = levels === 256 ? 255 : 127; // largest code above zero
  let best = Infinity;
  let bestT = side.maxAbs;
  for (let i = START_BIN; i < n; i++) {
    const amax = (i + 0.5) * width;
    const scale = top / amax;
    let err = 0;
    for (let j = 0; j < n; j++) {
      if (counts[j] === 0) continue;
      const x = (j + 0.5) * width;
      const q = Math.min(rhe(x * scale), top) / scale;
      err += counts[j] * (q - x) * (q - x);
    }
    if (err < best) {
      best = err;
      bestT = amax;
    }
  }
  return Math.min(bestT, side.maxAbs);
}

/** The 255-step grid [lo, hi] as (delta, offset) with a zero point on an integer code (as compute_scale_zp rounds it). */
function gridOf(lo: number, hi: number): { delta: number; offset: number } {
  const delta = (hi - lo) / 255;
  return { delta, offset: rhe(lo / delta) };
}

/**
 * Both sides: a coarse 64 x 64 grid of (lo, hi) fractions of the observed (min, max), then a 33 x 33 grid around
 * the best cell at 1/16 of its spacing; each candidate scored by the histogram MSE of its int8 grid.
 */
export function mseAsymmetric(h: Histogram, min: number, max: number): [number, number] {
  const score = (lo: number, hi: number): number => {
    const g = gridOf(lo, hi);
    return gridNoise(h, g.delta, g.offset, 255, 1);
  };
  const G = 64;
  let best = Infinity;
  let bestA = G;
  let bestB = G;
  for (let a = 1; a <= G; a++) {
    for (let b = 1; b <= G; b++) {
      const s = score((min * b) / G, (max * a) / G);
      if (s < best) [best, bestA, bestB] = [s, a, b];
    }
  }
  let lo = (min * bestB) / G;
  let hi = (max * bestA) / G;
  const fine = 16;
  const [cA, cB] = [bestA, bestB];
  for (let da = -fine; da <= fine; da++) {
    for (let db = -fine; db <= fine; db++) {
      const a = cA + da / fine;
      const b = cB + db / fine;
      if (a <= 0 || b <= 0 || a > G || b > G) continue;
      const s = score((min * b) / G, (max * a) / G);
      if (s < best) [best, lo, hi] = [s, (min * b) / G, (max * a) / G];
    }
  }
  return [lo, hi];
}

export const MSE: RangeMethod = {
  threshold: (side, levels) => mseThreshold(side, levels),
  asymmetric: (st: TensorStats) => mseAsymmetric(st.signed, st.min, st.max),
};
