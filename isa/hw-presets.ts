// The named hardware presets: warboy-2pe (default, 2 PEs fused), warboy (one PE) and edge (small, for fast tests).
import type { HwConfig } from './hw-config.js';

const KiB = 1024;
const GiB = 1024 * 1024 * 1024;

/** Per-event energies at 14 nm (sources and assumptions: ENERGY_PARAMS in hw-params.ts, docs/hardware-model.md). */
const ENERGY_14NM = {
  macPj: 0.1,
  sramPjPerByte: 0.5,
  dramPjPerByte: 40,
  vectorPjPerOp: 0.5,
} as const;

const WARBOY_2PE: HwConfig = {
  name: 'warboy-2pe',
  description: 'FuriosaAI Warboy, both PEs fused (compiler target warboy-2pe, 128dpes.yml)',
  peCount: 2,
  slices: 128,
  mac: { width: 32, height: 4, accBits: 32 },
  sram: { bytesPerSlice: 256 * KiB, banksPerSlice: 16, accessBytes: 8 },
  clockMhz: 2000,
  dram: { sizeBytes: 16 * GiB, gbps: 66, burstBytes: 64, latencyCycles: 200 },
  vector: { lanesPerSlice: 32, reduceCycles: 6, divCycles: 16 },
  dma: { engines: 2 },
  requant: 'float',
  lutEntries: 256,
  instructionMemoryBytes: 256 * KiB,
  semaphores: 16,
  // static power is the whole chip's: one PE running alone still pays for the idle one
  energy: { ...ENERGY_14NM, staticW: 10 },
};

const WARBOY_1PE: HwConfig = {
  ...WARBOY_2PE,
  name: 'warboy',
  description: 'FuriosaAI Warboy, one PE (compiler target warboy, 64dpes.yml)',
  peCount: 1,
  slices: 64,
};

const EDGE: HwConfig = {
  name: 'edge',
  description: 'A small NPU for fast tests: 4 slices of 8x4 MACs and 32 KiB SRAM',
  peCount: 1,
  slices: 4,
  mac: { width: 8, height: 4, accBits: 32 },
  sram: { bytesPerSlice: 32 * KiB, banksPerSlice: 4, accessBytes: 8 },
  clockMhz: 1000,
  dram: { sizeBytes: 1 * GiB, gbps: 8, burstBytes: 64, latencyCycles: 100 },
  vector: { lanesPerSlice: 8, reduceCycles: 4, divCycles: 16 },
  dma: { engines: 2 },
  requant: 'float',
  lutEntries: 256,
  instructionMemoryBytes: 64 * KiB,
  semaphores: 16,
  energy: { ...ENERGY_14NM, staticW: 0.1 },
};

export const PRESETS: Readonly<Partial<Record<string, HwConfig>>> = {
  'warboy-2pe': WARBOY_2PE,
  warboy: WARBOY_1PE,
  edge: EDGE,
};

export const DEFAULT_PRESET = 'warboy-2pe';
