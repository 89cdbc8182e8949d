// Energy of a run from the simulator's event counts and the config's energy table (docs/hardware-model.md '## Energy').
import type { HwConfig } from '../isa/hw-config.js';

/** The event counts of a run (all inferences of a batch together). */
export interface EnergyCounts {
  readonly usefulMacs: number;
  /** SRAM bytes read plus written (DMA, MAC operand fetch and results, vector engine). */
  readonly sramBytes: number;
  /** DRAM payload bytes read plus written. */
  readonly dramBytes: number;
  /** Busy cycles of the vector engine; every one drives all lanes of all slices. */
  readonly vectorBusyCycles: number;
  readonly cycles: number;
  readonly inferences: number;
}

/** Energy in microjoules, split by where it is spent. */
export interface EnergyStats {
  readonly macUj: number;
  readonly sramUj: number;
  readonly dramUj: number;
  readonly vectorUj: number;
  readonly staticUj: number;
  readonly totalUj: number;
  readonly perInferenceUj: number;
  /** Average power over the run: totalUj / latency. */
  readonly averageW: number;
  /** Useful int8 operations (2 per MAC) per joule, over 10^12. */
  readonly topsPerWatt: number;
}

const PJ_PER_UJ = 1e6;

/** Vector lane-operations of a run: busy cycles x lanes of all slices (partial last rounds count as full). */
export const vectorLaneOps = (hw: HwConfig, busyCycles: number): number =>
  busyCycles * hw.vector.lanesPerSlice * hw.slices;

/**
 * Dynamic energy = sum of events x energy per event (MACs, SRAM bytes, DRAM bytes, vector lane-ops); static energy
 * = staticW x run time (cycles / clock). An activity-count model like Accelergy's table-based estimators.
 */
export function energyOf(hw: HwConfig, n: EnergyCounts): EnergyStats {
  const e = hw.energy;
  const macUj = (n.usefulMacs * e.macPj) / PJ_PER_UJ;
  const sramUj = (n.sramBytes * e.sramPjPerByte) / PJ_PER_UJ;
  const dramUj = (n.dramBytes * e.dramPjPerByte) / PJ_PER_UJ;
  const vectorUj = (vectorLaneOps(hw, n.vectorBusyCycles) * e.vectorPjPerOp) / PJ_PER_UJ;
  const seconds = n.cycles / (hw.clockMhz * 1e6);
  const staticUj = e.staticW * seconds * 1e6;
  const totalUj = macUj + sramUj + dramUj + vectorUj + staticUj;
  return {
    macUj,
    sramUj,
    dramUj,
    vectorUj,
    staticUj,
    totalUj,
    perInferenceUj: n.inferences === 0 ? 0 : totalUj / n.inferences,
    averageW: seconds === 0 ? 0 : totalUj / 1e6 / seconds,
    topsPerWatt: totalUj === 0 ? 0 : (2 * n.usefulMacs) / (totalUj / 1e6) / 1e12,
  };
}
