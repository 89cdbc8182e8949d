// SQNR: AIMET's SqnrEncodingAnalyzer search (noise with clipped values weighted by gamma) over delta and offset.

import type { RangeMethod } from './method.js';
import type { TensorStats } from './stats.js';
import { gridNoise, rhe } from './noise.js';

/** AIMET defaults (quantization-semantics.md §5). */
export const SQNR_DEFAULTS = {
  symmetricDeltaCandidates: 101,
  asymmetricDeltaCandidates: 17,
  offsetCandidates: 21,
  gamma: 3.0,
} as const;

const STEPS = 255;

/** min and max widened to contain 0 and to span at least one representable step. */
function observed(st: TensorStats): [number, number] {
  const min = Math.min(st.min, 0);
  let max = Math.max(st.max, 0);
  max = Math.max(max, min + 1.1754943508222875e-38 * STEPS);
  return [min, max];
}

/** Symmetric: offset -128, deltas max_delta · k / 100 for k = 1..101; returns [-127 δ, 127 δ] (scale δ). */
export function sqnrSymmetric(st: TensorStats): [number, number] {
  const [min, max] = observed(st);
  const maxDelta = (2 * Math.max(max, -min)) / STEPS;
  const nd = SQNR_DEFAULTS.symmetricDeltaCandidates;
  let best = Infinity;
  let bestDelta = maxDelta;
  for (let k = 1; k <= nd; k++) {
    const delta = (maxDelta * k) / (nd - 1);
    const noise = gridNoise(st.signed, delta, -128, STEPS, SQNR_DEFAULTS.gamma);
    if (noise < best) [best, bestDelta] = [noise, delta];
  }
  return [-127 * bestDelta, 127 * bestDelta];
}

/**
 * Asymmetric: deltas max_delta · k / 16 (k = 1..17) x offsets round(linspace(-255, 0, step 255/19)) ∪ {observed};
 * each candidate clamped into the observed range and its delta / offset recomputed; returns [off·δ, off·δ + 255 δ].
 */
export function sqnrAsymmetric(st: TensorStats): [number, number] {
  const [min, max] = observed(st);
  const maxDelta = (max - min) / STEPS;
  const nd = SQNR_DEFAULTS.asymmetricDeltaCandidates;
  const offsets: number[] = [];
  const stepOff = STEPS / (SQNR_DEFAULTS.offsetCandidates - 2);
  for (let v = -STEPS; v < stepOff / 2; v += stepOff) offsets.push(rhe(v));
  offsets.push(rhe(min / maxDelta));
  let best = Infinity;
  let bestRange: [number, number] = [min, max];
  for (let k = 1; k <= nd; k++) {
    const d0 = (maxDelta * k) / (nd - 1);
    for (const o of offsets) {
      const lo = Math.max(d0 * o, min);
      const hi = Math.min(d0 * o + STEPS * d0, max);
      if (!(hi > lo)) continue;
      const delta = (hi - lo) / STEPS;
      const offset = rhe(lo / delta);
      const noise = gridNoise(st.signed, delta, offset, STEPS, SQNR_DEFAULTS.gamma);
      if (noise < best)
        [best, bestRange] = [noise, [offset * delta, offset * delta + STEPS * delta]];
    }
  }
  return bestRange;
}

export const SQNR: RangeMethod = {
  // not used: SQNR searches the signed histogram in every case
  threshold: (side) => side.maxAbs,
  asymmetric: (st: TensorStats) => sqnrAsymmetric(st),
  symmetric: (st: TensorStats) => sqnrSymmetric(st),
  oneSigned: (st: TensorStats) => sqnrAsymmetric(st),
};
