// The MAC array's accumulators as plain loops over SRAM bytes: the readable statement of what conv and gemm add
// up, and the oracle the WebAssembly kernels (simulator/wasm/mac-kernels.ts) are tested against.
import { multiplyByQuantizedMultiplier } from '../../reference/quant/gemmlowp.js';
import { requantFloat, saturate } from '../../reference/quant/requant.js';
import type { ConvGeometry, Operand } from '../wasm/mac-kernels.js';
import type { Epilogue } from '../wasm/requant-kernel.js';

const code = (sram: Uint8Array, addr: number, signed: boolean): number =>
  signed ? (sram[addr] << 24) >> 24 : sram[addr];

/** [outC][outH * outW] int32 accumulators; taps in the implicit padding read inZp, so they add 0 and are skipped. */
export function convAccumulatorsScalar(
  sram: Uint8Array,
  inAddr: number,
  weightAddr: number,
  s: ConvGeometry,
  x: Operand,
  w: Operand,
): Int32Array {
  const Cg = s.inC / s.groups;
  const Kg = s.outC / s.groups;
  const taps = s.kH * s.kW;
  const out = new Int32Array(s.outC * s.outH * s.outW);
  for (let oc = 0; oc < s.outC; oc++) {
    const g = Math.floor(oc / Kg);
    for (let oy = 0; oy < s.outH; oy++)
      for (let ox = 0; ox < s.outW; ox++) {
        let acc = 0;
        for (let ic = 0; ic < Cg; ic++)
          for (let ky = 0; ky < s.kH; ky++) {
            const iy = oy * s.strideH - s.padT + ky * s.dilH;
            if (iy < 0 || iy >= s.inH) continue;
            for (let kx = 0; kx < s.kW; kx++) {
              const ix = ox * s.strideW - s.padL + kx * s.dilW;
              if (ix < 0 || ix >= s.inW) continue;
              const xv = code(
                sram,
                inAddr + (g * Cg + ic) * s.inCStride + iy * s.inW + ix,
                x.signed,
              );
              const wv = code(sram, weightAddr + (oc * Cg + ic) * taps + ky * s.kW + kx, w.signed);
              acc = (acc + (xv - x.zp) * (wv - w.zp)) | 0;
            }
          }
        out[(oc * s.outH + oy) * s.outW + ox] = acc;
      }
  }
  return out;
}

/** [n][m] int32 accumulators of A (m rows, aRowStride apart) times B (n rows of k). */
export function gemmAccumulatorsScalar(
  sram: Uint8Array,
  aAddr: number,
  aRowStride: number,
  bAddr: number,
  dims: { readonly m: number; readonly n: number; readonly k: number },
  a: Operand,
  b: Operand,
): Int32Array {
  const { m, n, k } = dims;
  const out = new Int32Array(m * n);
  for (let r = 0; r < m; r++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = 0; t < k; t++)
        acc =
          (acc +
            (code(sram, aAddr + r * aRowStride + t, a.signed) - a.zp) *
              (code(sram, bAddr + j * k + t, b.signed) - b.zp)) |
          0;
      out[j * m + r] = acc;
    }
  return out;
}

/**
 * The requantization unit, per element as the reference computes it: bias, requantFloat or
 * multiplyByQuantizedMultiplier, + outZp, saturate, activation, low byte. [channels][count] in and out.
 */
export function requantizeScalar(
  acc: Int32Array,
  channels: number,
  count: number,
  e: Epilogue,
): Uint8Array {
  const out = new Uint8Array(channels * count);
  for (let c = 0; c < channels; c++)
    for (let p = c * count; p < (c + 1) * count; p++) {
      const a = (acc[p] + e.bias[c]) | 0;
      const r = e.fixed
        ? multiplyByQuantizedMultiplier(a, e.multI[c], e.shift[c])
        : requantFloat(a, e.multF[c]);
      let v = saturate(r + e.outZp, e.lo, e.hi);
      if (e.act === 'relu') v = Math.max(v, e.outZp);
      else if (e.act === 'clip') v = Math.min(Math.max(v, e.clipLo), e.clipHi);
      else if (e.act === 'lut') v = e.lut![v - e.lo];
      out[p] = v & 0xff;
    }
  return out;
}
