// DMA instructions: dma.cfg, dma.load (4-D strided box with padding fill) and dma.store, and their DRAM/SRAM cost.
import type { InstructionOf } from '../../isa/instructions.js';
import type { Machine } from '../machine.js';
import { burstsOf, dmaCost, slicesTouched } from '../timing.js';
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
  let bursts = 0;
  let written = 0;
  for (let i3 = 0; i3 < n[3]; i3++) {
    const in3 = i3 >= lo[3] && i3 < lo[3] + size[3];
    for (let i2 = 0; i2 < n[2]; i2++) {
      const in2 = in3 && i2 >= lo[2] && i2 < lo[2] + size[2];
      for (let i1 = 0; i1 < n[1]; i1++) {
        const in1 = in2 && i1 >= lo[1] && i1 < lo[1] + size[1];
        const dst = i.sramAddr + i1 * ss[1] + i2 * ss[2] + i3 * ss[3];
        const src = i.dramAddr + (i1 - lo[1]) * ds[1] + (i2 - lo[2]) * ds[2] + (i3 - lo[3]) * ds[3];
        if (in1) {
          if (lo[0] > 0) sram.fill(i.fill, dst, dst + lo[0]);
          copy(sram, dst + lo[0], dram, src, size[0]);
          if (n[0] > lo[0] + size[0]) sram.fill(i.fill, dst + lo[0] + size[0], dst + n[0]);
          bursts += burstsOf(m.hw, src, size[0]);
        } else sram.fill(i.fill, dst, dst + n[0]);
        written += n[0];
      }
    }
  }
  const read = bursts > 0 ? size[0] * size[1] * size[2] * size[3] : 0;
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
  let bursts = 0;
  let bytes = 0;
  for (let i3 = 0; i3 < size[3]; i3++)
    for (let i2 = 0; i2 < size[2]; i2++)
      for (let i1 = 0; i1 < size[1]; i1++) {
        const src = i.sramAddr + i1 * ss[1] + i2 * ss[2] + i3 * ss[3];
        const dst = i.dramAddr + i1 * ds[1] + i2 * ds[2] + i3 * ds[3];
        // copyWithin-like semantics between two arrays: later rows overwrite earlier ones (program order)
        copy(dram, dst, sram, src, size[0]);
        bursts += burstsOf(m.hw, dst, size[0]);
        bytes += size[0];
      }
  m.traffic.dramWritten += bytes;
  m.traffic.sramRead += bytes;
  return finish(m, bursts, i.sramAddr, bytes, sramExt);
};
