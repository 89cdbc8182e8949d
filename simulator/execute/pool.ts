// vec.pool: max, average and global-average pooling of a [c][h][w] tile, rescaled as the reference's pool kernels.
import { multiplyByQuantizedMultiplier } from '../../reference/quant/gemmlowp.js';
import { Q_RANGE, saturate } from '../../reference/quant/requant.js';
import { rheFast as rhe } from './round-fast.js';
import { vectorCycles } from '../timing.js';
import { ZERO_SCALE, ZERO_ZP } from './vector.js';
import { work, type Exec } from './work.js';

const f32 = Math.fround;

export const vecPool: Exec<'vec.pool'> = (m, i) => {
  const z = m.vec.zp ?? ZERO_ZP;
  const s = m.vec.scale ?? ZERO_SCALE;
  const gavg = i.kind === 'gavg';
  const [kH, kW] = gavg ? [i.h, i.w] : [i.kH, i.kW];
  const [sH, sW] = gavg ? [1, 1] : [i.strideH, i.strideW];
  const [pT, pL, pB, pR] = gavg ? [0, 0, 0, 0] : [i.padT, i.padL, i.padB, i.padR];
  if (kH === 0 || kW === 0 || sH === 0 || sW === 0)
    m.fault('simBadOperand', 'pool window and strides must be >= 1');
  const outH = Math.floor((i.h + pT + pB - kH) / sH) + 1;
  const outW = Math.floor((i.w + pL + pR - kW) / sW) + 1;
  if (outH <= 0 || outW <= 0) m.fault('simBadOperand', 'empty pooling output');
  const plane = i.h * i.w;
  m.checkSram(i.inAddr, i.c * plane, 'vec.pool input');
  m.checkSram(i.outAddr, i.c * outH * outW, 'vec.pool output');
  const [lo, hi] = Q_RANGE[z.typeOut];
  const clampOut = (q: number): number =>
    Math.min(Math.max(saturate(q, lo, hi), z.clipLo), z.clipHi);
  const fixed = m.hw.requant === 'fixed';
  const { sram } = m;
  const X = z.typeA === 'int8' ? m.sramI8 : sram;
  const isMax = i.kind === 'max';
  const { scaleA } = s;
  const { zpA } = z;
  const { h, w, inAddr } = i; // locals: the decoded instruction is a slow object to read in a hot loop
  const out = new Uint8Array(i.c * outH * outW);
  let reads = 0;
  for (let ch = 0; ch < i.c; ch++)
    for (let oy = 0; oy < outH; oy++)
      for (let ox = 0; ox < outW; ox++) {
        let max = -Infinity;
        let fsum = 0;
        let isum = 0;
        let rawSum = 0;
        let count = 0;
        for (let ky = 0; ky < kH; ky++) {
          const iy = oy * sH - pT + ky;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kW; kx++) {
            const ix = ox * sW - pL + kx;
            if (ix < 0 || ix >= w) continue;
            const x = X[inAddr + ch * plane + iy * w + ix];
            count++;
            if (isMax) {
              if (x > max) max = x;
              continue;
            }
            fsum = f32(fsum + f32(scaleA * (x - zpA)));
            isum = (isum + x - zpA) | 0;
            rawSum += x;
          }
        }
        reads += count;
        let q: number;
        if (isMax) q = count === 0 ? z.zpOut : max;
        else if (gavg) {
          q = fixed
            ? multiplyByQuantizedMultiplier(isum, s.multOut, s.shiftOut) + z.zpOut
            : rhe(f32(f32(isum) * f32(s.scaleA / f32(s.scaleOut * count)))) + z.zpOut;
        } else {
          if (z.countPad === 1) {
            rawSum += (kH * kW - count) * z.zpA; // padded taps hold the zero point (real 0)
            count = kH * kW;
          }
          if (count === 0) q = z.zpOut;
          else if (!fixed) q = rhe(f32(f32(f32(fsum / count) / s.scaleOut) + z.zpOut));
          else {
            const half = Math.trunc(count / 2); // TFLite raw-value average, rounding half away from zero
            q = Math.trunc((rawSum > 0 ? rawSum + half : rawSum - half) / count);
          }
        }
        out[(ch * outH + oy) * outW + ox] = clampOut(q) & 0xff;
      }
  sram.set(out, i.outAddr);
  m.traffic.sramRead += reads;
  m.traffic.sramWritten += out.length;
  return work(vectorCycles(m.hw, Math.max(reads, out.length)));
};
