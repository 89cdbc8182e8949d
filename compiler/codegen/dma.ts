// DMA instruction helpers: strided loads / stores, and long 1-D copies split at the 16-bit size limit.

import type { Instruction, InstructionOf } from '../../isa/instructions.js';
import { ins } from './builder.js';

/** Largest 1-D piece: under 2^16 and a multiple of the 64-byte burst. */
const MAX_RUN = 0xffc0;

type Box = [number, number, number, number];

export const cfg = (
  channel: number,
  dram: [number, number, number],
  sramS: [number, number, number],
): InstructionOf<'dma.cfg'> =>
  ins('dma.cfg', {
    channel,
    dramStride1: dram[0],
    dramStride2: dram[1],
    dramStride3: dram[2],
    sramStride1: sramS[0],
    sramStride2: sramS[1],
    sramStride3: sramS[2],
  });

export interface Padding {
  fill: number;
  lo: Box;
  hi: Box;
}

export const load = (
  dramAddr: number,
  sramAddr: number,
  size: Box,
  pad?: Padding,
): InstructionOf<'dma.load'> =>
  ins('dma.load', {
    channel: 0,
    dramAddr,
    sramAddr,
    size0: size[0],
    size1: size[1],
    size2: size[2],
    size3: size[3],
    fill: pad?.fill ?? 0,
    padLo0: pad?.lo[0] ?? 0,
    padHi0: pad?.hi[0] ?? 0,
    padLo1: pad?.lo[1] ?? 0,
    padHi1: pad?.hi[1] ?? 0,
    padLo2: pad?.lo[2] ?? 0,
    padHi2: pad?.hi[2] ?? 0,
    padLo3: pad?.lo[3] ?? 0,
    padHi3: pad?.hi[3] ?? 0,
  });

export const store = (sramAddr: number, dramAddr: number, size: Box): InstructionOf<'dma.store'> =>
  ins('dma.store', {
    channel: 1,
    sramAddr,
    dramAddr,
    size0: size[0],
    size1: size[1],
    size2: size[2],
    size3: size[3],
  });

/** A contiguous DRAM → SRAM copy of any length (constants): one load per 64 KiB piece; strides unused. */
export function loadBytes(dramAddr: number, sramAddr: number, bytes: number): Instruction[] {
  const out: Instruction[] = [];
  for (let o = 0; o < bytes; o += MAX_RUN)
    out.push(load(dramAddr + o, sramAddr + o, [Math.min(MAX_RUN, bytes - o), 1, 1, 1]));
  return out;
}

/** Largest divisor of `run` that is <= `limit` (and 0xffff): the size0 of a contiguous run split into equal rows. */
export function rowOf(run: number, limit = 0xffff): number {
  for (let d = Math.min(run, limit, 0xffff); d >= 1; d--) if (run % d === 0) return d;
  return 1;
}
