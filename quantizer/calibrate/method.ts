// The common interface of the range methods and the case split they share (one-signed, symmetric, asymmetric).

import type { TensorStats } from './stats.js';

export type MethodName = 'minmax' | 'entropy' | 'percentile' | 'mse' | 'sqnr';

export interface MethodOptions {
  symmetric: boolean;
  /** PERCENTILE: the share of values (in %) kept inside the range. */
  percentile: number;
}

/** A histogram of |x| on one side of zero: bin j covers [j*width, (j+1)*width); maxAbs is the largest |x| seen. */
export interface Side {
  counts: Float64Array;
  width: number;
  maxAbs: number;
}

/** A range method: a threshold on one side (int8 levels given) and a two-sided asymmetric search. */
export interface RangeMethod {
  /** Largest |x| kept, for values on one side of zero quantized with `levels` steps. */
  threshold(side: Side, levels: number, opts: MethodOptions): number;
  /** [lo, hi] for a tensor with both signs, asymmetric. */
  asymmetric(st: TensorStats, opts: MethodOptions): [number, number];
  /** Overrides the default symmetric rule ([-T, T] with T = threshold(|x|, 128 levels)). */
  symmetric?(st: TensorStats, opts: MethodOptions): [number, number];
  /** Overrides the default rule for a one-signed tensor ([0, T] with 256 levels). */
  oneSigned?(st: TensorStats, opts: MethodOptions): [number, number];
}

export function absSide(st: TensorStats): Side {
  return {
    counts: st.abs.counts,
    width: st.abs.width,
    maxAbs: Math.max(Math.abs(st.min), Math.abs(st.max)),
  };
}

/**
 * The case split every method shares. A tensor that never changes sign (e.g. after ReLU) gets [0, T] (or [-T, 0])
 * with all 256 int8 levels, in symmetric mode too: symmetric on an all non-negative tensor gives [0, a] (Furiosa's
 * quasi-symmetric). Symmetric mode otherwise gives [-T, T]; asymmetric mode a method-specific [lo, hi].
 */
export function rangeWith(m: RangeMethod, st: TensorStats, opts: MethodOptions): [number, number] {
  if (st.count === 0 || !(st.min <= st.max)) return [0, 0];
  if (st.min === 0 && st.max === 0) return [0, 0];
  let r: [number, number];
  if (st.min >= 0 || st.max <= 0) {
    if (m.oneSigned !== undefined) r = m.oneSigned(st, opts);
    else {
      const t = m.threshold(absSide(st), 256, opts);
      r = st.min >= 0 ? [0, t] : [-t, 0];
    }
  } else if (opts.symmetric) {
    if (m.symmetric !== undefined) r = m.symmetric(st, opts);
    else {
      const t = m.threshold(absSide(st), 128, opts);
      r = [-t, t];
    }
  } else {
    r = m.asymmetric(st, opts);
  }
  // never wider than what was observed (a symmetric range keeps its symmetry)
  if (opts.symmetric && r[0] < 0 && r[1] > 0) return r;
  return [Math.max(r[0], Math.min(st.min, 0)), Math.min(r[1], Math.max(st.max, 0))];
}
