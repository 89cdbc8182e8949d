// Cycle-cost formulas of the engines, from the hardware config only (docs/hardware-model.md '## Timing').
import type { HwConfig } from '../isa/hw-config.js';

/** DRAM bytes per core cycle: GB/s (10^9 B/s) over the clock (10^6 cycles/s). */
export const dramBytesPerCycle = (hw: HwConfig): number => (hw.dram.gbps * 1000) / hw.clockMhz;

/** Bytes one slice's SRAM moves per cycle: every bank reads or writes accessBytes. */
export const sramBytesPerCycle = (hw: HwConfig): number =>
  hw.sram.banksPerSlice * hw.sram.accessBytes;

/** Bursts covering a contiguous DRAM run [addr, addr + bytes): both ends are rounded out to burst boundaries. */
export function burstsOf(hw: HwConfig, addr: number, bytes: number): number {
  if (bytes <= 0) return 0;
  const b = hw.dram.burstBytes;
  return Math.floor((addr + bytes - 1) / b) - Math.floor(addr / b) + 1;
}

/**
 * DRAM bursts of a strided box [s0, s1, s2, s3] at `addr` (element strides 1, ds1, ds2, ds3): the box is cut into
 * maximal contiguous runs (a dimension whose stride equals the run length so far extends the run, as one DMA
 * descriptor streams adjacent rows), and each run is rounded out to whole bursts at both ends.
 */
export function boxBursts(
  burst: number,
  addr: number,
  s: readonly number[],
  ds: readonly number[],
): number {
  if (s.some((n) => n === 0)) return 0;
  let len = s[0];
  let k = 1;
  while (k < 4 && (s[k] === 1 || ds[k] === len)) len *= s[k++];
  const outer = [1, 1, 1, 1];
  const stride = [0, 0, 0, 0];
  for (let d = k; d < 4; d++) {
    outer[d] = s[d];
    stride[d] = ds[d];
  }
  let n = 0;
  for (let i3 = 0; i3 < outer[3]; i3++)
    for (let i2 = 0; i2 < outer[2]; i2++)
      for (
        let i1 = 0, a = addr + i2 * stride[2] + i3 * stride[3];
        i1 < outer[1];
        i1++, a += stride[1]
      )
        n += Math.floor((a + len - 1) / burst) - Math.floor(a / burst) + 1;
  return n;
}

/** Slices whose SRAM a byte range [addr, addr + bytes) touches. */
export function slicesTouched(hw: HwConfig, addr: number, bytes: number): number {
  if (bytes <= 0) return 1;
  const s = hw.sram.bytesPerSlice;
  return Math.floor((addr + bytes - 1) / s) - Math.floor(addr / s) + 1;
}

export interface DmaCost {
  /** Cycles of the fixed DRAM access latency. */
  latency: number;
  /** Cycles the shared DRAM interface is occupied moving whole bursts. */
  dramCycles: number;
  /** Cycles the SRAM side needs (banks of the slices touched, in parallel). */
  sramCycles: number;
  /** Bytes actually moved over the DRAM interface (whole bursts). */
  burstBytes: number;
}

/**
 * One DMA transfer: `bursts` DRAM bursts and `sramBytes` SRAM bytes spread over `slices` slices. The DRAM part is
 * the one the shared-bandwidth arbiter schedules (see Dispatcher); the total when DRAM is free is
 * latency + max(dramCycles, sramCycles).
 */
export function dmaCost(hw: HwConfig, bursts: number, sramBytes: number, slices: number): DmaCost {
  const burstBytes = bursts * hw.dram.burstBytes;
  return {
    latency: hw.dram.latencyCycles,
    dramCycles: Math.ceil(burstBytes / dramBytesPerCycle(hw)),
    sramCycles: Math.ceil(sramBytes / (sramBytesPerCycle(hw) * Math.max(1, slices))),
    burstBytes,
  };
}

/**
 * A convolution on the MAC arrays. Output pixels are spread over the slices (each slice computes whole pixels;
 * the last round may leave slices idle); within a slice, every cycle one array pass takes mac.width input
 * channels of one kernel tap into mac.height output channels, for one group (channels of other groups cannot
 * share a pass: grouped and depthwise conv under-use the array).
 */
export function convCycles(
  hw: HwConfig,
  g: { pixels: number; groups: number; cg: number; kg: number; taps: number },
): number {
  const rounds = Math.ceil(g.pixels / hw.slices);
  return (
    rounds * g.groups * Math.ceil(g.kg / hw.mac.height) * Math.ceil(g.cg / hw.mac.width) * g.taps
  );
}

/** A GEMM: rows of A play the role of output pixels (spread over slices), n output channels, k reduction. */
export const gemmCycles = (hw: HwConfig, m: number, n: number, k: number): number =>
  convCycles(hw, { pixels: m, groups: 1, cg: k, kg: n, taps: 1 });

/** Vector engine: all slices' lanes work on `elements` element-operations in parallel. */
export const vectorCycles = (hw: HwConfig, elements: number): number =>
  Math.ceil(elements / (hw.vector.lanesPerSlice * hw.slices));

/**
 * The row kernels vec.softmax and vec.layernorm (docs/hardware-model.md '### I-BERT row kernels'): whole rows go to
 * slices (row r to slice r mod slices, in rounds of `slices` rows); a slice streams a row through its lanes once
 * per pass, ceil(len / lanesPerSlice) cycles, and a reduction pass adds the lane tree's reduceCycles.
 */
export const rowPassCycles = (hw: HwConfig, len: number): number =>
  Math.ceil(len / hw.vector.lanesPerSlice);

/** One softmax row: max pass + reduce, exp-and-sum pass + reduce, one division (2^32 / sum), normalize pass. */
export const softmaxRowCycles = (hw: HwConfig, len: number): number =>
  3 * rowPassCycles(hw, len) + 2 * hw.vector.reduceCycles + hw.vector.divCycles;

/**
 * One LayerNorm row: mean pass + reduce + division; `variancePasses` (the dynamic shift s + 1) variance passes
 * + reduce; `newtonSteps` i-sqrt Newton steps of one division each; the factor division; the normalize pass.
 * The fewest passes and steps (s = 0, a zero variance) give the minimum; the simulator charges the row's own.
 */
export const layerNormRowCycles = (
  hw: HwConfig,
  len: number,
  variancePasses: number,
  newtonSteps: number,
): number =>
  (2 + variancePasses) * rowPassCycles(hw, len) +
  (1 + variancePasses) * hw.vector.reduceCycles +
  (2 + newtonSteps) * hw.vector.divCycles;

/** Rows in rounds over the slices: each round lasts as long as its slowest row. */
export function rowRoundsCycles(hw: HwConfig, rowCycles: ArrayLike<number>): number {
  let total = 0;
  for (let r0 = 0; r0 < rowCycles.length; r0 += hw.slices) {
    let round = 0;
    for (let r = r0; r < Math.min(r0 + hw.slices, rowCycles.length); r++)
      round = Math.max(round, rowCycles[r]);
    total += round;
  }
  return total;
}
