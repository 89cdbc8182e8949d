// A histogram on a fixed grid anchored at 0 (bin k covers [k*w, (k+1)*w)) that grows when later batches exceed it.

/**
 * Anchoring the bins at 0 keeps them aligned when the range grows (new bins are appended with the same width) and
 * lets one side of a signed histogram be read exactly as a histogram of |x|. When the range would need more than
 * twice the target bin count, groups of 2^m adjacent bins are merged (the width grows 2^m-fold), so the
 * resolution stays between target and 2x target bins.
 */
export class Histogram {
  readonly target: number;
  /** Bin width; 0 until a batch with a non-zero value arrives. */
  width = 0;
  /** Grid index of the first bin. */
  k0 = 0;
  counts = new Float64Array(0);
  /** Values seen while the width was still unknown (all exactly zero). */
  private zeros = 0;

  constructor(target = 2048) {
    this.target = target;
  }

  get total(): number {
    let s = this.zeros;
    for (const c of this.counts) s += c;
    return s;
  }

  /** Lower edge of bin i. */
  edge(i: number): number {
    return (this.k0 + i) * this.width;
  }

  add(values: ArrayLike<number>, abs = false): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = abs ? Math.abs(values[i]) : values[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (lo > hi) return;
    if (this.width === 0) {
      const extent = Math.min(Math.max(hi, 0) - Math.min(lo, 0), Number.MAX_VALUE);
      if (extent === 0) {
        this.zeros += countFinite(values);
        return;
      }
      // a subnormal extent would give a zero width
      this.width = Math.max(extent / this.target, Number.MIN_VALUE);
      const k0 = Math.floor(Math.min(lo, 0) / this.width);
      const k1 = Math.floor(Math.max(hi, 0) / this.width);
      this.k0 = k0;
      this.counts = new Float64Array(k1 - k0 + 1);
      this.counts[-k0] += this.zeros;
      this.zeros = 0;
    } else {
      this.grow(lo, hi);
    }
    const w = this.width;
    const n = this.counts.length;
    for (let i = 0; i < values.length; i++) {
      const v = abs ? Math.abs(values[i]) : values[i];
      if (!Number.isFinite(v)) continue;
      const b = Math.min(Math.max(Math.floor(v / w) - this.k0, 0), n - 1);
      this.counts[b]++;
    }
  }

  /** Extends the grid to cover [lo, hi], first merging bins 2^m at a time if the span needs more than 2x target. */
  private grow(lo: number, hi: number): void {
    const n = this.counts.length;
    const w = this.width;
    if (Math.floor(lo / w) >= this.k0 && Math.floor(hi / w) <= this.k0 + n - 1) return;
    // halves keep the span finite for any pair of finite values
    const half = Math.max(hi, (this.k0 + n) * w) / 2 - Math.min(lo, this.k0 * w) / 2;
    let counts = this.counts;
    let from = this.k0;
    // merge factors are capped at 2^1000 per pass: a subnormal width times the factor must not overflow
    for (let pass = 0; pass < 4; pass++) {
      const wNow = this.width;
      let f = 1;
      while ((half / (wNow * f)) * 2 + 2 > 2 * this.target && f < 2 ** 1000) f *= 2;
      if (f === 1) break;
      // grid index k goes to floor(k / f); exact, since f is a power of two
      const nk0 = Math.floor(from / f);
      const merged = new Float64Array(Math.floor((from + counts.length - 1) / f) - nk0 + 1);
      for (let i = 0; i < counts.length; i++) merged[Math.floor((from + i) / f) - nk0] += counts[i];
      counts = merged;
      from = nk0;
      this.width = wNow * f;
    }
    const k0 = Math.min(from, Math.floor(lo / this.width));
    const k1 = Math.max(from + counts.length - 1, Math.floor(hi / this.width));
    const grown = new Float64Array(k1 - k0 + 1);
    grown.set(counts, from - k0);
    this.counts = grown;
    this.k0 = k0;
  }

  /** The part at or above 0 as a one-sided histogram (bin j covers [j*w, (j+1)*w)). */
  positiveSide(): Float64Array {
    const start = Math.max(-this.k0, 0);
    return this.counts.slice(Math.min(start, this.counts.length));
  }

  /** The part below 0 as a histogram of |x| (bin j covers (j*w, (j+1)*w] of |x|). */
  negativeSide(): Float64Array {
    const n = Math.min(Math.max(-this.k0, 0), this.counts.length);
    const out = new Float64Array(n);
    // grid bin k < 0 covers [k*w, (k+1)*w): |x| in ((-k-1)*w, -k*w], i.e. one-sided bin j = -k-1
    for (let j = 0; j < n; j++) out[j] = this.counts[-this.k0 - 1 - j];
    return out;
  }
}

function countFinite(values: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  return n;
}
