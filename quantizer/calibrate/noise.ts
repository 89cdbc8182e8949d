// Quantization noise of a histogram under a candidate uniform grid (shared by the MSE and SQNR searches).

import type { Histogram } from './histogram.js';

/** Round half to even (torch.round, numpy.round). */
export function rhe(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Σ count · (x̂ − mid)² over the bins (mid = bin centre) for the grid x̂ = (clamp(t, 0, steps) + offset) · delta,
 * t = round(mid / delta − offset); clipped bins weigh `gamma` times (AIMET SqnrEncodingAnalyzer; gamma 1 = MSE).
 */
export function gridNoise(
  h: Histogram,
  delta: number,
  offset: number,
  steps: number,
  gamma: number,
): number {
  let total = 0;
  const w = h.width;
  for (let i = 0; i < h.counts.length; i++) {
    const c = h.counts[i];
    if (c === 0) continue;
    const mid = (h.k0 + i + 0.5) * w;
    const t = rhe(mid / delta - offset);
    const tc = t < 0 ? 0 : t > steps ? steps : t;
    const e = (tc + offset) * delta - mid;
    total += (tc === t ? 1 : gamma) * c * e * e;
  }
  return total;
}
