// The hardware-config parameter table: every parameter's path, constraint, meaning and source (drives validation and docs).
import { DMA_CHANNEL_BITS, LUT_INDEX_BITS, SYNC_MASK_BITS } from './word.js';

export interface ParamSpec {
  /** Dotted path inside HwConfig. */
  readonly path: string;
  readonly kind: 'int' | 'number' | 'string' | 'enum';
  readonly min?: number;
  readonly max?: number;
  readonly pow2?: boolean;
  readonly values?: readonly string[];
  readonly unit?: string;
  readonly doc: string;
  /** Where the preset values come from: a published fact, a derived value, or our assumption. */
  readonly source: string;
}

const YML = 'Warboy compiler config 128dpes.yml / 64dpes.yml (MLPerf v1.1 submission)';

export const HW_PARAMS: readonly ParamSpec[] = [
  {
    path: 'name',
    kind: 'string',
    doc: 'Preset or file name; shown in messages, not part of the fingerprint.',
    source: 'ours',
  },
  {
    path: 'description',
    kind: 'string',
    doc: 'One line for humans; not part of the fingerprint.',
    source: 'ours',
  },
  {
    path: 'peCount',
    kind: 'int',
    min: 1,
    max: 2,
    doc: 'Processing elements fused into this NPU (informational; the slices count is what the ISA sees).',
    source: `num_pe in ${YML}; SDK docs "Single PE vs Fusion PE"`,
  },
  {
    path: 'slices',
    kind: 'int',
    min: 1,
    max: 4096,
    doc: 'Slices (one MAC array + SRAM slice + vector lanes each) in the NPU.',
    source: `num_slices in ${YML}: 128 fused, 64 per PE`,
  },
  {
    path: 'mac.width',
    kind: 'int',
    min: 1,
    max: 1024,
    unit: 'MACs',
    doc: 'MAC array width per slice: input channels (reduction lanes) consumed per cycle.',
    source: `mac_width: 32 in ${YML}`,
  },
  {
    path: 'mac.height',
    kind: 'int',
    min: 1,
    max: 1024,
    unit: 'MACs',
    doc: 'MAC array height per slice: output channels produced per cycle.',
    source: `mac_height: 4 in ${YML}; 128 x 32 x 4 x 2 op x 2 GHz = 64 TOPS (published)`,
  },
  {
    path: 'mac.accBits',
    kind: 'int',
    min: 32,
    max: 32,
    unit: 'bits',
    doc: 'Accumulator width; int32 (products and bias add wrap modulo 2^32).',
    source: 'int8 x int8 -> int32 as in VTA, Gemmini, TFLite, ONNX Runtime',
  },
  {
    path: 'sram.bytesPerSlice',
    kind: 'int',
    min: 1024,
    pow2: true,
    unit: 'bytes',
    doc: 'SRAM populated per slice; slice s owns SRAM addresses [s*bytesPerSlice, (s+1)*bytesPerSlice).',
    source: `size_actual_sram_slice: 262144 in ${YML}; 128 x 256 KiB = 32 MiB (published)`,
  },
  {
    path: 'sram.banksPerSlice',
    kind: 'int',
    min: 1,
    max: 256,
    pow2: true,
    doc: 'Independent single-ported SRAM banks per slice (bank = (addr / accessBytes) mod banks).',
    source: 'assumption (RNGD documents 16 banks per slice; Warboy does not say)',
  },
  {
    path: 'sram.accessBytes',
    kind: 'int',
    min: 1,
    max: 256,
    pow2: true,
    unit: 'bytes',
    doc: 'Bytes one bank reads or writes per cycle.',
    source: `sram_access_width: 8 in ${YML}`,
  },
  {
    path: 'clockMhz',
    kind: 'number',
    min: 1,
    max: 100000,
    unit: 'MHz',
    doc: 'Core clock; converts cycles to latency.',
    source: 'Warboy spec: 2.0 GHz',
  },
  {
    path: 'dram.sizeBytes',
    kind: 'int',
    min: 65536,
    unit: 'bytes',
    doc: 'DRAM capacity (flat byte space starting at address 0).',
    source: `size_dram: 17179869184 in ${YML}; 16 GB LPDDR4X (spec)`,
  },
  {
    path: 'dram.gbps',
    kind: 'number',
    min: 0.001,
    max: 100000,
    unit: 'GB/s',
    doc: 'Peak DRAM bandwidth (10^9 bytes per second) shared by all DMA channels.',
    source: 'Warboy spec: LPDDR4X 4266 Mbps, 66 GB/s',
  },
  {
    path: 'dram.burstBytes',
    kind: 'int',
    min: 1,
    max: 4096,
    pow2: true,
    unit: 'bytes',
    doc: 'DRAM transfer granule: every contiguous DMA run is rounded up to whole bursts.',
    source: `assumption; io_alignment: 64 in ${YML}`,
  },
  {
    path: 'dram.latencyCycles',
    kind: 'int',
    min: 0,
    max: 1000000,
    unit: 'cycles',
    doc: 'Fixed latency of one DMA transfer before its first byte arrives.',
    source: 'assumption (~100 ns LPDDR4X access at 2 GHz)',
  },
  {
    path: 'vector.lanesPerSlice',
    kind: 'int',
    min: 1,
    max: 1024,
    unit: 'elements/cycle',
    doc: 'Elements the vector engine processes per cycle in each slice.',
    source: 'assumption (ve_* fields in the yml, meaning not published)',
  },
  {
    path: 'vector.reduceCycles',
    kind: 'int',
    min: 0,
    max: 1000,
    unit: 'cycles',
    doc: "Latency of folding a slice's lanes into one value (max or sum tree) at the end of a row reduction pass (vec.softmax, vec.layernorm).",
    source: 'assumption: a log2(lanes)-deep adder/max tree plus one broadcast cycle (32 lanes: 6)',
  },
  {
    path: 'vector.divCycles',
    kind: 'int',
    min: 1,
    max: 1000,
    unit: 'cycles',
    doc: "One integer division in a slice's vector unit (softmax 2^32/sum, LayerNorm mean and factor, each Newton step of i-sqrt).",
    source: 'assumption: radix-4 iterative divider, 2 quotient bits per cycle for 32 bits',
  },
  {
    path: 'dma.engines',
    kind: 'int',
    min: 1,
    max: 2 ** DMA_CHANNEL_BITS,
    doc: 'DMA channels (independent in-order queues, e.g. one for loads, one for stores).',
    source: 'assumption (VTA has separate load and store modules)',
  },
  {
    path: 'requant',
    kind: 'enum',
    values: ['float', 'fixed'],
    doc: "Requantization arithmetic: 'float' = ONNX Runtime (float32 multiplier, round half to even); 'fixed' = TFLite (int32 multiplier + shift).",
    source: 'ours (docs/hardware-model.md; reference interpreter modes)',
  },
  {
    path: 'lutEntries',
    kind: 'int',
    min: 2 ** LUT_INDEX_BITS,
    max: 2 ** LUT_INDEX_BITS,
    doc: 'Entries of an activation lookup table (one per int8/uint8 input value).',
    source: 'ours (int8 index); Furiosa uses 256-entry tabulated dequantization',
  },
  {
    path: 'instructionMemoryBytes',
    kind: 'int',
    min: 1024,
    pow2: true,
    unit: 'bytes',
    doc: 'Instruction memory; a program larger than this does not fit.',
    source: `size_instruction_memory: 262144 in ${YML}`,
  },
  {
    path: 'semaphores',
    kind: 'int',
    min: 1,
    max: SYNC_MASK_BITS,
    doc: 'Counting semaphores available for engine synchronization (the ISA masks address at most 16).',
    source: 'ours (ISA sync model, docs/isa.md)',
  },
];

const HOROWITZ = 'Horowitz, "Computing\'s energy problem", ISSCC 2014 (45 nm, 0.9 V)';

/**
 * The energy table (docs/hardware-model.md '## Energy'): per-event energies and static power. They do not change
 * what a program computes or how long it takes, so they are validated like every parameter but are not part of
 * the fingerprint (a program compiled for a config runs on the same config with other energy numbers).
 */
export const ENERGY_PARAMS: readonly ParamSpec[] = [
  {
    path: 'energy.macPj',
    kind: 'number',
    min: 0,
    max: 1000,
    unit: 'pJ',
    doc: 'Energy of one useful int8 x int8 MAC with its int32 accumulation (idle MACs are clock-gated).',
    source: `assumption: ${HOROWITZ} 8-bit multiply 0.2 pJ + 32-bit add 0.1 pJ, x 0.3 for 14 nm (assumed scaling)`,
  },
  {
    path: 'energy.sramPjPerByte',
    kind: 'number',
    min: 0,
    max: 1000,
    unit: 'pJ/byte',
    doc: 'Energy per byte read from or written to the on-chip SRAM slices (DMA, MAC operand fetch, vector).',
    source: `assumption: ${HOROWITZ} 64-bit read of an 8-32 KB SRAM 10-20 pJ (~1.75 pJ/B for a 16 KiB bank), x 0.3 for 14 nm`,
  },
  {
    path: 'energy.dramPjPerByte',
    kind: 'number',
    min: 0,
    max: 100000,
    unit: 'pJ/byte',
    doc: 'Energy per payload byte moved between DRAM and the chip (array access, I/O and PHY).',
    source: `assumption: ~5 pJ/bit for LPDDR4X; ${HOROWITZ} gives 1.3-2.6 nJ per 64-bit DDR3 access (an upper bound)`,
  },
  {
    path: 'energy.vectorPjPerOp',
    kind: 'number',
    min: 0,
    max: 1000,
    unit: 'pJ',
    doc: 'Energy of one vector lane-cycle (an element operation: add, multiply-and-requantize, table lookup, move).',
    source: `assumption: ${HOROWITZ} 32-bit multiply 3.1 pJ + add 0.1 pJ, x 0.3 for 14 nm, / 2 (most lane-ops are narrower)`,
  },
  {
    path: 'energy.staticW',
    kind: 'number',
    min: 0,
    max: 10000,
    unit: 'W',
    doc: 'Static power of the whole chip (leakage, clock tree, always-on I/O), paid for every cycle of a run.',
    source:
      'assumption: a quarter of the 40 W lower TDP setting of the Warboy card (spec: TDP 40-60 W)',
  },
];
