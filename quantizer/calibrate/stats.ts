// Per-tensor calibration statistics: running min / max, a signed histogram and a histogram of |x|.

import { Histogram } from './histogram.js';

export class TensorStats {
  min = Infinity;
  max = -Infinity;
  count = 0;
  readonly signed: Histogram;
  readonly abs: Histogram;

  constructor(bins = 2048) {
    this.signed = new Histogram(bins);
    this.abs = new Histogram(bins);
  }

  add(values: ArrayLike<number>, histograms: boolean): void {
    let lo = this.min;
    let hi = this.max;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    this.min = lo;
    this.max = hi;
    this.count += values.length;
    if (histograms) {
      this.signed.add(values);
      this.abs.add(values, true);
    }
  }
}

/** Statistics of every float activation of a model over the calibration set. */
export interface CalibrationStats {
  tensors: Map<string, TensorStats>;
  samples: number;
}
