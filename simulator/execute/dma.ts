// DMA instructions: dma.cfg, dma.load (4-D strided box with padding fill) and dma.store, and their DRAM/SRAM cost.
import type { InstructionOf } from '../../isa/instructions.js';
import type { Machine } from '../machine.js';
import { boxBursts, dmaCost, slicesTouched } from '../timing.js';
import { NO_WORK, type Exec, type Work } from './work.js';

function channelRegs(m: Machine, ch: number): { dram: number[]; sram: number[] } {
  const r = m.dma[ch];
  if (r === undefined)
    m.fault(
      'simBadOperand',
      `DMA channel ${ch} does not exist (dma.engines = ${m.hw.dma.engines})`,
    );
  return r;
}

export const dmaCfg: Exec<'dma.cfg'> = (m, i) => {
  const r = channelRegs(m, i.channel);
  r.dram = [i.dramStride1, i.dramStride2, i.dramStride3];
  r.sram = [i.sramStride1, i.sramStride2, i.sramStride3];
  return NO_WORK;
};

/** Copies n bytes; short runs by a loop (a subarray per row costs more than the copy itself). */
function copy(dst: Uint8Array, d: number, src: Uint8Array, s: number, n: number): void {
  if (n > 64) dst.set(src.subarray(s, s + n), d);
  else for (let k = 0; k < n; k++) dst[d + k] = src[s + k];
}

/** Extent in bytes of a strided box: offset of its last element + 1 (0 if empty). */
const extent = (sizes: readonly number[], strides: readonly number[]): number =>
  sizes.some((s) => s === 0) ? 0 : 1 + sizes.reduce((a, s, d) => a + (s - 1) * strides[d], 0);

function finish(
  m: Machine,
  bursts: number,
  sramAddr: number,
  sramBytes: number,
  sramExtent: number,
): Work {
  const c = dmaCost(m.hw, bursts, sramBytes, slicesTouched(m.hw, sramAddr, sramExtent));
  return { cycles: c.latency + Math.max(c.dramCycles, c.sramCycles), macs: 0, dma: c };
}

export const dmaLoad: Exec<'dma.load'> = (m, i: InstructionOf<'dma.load'>) => {
  const r = channelRegs(m, i.channel);
  const size = [i.size0, i.size1, i.size2, i.size3];
  const lo = [i.padLo0, i.padLo1, i.padLo2, i.padLo3];
  const n = size.map((s, d) => lo[d] + s + [i.padHi0, i.padHi1, i.padHi2, i.padHi3][d]);
  const ss = [1, ...r.sram];
  const ds = [1, ...r.dram];
  const sramExt = extent(n, ss);
  const dramExt = extent(size, ds);
  m.checkSram(i.sramAddr, sramExt, 'dma.load destination');
  m.checkDram(i.dramAddr, dramExt, 'dma.load source');
  const { sram } = m;
  const dram = m.dram;
  const burst = m.hw.dram.burstBytes;
  const fill = i.fill;
  const [s0, s1, s2, s3] = size;
  const [l0, l1, l2, l3] = lo;
  const [n0, n1, n2, n3] = n;
  const [, ss1, ss2, ss3] = ss;
  const [, ds1, ds2, ds3] = ds;
  const sBase = i.sramAddr;
  const dBase = i.dramAddr;
  // a plane whose rows are contiguous on both sides, with no padding, is one copy
  const planeCopy = l0 === 0 && n0 === s0 && l1 === 0 && n1 === s1 && ss1 === s0 && ds1 === s0;
  const bursts = boxBursts(burst, dBase, size, ds);
  let written = 0;
  for (let i3 = 0; i3 < n3; i3++) {
    const in3 = i3 >= l3 && i3 < l3 + s3;
    for (let i2 = 0; i2 < n2; i2++) {
      const in2 = in3 && i2 >= l2 && i2 < l2 + s2;
      const dPlane = sBase + i2 * ss2 + i3 * ss3;
      const sPlane = dBase + (i2 - l2) * ds2 + (i3 - l3) * ds3;
      written += n0 * n1;
      if (in2 && planeCopy) {
        copy(sram, dPlane, dram, sPlane, s0 * s1);
        continue;
      }
      for (let i1 = 0; i1 < n1; i1++) {
        const dst = dPlane + i1 * ss1;
        if (in2 && i1 >= l1 && i1 < l1 + s1) {
          if (l0 > 0) sram.fill(fill, dst, dst + l0);
          copy(sram, dst + l0, dram, sPlane + (i1 - l1) * ds1, s0);
          if (n0 > l0 + s0) sram.fill(fill, dst + l0 + s0, dst + n0);
        } else sram.fill(fill, dst, dst + n0);
      }
    }
  }
  const read = bursts > 0 ? s0 * s1 * s2 * s3 : 0;
  m.traffic.dramRead += read;
  m.traffic.sramWritten += written;
  return finish(m, bursts, i.sramAddr, written, sramExt);
};

export const dmaStore: Exec<'dma.store'> = (m, i) => {
  const r = channelRegs(m, i.channel);
  const size = [i.size0, i.size1, i.size2, i.size3];
  const ss = [1, ...r.sram];
  const ds = [1, ...r.dram];
  const sramExt = extent(size, ss);
  m.checkSram(i.sramAddr, sramExt, 'dma.store source');
  m.checkDram(i.dramAddr, extent(size, ds), 'dma.store destination');
  const { sram } = m;
  const dram = m.dram;
  const burst = m.hw.dram.burstBytes;
  const [s0, s1, s2, s3] = size;
  const [, ss1, ss2, ss3] = ss;
  const [, ds1, ds2, ds3] = ds;
  // rows contiguous on both sides are one copy per plane (no overlap, so program order is kept)
  const planeCopy = ss1 === s0 && ds1 === s0;
  const bursts = boxBursts(burst, i.dramAddr, size, ds);
  for (let i3 = 0; i3 < s3; i3++)
    for (let i2 = 0; i2 < s2; i2++) {
      const src = i.sramAddr + i2 * ss2 + i3 * ss3;
      const dst = i.dramAddr + i2 * ds2 + i3 * ds3;
      if (planeCopy) copy(dram, dst, sram, src, s0 * s1);
      // copyWithin-like semantics between two arrays: later rows overwrite earlier ones (program order)
      else for (let i1 = 0; i1 < s1; i1++) copy(dram, dst + i1 * ds1, sram, src + i1 * ss1, s0);
    }
  const bytes = s0 * s1 * s2 * s3;
  m.traffic.dramWritten += bytes;
  m.traffic.sramRead += bytes;
  return finish(m, bursts, i.sramAddr, bytes, sramExt);
};
