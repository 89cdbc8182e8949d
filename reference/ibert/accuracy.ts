// Error measurement of the I-BERT kernels against float math (used by the tests and scripts/ibert-error-report.ts).

import seedrandom from 'seedrandom';
import { erf } from '../ops/float/erf.js';
import type { RequantMode } from '../kernel.js';
import { EXP, GELU } from './constants.js';
import type { IntCheck } from './int-arith.js';
import type { Q8Data, QuantInfo } from './int8-io.js';
import {
  paramsForInt8IGelu,
  paramsForInt8ILayerNorm,
  paramsForInt8ISoftmax,
  runInt8IGelu,
  runInt8ILayerNorm,
  runInt8ISoftmax,
} from './int8-kernels.js';
import { iExp, paramsForIExp } from './i-exp.js';
import { iGelu, paramsForIGelu } from './i-gelu.js';
import { paramsForILayerNorm, runILayerNorm } from './i-layernorm.js';

// ---- float references (double) ----

export const geluFloat = (x: number): number => (x / 2) * (1 + erf(x / Math.SQRT2));

export function softmaxFloat(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** LayerNorm without epsilon (I-BERT's integer LayerNorm has none). */
export function layerNormFloat(
  row: readonly number[],
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
): number[] {
  const n = row.length;
  const mean = row.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(row.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  return row.map((v, i) => ((v - mean) / sd) * gamma[i] + beta[i]);
}

/** I-BERT's approximations evaluated in double, without any quantization: the paper's own error. */
export function geluPoly(x: number): number {
  const u = x / GELU.k;
  const t = Math.min(Math.abs(u), -GELU.b) + GELU.b;
  return (x / 2) * (1 + Math.sign(u) * (GELU.a * t * t + GELU.c));
}

export function expPoly(x: number): number {
  const ln2 = -EXP.x0;
  const z = Math.floor(-x / ln2);
  const r = x + z * ln2;
  return (EXP.a * r * r + EXP.b * r + EXP.c) * 2 ** -z;
}

// ---- statistics ----

export interface ErrorStats {
  max: number;
  mean: number;
  n: number;
}

class Acc {
  private max = 0;
  private sum = 0;
  private n = 0;
  add(got: number, want: number): void {
    const d = Math.abs(got - want);
    if (d > this.max) this.max = d;
    this.sum += d;
    this.n++;
  }
  stats(): ErrorStats {
    return { max: this.max, mean: this.sum / this.n, n: this.n };
  }
}

/** Max |f(x) − ref(x)| on a uniform grid of [lo, hi] (the float approximations). */
export function gridError(
  f: (x: number) => number,
  ref: (x: number) => number,
  lo: number,
  hi: number,
  step: number,
): ErrorStats {
  const acc = new Acc();
  const n = Math.round((hi - lo) / step);
  for (let i = 0; i <= n; i++) acc.add(f(lo + i * step), ref(lo + i * step));
  return acc.stats();
}

// ---- int32 kernels: every code of the range, so only the kernel's own error shows ----

/** i-GELU at input scale S over every code with |q·S| <= range. */
export function iGeluError(S: number, range: number, check?: IntCheck): ErrorStats {
  const p = paramsForIGelu(S);
  const lim = Math.min(Math.floor(range / S), p.maxAbsInput);
  const acc = new Acc();
  for (let q = -lim; q <= lim; q++) acc.add(iGelu(q, p, check) * p.scale, geluFloat(q * S));
  return acc.stats();
}

/** i-exp at input scale S over every code with −range <= q·S <= 0. */
export function iExpError(S: number, range: number, check?: IntCheck): ErrorStats {
  const p = paramsForIExp(S);
  const acc = new Acc();
  for (let q = -Math.floor(range / S); q <= 0; q++)
    acc.add(iExp(q, p, check) * p.scale, Math.exp(q * S));
  return acc.stats();
}

/** i-LayerNorm (γ = 1, β = 0) on int32 rows of normal data with standard deviation `sigma` codes. */
export function iLayerNormError(
  dim: number,
  rows: number,
  sigma: number,
  seed: string,
  check?: IntCheck,
): ErrorStats {
  const rng = seedrandom(seed);
  const p = paramsForILayerNorm(dim, new Float64Array(dim).fill(1), new Float64Array(dim));
  const codes = Int32Array.from({ length: dim * rows }, () =>
    Math.round(normal(rng) * sigma + sigma),
  );
  const out = runILayerNorm(codes, p, check);
  const acc = new Acc();
  const ones = new Float64Array(dim).fill(1);
  for (let r = 0; r < rows; r++) {
    const want = layerNormFloat(
      Array.from(codes.subarray(r * dim, (r + 1) * dim)),
      ones,
      new Float64Array(dim),
    );
    for (let i = 0; i < dim; i++) acc.add(out[r * dim + i] * p.normScale, want[i]);
  }
  return acc.stats();
}

// ---- int8 wrappers: error of the dequantized output against float math on the dequantized input ----

const deq = (q: number, x: QuantInfo): number => (q - x.zeroPoint) * x.scale;
/** A Q8 array of x's dtype with values f(i). */
function q8(x: QuantInfo, n: number, f: (i: number) => number): Q8Data {
  const out = x.dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

const codesOf = (x: QuantInfo): Q8Data => q8(x, 256, (i) => i + (x.dtype === 'int8' ? -128 : 0));

/** The int8 wrapper's error and, for comparison, the error of the best possible int8 output (round to nearest). */
export interface Int8Error {
  kernel: ErrorStats;
  ideal: ErrorStats;
}

function idealCode(v: number, y: QuantInfo): number {
  const lo = y.dtype === 'int8' ? -128 : 0;
  return Math.min(Math.max(Math.round(v / y.scale) + y.zeroPoint, lo), lo + 255);
}

export function int8GeluError(
  x: QuantInfo,
  y: QuantInfo,
  mode: RequantMode,
  check?: IntCheck,
): Int8Error {
  const codes = codesOf(x);
  const out = runInt8IGelu(codes, paramsForInt8IGelu(x, y, mode), check);
  const k = new Acc();
  const ideal = new Acc();
  codes.forEach((q, i) => {
    const want = geluFloat(deq(q, x));
    k.add(deq(out[i], y), want);
    ideal.add(deq(idealCode(want, y), y), want);
  });
  return { kernel: k.stats(), ideal: ideal.stats() };
}

/** Rows of uniformly random codes (the logits spread over the whole int8 range). */
export function int8SoftmaxError(
  x: QuantInfo,
  y: QuantInfo,
  mode: RequantMode,
  outputBits: number,
  len: number,
  rows: number,
  seed: string,
  check?: IntCheck,
): Int8Error {
  const rng = seedrandom(seed);
  const lo = x.dtype === 'int8' ? -128 : 0;
  const codes = q8(x, len * rows, () => lo + Math.floor(rng() * 256));
  const out = runInt8ISoftmax(codes, len, paramsForInt8ISoftmax(x, y, mode, outputBits), check);
  const k = new Acc();
  const ideal = new Acc();
  for (let r = 0; r < rows; r++) {
    const want = softmaxFloat(Array.from(codes.subarray(r * len, (r + 1) * len), (q) => deq(q, x)));
    want.forEach((w, i) => {
      k.add(deq(out[r * len + i], y), w);
      ideal.add(deq(idealCode(w, y), y), w);
    });
  }
  return { kernel: k.stats(), ideal: ideal.stats() };
}

/** Rows of normal data (σ = 24 codes around x_zp + 5), γ ~ U(0.5, 1.5), β ~ U(−0.5, 0.5). */
export function int8LayerNormError(
  x: QuantInfo,
  y: QuantInfo,
  mode: RequantMode,
  dim: number,
  rows: number,
  seed: string,
  check?: IntCheck,
): Int8Error {
  const rng = seedrandom(seed);
  const gamma = Float32Array.from({ length: dim }, () => 0.5 + rng());
  const beta = Float32Array.from({ length: dim }, () => rng() - 0.5);
  const lo = x.dtype === 'int8' ? -128 : 0;
  const codes = q8(x, dim * rows, () =>
    Math.min(Math.max(Math.round(x.zeroPoint + 5 + 24 * normal(rng)), lo), lo + 255),
  );
  const out = runInt8ILayerNorm(codes, paramsForInt8ILayerNorm(x, y, mode, gamma, beta), check);
  const k = new Acc();
  const ideal = new Acc();
  for (let r = 0; r < rows; r++) {
    const want = layerNormFloat(
      Array.from(codes.subarray(r * dim, (r + 1) * dim), (q) => deq(q, x)),
      gamma,
      beta,
    );
    want.forEach((w, i) => {
      k.add(deq(out[r * dim + i], y), w);
      ideal.add(deq(idealCode(w, y), y), w);
    });
  }
  return { kernel: k.stats(), ideal: ideal.stats() };
}

/** Box-Muller normal sample. */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}
