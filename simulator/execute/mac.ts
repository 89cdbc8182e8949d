// MAC engine: mac.shape / mac.quant registers, conv and gemm loops over SRAM bytes, the fused requant epilogue.
import { multiplyByQuantizedMultiplier } from '../../reference/quant/gemmlowp.js';
import { Q_RANGE, requantFloat, saturate } from '../../reference/quant/requant.js';
import type { Machine, MacRegs } from '../machine.js';
import { readQ } from '../machine.js';
import { convCycles, gemmCycles } from '../timing.js';
import { NO_WORK, regsOf, work, type Exec } from './work.js';

type Quant = NonNullable<MacRegs['quant']>;

export const macShape: Exec<'mac.shape'> = (m, i) => {
  m.mac.shape = regsOf(i);
  return NO_WORK;
};

export const macQuant: Exec<'mac.quant'> = (m, i) => {
  m.mac.quant = regsOf(i);
  return NO_WORK;
};

/** Registers start at zero: an unset mac.quant is the all-zero register file. */
const ZERO_QUANT: Quant = {
  inType: 'int8',
  wType: 'int8',
  outType: 'int8',
  inZp: 0,
  wZp: 0,
  outZp: 0,
  useBias: 0,
  biasAddr: 0,
  requantAddr: 0,
  act: 'none',
  clipLo: 0,
  clipHi: 0,
  lutAddr: 0,
};

/**
 * The requantization unit: int32 accumulator of channel c -> output code. It is the reference's formula
 * (requantFloat / multiplyByQuantizedMultiplier), fed from the per-channel tables in SRAM.
 */
function makeEpilogue(m: Machine, q: Quant, channels: number): (acc: number, c: number) => number {
  const fixed = m.hw.requant === 'fixed';
  if (q.useBias === 1) m.checkSramWords(q.biasAddr, 4 * channels, 'bias table');
  m.checkSramWords(q.requantAddr, (fixed ? 8 : 4) * channels, 'requantization table');
  const [lo, hi] = Q_RANGE[q.outType];
  if (q.act === 'lut') m.checkSram(q.lutAddr, m.hw.lutEntries, 'activation table');
  const { sram } = m;
  return (acc, c) => {
    let a = acc;
    if (q.useBias === 1) a = (a + m.i32(q.biasAddr + 4 * c)) | 0;
    const r = fixed
      ? multiplyByQuantizedMultiplier(
          a,
          m.i32(q.requantAddr + 8 * c),
          m.i32(q.requantAddr + 8 * c + 4),
        )
      : requantFloat(a, m.f32(q.requantAddr + 4 * c));
    const v = saturate(r + q.outZp, lo, hi);
    switch (q.act) {
      case 'none':
        return v;
      case 'relu':
        return Math.max(v, q.outZp);
      case 'clip':
        return Math.min(Math.max(v, q.clipLo), q.clipHi);
      case 'lut':
        return readQ(sram, q.outType, q.lutAddr + v - lo);
    }
  };
}

export const conv: Exec<'conv'> = (m, i) => {
  const s = m.mac.shape;
  const q = m.mac.quant ?? ZERO_QUANT;
  if (s === undefined || s.groups === 0 || s.inC % s.groups !== 0 || s.outC % s.groups !== 0)
    return m.fault('simBadOperand', `mac.shape groups ${s?.groups ?? 0} must divide inC and outC`);
  if (s.strideH === 0 || s.strideW === 0 || s.dilH === 0 || s.dilW === 0)
    m.fault('simBadOperand', 'mac.shape strides and dilations must be >= 1');
  const outH = Math.floor((s.inH + s.padT + s.padB - s.dilH * (s.kH - 1) - 1) / s.strideH) + 1;
  const outW = Math.floor((s.inW + s.padL + s.padR - s.dilW * (s.kW - 1) - 1) / s.strideW) + 1;
  if (outH <= 0 || outW <= 0 || s.kH === 0 || s.kW === 0)
    m.fault('simBadOperand', 'empty convolution output');
  const Cg = s.inC / s.groups;
  const Kg = s.outC / s.groups;
  const plane = s.inH * s.inW;
  if (i.inCStride < plane && s.inC > 1)
    m.fault('simBadOperand', `inCStride ${i.inCStride} < inH*inW ${plane}`);
  if (i.outCStride < outH * outW && s.outC > 1)
    m.fault('simBadOperand', `outCStride ${i.outCStride} < outH*outW ${outH * outW}`);
  m.checkSram(i.inAddr, (s.inC - 1) * i.inCStride + plane, 'conv input');
  const taps = s.kH * s.kW;
  m.checkSram(i.weightAddr, s.outC * Cg * taps, 'conv weights');
  m.checkSram(i.outAddr, (s.outC - 1) * i.outCStride + outH * outW, 'conv output');
  const epi = makeEpilogue(m, q, s.outC);
  const { sram } = m;
  const out = new Int32Array(s.outC * outH * outW); // results land after all reads (no in-place aliasing)
  const X = q.inType === 'int8' ? m.sramI8 : sram;
  const W = q.wType === 'int8' ? m.sramI8 : sram;
  const { inZp, wZp } = q;
  const { kH, kW, dilH, dilW, inH, inW, strideH, strideW, padT, padL } = s; // locals: hot loop
  const { inAddr, weightAddr, inCStride } = i;
  for (let oc = 0; oc < s.outC; oc++) {
    const g = Math.floor(oc / Kg);
    for (let oy = 0; oy < outH; oy++) {
      const iy0 = oy * strideH - padT;
      for (let ox = 0; ox < outW; ox++) {
        const ix0 = ox * strideW - padL;
        let acc = 0;
        for (let ic = 0; ic < Cg; ic++) {
          const inBase = inAddr + (g * Cg + ic) * inCStride;
          const wBase = weightAddr + (oc * Cg + ic) * taps;
          for (let ky = 0; ky < kH; ky++) {
            const iy = iy0 + ky * dilH;
            // a tap in the implicit padding reads inZp: (inZp - inZp) * w adds 0, so it is skipped
            if (iy < 0 || iy >= inH) continue;
            const row = inBase + iy * inW;
            const wRow = wBase + ky * kW;
            for (let kx = 0; kx < kW; kx++) {
              const ix = ix0 + kx * dilW;
              if (ix < 0 || ix >= inW) continue;
              acc = (acc + (X[row + ix] - inZp) * (W[wRow + kx] - wZp)) | 0;
            }
          }
        }
        out[(oc * outH + oy) * outW + ox] = epi(acc, oc);
      }
    }
  }
  for (let oc = 0; oc < s.outC; oc++)
    for (let p = 0; p < outH * outW; p++)
      sram[i.outAddr + oc * i.outCStride + p] = out[oc * outH * outW + p] & 0xff;
  m.traffic.sramRead += s.inC * plane + s.outC * Cg * taps;
  m.traffic.sramWritten += s.outC * outH * outW;
  const pixels = outH * outW;
  const cycles = convCycles(m.hw, { pixels, groups: s.groups, cg: Cg, kg: Kg, taps });
  return work(cycles, s.outC * pixels * Cg * taps);
};

export const gemm: Exec<'gemm'> = (m, i) => {
  const q = m.mac.quant ?? ZERO_QUANT;
  if (i.m === 0 || i.n === 0) return NO_WORK;
  m.checkSram(i.aAddr, (i.m - 1) * i.aRowStride + i.k, 'gemm A');
  m.checkSram(i.bAddr, i.n * i.k, 'gemm B');
  m.checkSram(i.outAddr, (i.m - 1) * i.outRowStride + i.n, 'gemm output');
  const epi = makeEpilogue(m, q, i.n);
  const { sram } = m;
  const out = new Int32Array(i.m * i.n);
  const X = q.inType === 'int8' ? m.sramI8 : sram;
  const W = q.wType === 'int8' ? m.sramI8 : sram;
  const { inZp, wZp } = q;
  const { k, aAddr, bAddr, aRowStride } = i;
  for (let r = 0; r < i.m; r++)
    for (let j = 0; j < i.n; j++) {
      let acc = 0;
      const a = aAddr + r * aRowStride;
      const b = bAddr + j * k;
      for (let t = 0; t < k; t++) acc = (acc + (X[a + t] - inZp) * (W[b + t] - wZp)) | 0;
      out[r * i.n + j] = epi(acc, j);
    }
  for (let r = 0; r < i.m; r++)
    for (let j = 0; j < i.n; j++)
      sram[i.outAddr + r * i.outRowStride + j] = out[r * i.n + j] & 0xff;
  m.traffic.sramRead += i.m * i.k + i.n * i.k;
  m.traffic.sramWritten += i.m * i.n;
  return work(gemmCycles(m.hw, i.m, i.n, i.k), i.m * i.n * i.k);
};
