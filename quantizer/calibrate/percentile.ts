// PERCENTILE: the range holding p % of the values (onnxruntime's HistogramCalibrater percentile rule).

import type { RangeMethod, Side } from './method.js';

/** Upper edge of the first bin at which the cumulative share reaches p. */
function upperEdgeAt(counts: Float64Array, share: number): number {
  let total = 0;
  for (const c of counts) total += c;
  let acc = 0;
  for (let j = 0; j < counts.length; j++) {
    acc += counts[j];
    if (acc >= share * total) return j + 1;
  }
  return counts.length;
}

export const PERCENTILE: RangeMethod = {
  threshold(side: Side, _levels, opts) {
    return Math.min(upperEdgeAt(side.counts, opts.percentile / 100) * side.width, side.maxAbs);
  },
  // cut (100 - p) / 2 % from each end of the signed histogram
  asymmetric(st, opts) {
    const h = st.signed;
    const cut = (100 - opts.percentile) / 200;
    const lowBins = upperEdgeAt(h.counts, cut) - 1; // lower edge of the bin reaching the low cut
    const rev = h.counts.slice().reverse();
    const highBins = h.counts.length - (upperEdgeAt(rev, cut) - 1);
    return [Math.max(h.edge(lowBins), st.min), Math.min(h.edge(highBins), st.max)];
  },
};
