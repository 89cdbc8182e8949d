// ENTROPY: TensorRT-style KL-divergence threshold search (NVIDIA pytorch-quantization _compute_amax_entropy).

import type { RangeMethod, Side } from './method.js';
import type { TensorStats } from './stats.js';

const START_BIN = 128;

/**
 * For each candidate i (bins kept, START_BIN..n): P = the first i bins with the outliers added to the last;
 * Q = those bins merged into `levels` groups and spread back evenly over each group's non-empty bins. The threshold
 * is the upper edge of the last i with the smallest KL(P || Q). Bin 0 is replaced by bin 1 first, so a spike of
 * exact zeros (ReLU) does not dominate.
 */
export function entropyThreshold(side: Side, levels: number): number {
  const n = side.counts.length;
  if (n <= START_BIN || side.width === 0) return side.maxAbs;
  const bins = side.counts.slice();
  bins[0] = bins[1];
  const suffix = new Float64Array(n + 1);
  for (let j = n - 1; j >= 0; j--) suffix[j] = suffix[j + 1] + bins[j];
  let best = Infinity;
  let bestI = n;
  const sums = new Float64Array(levels);
  const nonEmpty = new Float64Array(levels);
  const total = suffix[0];
  for (let i = START_BIN; i <= n; i++) {
    sums.fill(0);
    nonEmpty.fill(0);
    const group = (j: number): number => Math.min(Math.floor((j * levels) / i), levels - 1);
    for (let j = 0; j < i; j++) {
      if (bins[j] === 0) continue;
      const k = group(j);
      sums[k] += bins[j];
      nonEmpty[k]++;
    }
    // KL(P || Q) of the normalised vectors (scipy.stats.entropy); P sums to the total, Q to the first i bins
    const sumQ = total - suffix[i];
    let d = 0;
    for (let j = 0; j < i && d !== Infinity; j++) {
      const pj = j === i - 1 ? bins[j] + suffix[i] : bins[j];
      if (pj === 0) continue;
      const qj = bins[j] === 0 ? 0 : sums[group(j)] / nonEmpty[group(j)];
      if (qj === 0) d = Infinity;
      else d += (pj / total) * Math.log(pj / total / (qj / sumQ));
    }
    if (d <= best) {
      best = d;
      bestI = i;
    }
  }
  return Math.min(bestI * side.width, side.maxAbs);
}

function sides(st: TensorStats): { neg: Side; pos: Side } {
  const h = st.signed;
  return {
    neg: { counts: h.negativeSide(), width: h.width, maxAbs: -st.min },
    pos: { counts: h.positiveSide(), width: h.width, maxAbs: st.max },
  };
}

export const ENTROPY: RangeMethod = {
  threshold: (side, levels) => entropyThreshold(side, levels),
  // each side of zero searched on its own, with half of the int8 levels
  asymmetric(st: TensorStats) {
    const { neg, pos } = sides(st);
    return [-entropyThreshold(neg, 128), entropyThreshold(pos, 128)];
  },
};
