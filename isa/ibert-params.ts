// Parameter blocks of vec.softmax, vec.layernorm and vec.gelu: int32 words packed from paramsForInt8*, decoded and validated.
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../reference/quant/gemmlowp.js';
import { requantFloat, saturate } from '../reference/quant/requant.js';
import type {
  Int8IGeluParams,
  Int8ILayerNormParams,
  Int8ISoftmaxParams,
} from '../reference/ibert/int8-kernels.js';
import type { OutRequant, Q8Type } from '../reference/ibert/int8-io.js';

/**
 * Block layout (little-endian int32 words at a 4-byte-aligned SRAM address; docs/hardware-model.md):
 *   0  magic | kind       IBERT_MAGIC + 1 softmax, 2 layernorm, 3 gelu
 *   1  words              total length of the block in words
 *   2  inType, 3 outType  0 = int8, 1 = uint8
 *   4  xZp, 5 yZp         input and output zero points
 *   6  expand             input widening x' = (q - xZp) << expand
 *   7  channels C         output requantization channels (1; layernorm: dim)
 *   8… kernel scalars     softmax: x0Int bInt cInt expM expShift outputBits
 *                         gelu:    bInt cInt clip shift one
 *                         layernorm: dim headroom, then biasInt[dim]
 *   then C x 4 words      negate, float32 bits of the 'float' multiplier, 'fixed' multiplier M, 'fixed' shift
 * Both requantization forms are stored: the hardware config's requant picks one, so a block is mode-independent.
 */
export const IBERT_MAGIC = 0x49420000;
export const IBERT_KINDS = ['softmax', 'layernorm', 'gelu'] as const;
export type IbertKind = (typeof IBERT_KINDS)[number];
export const HEADER_WORDS = 8;
const SCALARS: Record<IbertKind, number> = { softmax: 6, layernorm: 2, gelu: 5 };
const TYPES: readonly Q8Type[] = ['int8', 'uint8'];
const RANGE: Record<Q8Type, readonly [number, number]> = { int8: [-128, 127], uint8: [0, 255] };
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** Longest softmax row: the int32 sum of 16-bit exponentials (runISoftmax's limit). */
export const SOFTMAX_MAX_LEN = Math.floor(INT32_MAX / 2 ** 16);

/** The output requantization of every channel, in both modes. */
export interface PackedRequant {
  negate: Uint8Array;
  floatMult: Float32Array;
  fixedMult: Int32Array;
  fixedShift: Int32Array;
}
interface Header {
  inType: Q8Type;
  outType: Q8Type;
  xZp: number;
  yZp: number;
  expand: number;
  out: PackedRequant;
}
export interface SoftmaxBlock extends Header {
  kind: 'softmax';
  x0Int: number;
  bInt: number;
  cInt: number;
  expM: number;
  expShift: number;
  outputBits: number;
}
export interface LayerNormBlock extends Header {
  kind: 'layernorm';
  dim: number;
  headroom: number;
  biasInt: Int32Array;
}
export interface GeluBlock extends Header {
  kind: 'gelu';
  bInt: number;
  cInt: number;
  clip: number;
  shift: number;
  one: number;
}
export type IbertBlock = SoftmaxBlock | LayerNormBlock | GeluBlock;

/** The words a block of `kind` with `channels` requantization channels has. */
export const blockWords = (kind: IbertKind, channels: number): number =>
  HEADER_WORDS + SCALARS[kind] + (kind === 'layernorm' ? channels : 0) + 4 * channels;

function pack(
  kind: IbertKind,
  p: { x: { zeroPoint: number; dtype: Q8Type }; expand: number; out: OutRequant },
  scalars: readonly number[],
  perChannel: ArrayLike<number> = [],
): Uint8Array {
  const C = p.out.multipliers.length;
  const n = blockWords(kind, C);
  const w = new Int32Array(n);
  const head = [
    IBERT_MAGIC + IBERT_KINDS.indexOf(kind) + 1,
    n,
    TYPES.indexOf(p.x.dtype),
    TYPES.indexOf(p.out.dtype),
    p.x.zeroPoint,
    p.out.zeroPoint,
    p.expand,
    C,
  ];
  w.set([...head, ...scalars]);
  w.set(Array.from(perChannel), HEADER_WORDS + scalars.length);
  const f = new Float32Array(1);
  const fBits = new Int32Array(f.buffer);
  let k = n - 4 * C;
  for (let c = 0; c < C; c++) {
    f[0] = p.out.multipliers[c]; // float32 rounding, as makeRequantizer's Float32Array.from
    const q = quantizeMultiplier(p.out.multipliers[c]);
    w.set([p.out.negate[c], fBits[0], q.multiplier, q.shift], k);
    k += 4;
  }
  const bytes = new Uint8Array(4 * n);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < n; i++) view.setInt32(4 * i, w[i], true);
  return bytes;
}

/** The vec.softmax block of paramsForInt8ISoftmax(x, y, mode, bits) (the mode inside p is not used). */
export function packInt8ISoftmaxParams(p: Int8ISoftmaxParams): Uint8Array {
  const k = p.kernel;
  return pack('softmax', p, [
    k.exp.x0Int,
    k.exp.poly.bInt,
    k.exp.poly.cInt,
    k.exp16.m,
    k.exp16.shift,
    k.outputBits,
  ]);
}

/** The vec.layernorm block of paramsForInt8ILayerNorm(x, y, mode, gamma, beta); its len must be gamma.length. */
export function packInt8ILayerNormParams(p: Int8ILayerNormParams): Uint8Array {
  const k = p.kernel;
  return pack('layernorm', p, [k.dim, k.headroom], k.biasInt);
}

/** The vec.gelu block of paramsForInt8IGelu(x, y, mode). */
export function packInt8IGeluParams(p: Int8IGeluParams): Uint8Array {
  const e = p.kernel.erf;
  return pack('gelu', p, [e.poly.bInt, e.poly.cInt, e.clip, e.shift, p.kernel.one]);
}

/** The largest |q - zp| of an int8/uint8 code. */
const maxAbs = (t: Q8Type, zp: number): number => Math.max(RANGE[t][1] - zp, zp - RANGE[t][0]);

/**
 * Decodes and validates a block of `kind` (words already read from SRAM; words[1] gives the length). Returns the
 * block or a one-line problem. Validation guarantees the kernels' intermediates stay in their documented widths.
 */
export function decodeIbertParams(kind: IbertKind, w: Int32Array): IbertBlock | string {
  if (w.length < HEADER_WORDS) return `needs at least ${HEADER_WORDS} words`;
  const code = w[0] - IBERT_MAGIC - 1;
  if (IBERT_KINDS[code] !== kind)
    return `word 0 is 0x${(w[0] >>> 0).toString(16)}, not the ${kind} magic 0x${(IBERT_MAGIC + IBERT_KINDS.indexOf(kind) + 1).toString(16)}`;
  const [, , inT, outT, xZp, yZp, expand, C] = w;
  if (C < 1 || C > 65535) return `channel count ${C} not in [1, 65535]`;
  if (w[1] !== blockWords(kind, C) || w.length !== w[1])
    return `length ${w[1]} words, expected ${blockWords(kind, C)} for ${C} channel(s)`;
  const inType = TYPES.at(inT);
  const outType = TYPES.at(outT);
  if (inT < 0 || outT < 0 || inType === undefined || outType === undefined)
    return `element type codes ${inT}, ${outT} (0 = int8, 1 = uint8)`;
  if (xZp < RANGE[inType][0] || xZp > RANGE[inType][1])
    return `input zero point ${xZp} not ${inType}`;
  if (yZp < RANGE[outType][0] || yZp > RANGE[outType][1])
    return `output zero point ${yZp} not ${outType}`;
  if (expand < 0 || expand > 24) return `expand ${expand} not in [0, 24]`;
  const out: PackedRequant = {
    negate: new Uint8Array(C),
    floatMult: new Float32Array(C),
    fixedMult: new Int32Array(C),
    fixedShift: new Int32Array(C),
  };
  const fBits = new Int32Array(1);
  const f = new Float32Array(fBits.buffer);
  for (let c = 0, k = w.length - 4 * C; c < C; c++, k += 4) {
    fBits[0] = w[k + 1];
    if (w[k] !== 0 && w[k] !== 1) return `channel ${c}: negate flag ${w[k]} not 0 or 1`;
    if (!(Number.isFinite(f[0]) && f[0] >= 0)) return `channel ${c}: float multiplier ${f[0]}`;
    if (w[k + 2] < 0 || w[k + 3] < -31)
      return `channel ${c}: fixed multiplier ${w[k + 2]}, shift ${w[k + 3]} out of range`;
    out.negate[c] = w[k];
    out.floatMult[c] = f[0];
    out.fixedMult[c] = w[k + 2];
    out.fixedShift[c] = w[k + 3];
  }
  const head = { inType, outType, xZp, yZp, expand, out };
  const widest = maxAbs(inType, xZp) * 2 ** expand; // largest |x'|
  const s = (i: number): number => w[HEADER_WORDS + i];
  switch (kind) {
    case 'softmax': {
      const b: SoftmaxBlock = {
        kind,
        ...head,
        x0Int: s(0),
        bInt: s(1),
        cInt: s(2),
        expM: s(3),
        expShift: s(4),
        outputBits: s(5),
      };
      if (C !== 1) return `softmax has 1 channel, not ${C}`;
      if (2 * widest > INT32_MAX) return `expand ${expand} overflows int32 differences`;
      if (b.x0Int > -1 || 30 * b.x0Int < INT32_MIN)
        return `x0Int ${b.x0Int} not in [-71582788, -1]`;
      if (b.cInt < 1) return `cInt ${b.cInt} < 1`;
      if (b.expM < 2 ** 30) return `exp16 multiplier ${b.expM} not in [2^30, 2^31)`;
      if (b.expShift < 0 || b.expShift > 127) return `exp16 shift ${b.expShift} not in [0, 127]`;
      if (b.outputBits < 1 || b.outputBits > 30)
        return `output bits ${b.outputBits} not in [1, 30]`;
      return b;
    }
    case 'gelu': {
      const b: GeluBlock = {
        kind,
        ...head,
        bInt: s(0),
        cInt: s(1),
        clip: s(2),
        shift: s(3),
        one: s(4),
      };
      if (C !== 1) return `gelu has 1 channel, not ${C}`;
      if (b.clip < 0 || b.shift < 0 || b.shift > 31)
        return `clip ${b.clip} or shift ${b.shift} out of range`;
      // i-gelu.ts maxAbsInput: |x'| <= INT32_MAX / (⌈max|poly| / 2^shift⌉ + |one|) keeps every step in int32
      const t = Math.max(Math.abs(b.bInt), Math.abs(b.clip + b.bInt));
      const inner = Math.max(Math.abs(b.cInt), Math.abs(t * t + b.cInt));
      const sum = Math.ceil(inner / 2 ** b.shift) + Math.abs(b.one);
      if (t * t > INT32_MAX || inner > INT32_MAX || sum > INT32_MAX || widest * sum > INT32_MAX)
        return `inputs up to ${widest} overflow int32 with bInt ${b.bInt}, cInt ${b.cInt}, one ${b.one}`;
      return b;
    }
    case 'layernorm': {
      const b: LayerNormBlock = {
        kind,
        ...head,
        dim: s(0),
        headroom: s(1),
        biasInt: w.slice(HEADER_WORDS + 2, HEADER_WORDS + 2 + C),
      };
      if (b.dim !== C) return `dim ${b.dim} but ${C} channels`;
      if (b.headroom < 0 || b.headroom > 30) return `headroom ${b.headroom} not in [0, 30]`;
      if (widest * b.dim > INT32_MAX)
        return `rows of ${b.dim} overflow the int32 row sum at expand ${expand}`;
      return b;
    }
  }
}

/** The output requantizer of a block in the hardware's mode: int32 kernel code of channel c -> int8/uint8 value. */
export function outRequantizer(
  b: IbertBlock,
  mode: 'float' | 'fixed',
): (v: number, c: number) => number {
  const { negate, floatMult, fixedMult, fixedShift } = b.out;
  const [lo, hi] = RANGE[b.outType];
  const zp = b.yZp;
  return mode === 'float'
    ? (v, c) => saturate(requantFloat(negate[c] === 1 ? -v : v, floatMult[c]) + zp, lo, hi)
    : (v, c) =>
        saturate(
          multiplyByQuantizedMultiplier(
            (negate[c] === 1 ? -v : v) | 0,
            fixedMult[c],
            fixedShift[c],
          ) + zp,
          lo,
          hi,
        );
}
