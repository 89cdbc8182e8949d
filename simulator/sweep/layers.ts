// Trace summaries: per-layer (ONNX node) cycles, MACs and DRAM bytes, and a binned per-engine utilisation timeline.
import type { HwConfig } from '../../isa/hw-config.js';
import type { InstructionOf } from '../../isa/instructions.js';
import { boxBursts, dramBytesPerCycle } from '../timing.js';
import type { TraceRecord } from '../trace.js';

export interface LayerRow {
  /** The ONNX node the instructions were emitted for. */
  readonly node: string;
  /** First start and last end of the node's instructions (cycles from the start of the run). */
  readonly start: number;
  readonly end: number;
  /** Useful MACs of its conv / gemm instructions. */
  readonly macs: number;
  /** DRAM payload bytes of its DMA instructions (loads and stores). */
  readonly dramBytes: number;
  /** Busy cycles per engine kind. */
  readonly macCycles: number;
  readonly dmaCycles: number;
  readonly vectorCycles: number;
  /** Cycles its DMAs occupy the shared DRAM bus (whole bursts, as the timing model moves them; 0 without hw). */
  readonly dramBusCycles: number;
}

type Shape = InstructionOf<'mac.shape'>;

/** Output size of a conv along one axis (as simulator/execute/mac.ts). */
export const convOut = (
  inp: number,
  lo: number,
  hi: number,
  k: number,
  dil: number,
  stride: number,
): number => Math.floor((inp + lo + hi - dil * (k - 1) - 1) / stride) + 1;

/** Useful MACs of one conv instruction under mac.shape `s`. */
export function convMacs(s: Shape): number {
  const outH = convOut(s.inH, s.padT, s.padB, s.kH, s.dilH, s.strideH);
  const outW = convOut(s.inW, s.padL, s.padR, s.kW, s.dilW, s.strideW);
  return s.outC * outH * outW * (s.inC / s.groups) * s.kH * s.kW;
}

const boxBytes = (i: { size0: number; size1: number; size2: number; size3: number }): number =>
  i.size0 * i.size1 * i.size2 * i.size3;

/** Cycles one transfer holds the DRAM bus: its contiguous runs rounded out to whole bursts (simulator/timing.ts). */
function busCycles(
  hw: HwConfig,
  i: InstructionOf<'dma.load'> | InstructionOf<'dma.store'>,
  [d1, d2, d3]: readonly number[],
): number {
  const size = [i.size0, i.size1, i.size2, i.size3];
  const bursts = boxBursts(hw.dram.burstBytes, i.dramAddr, size, [1, d1, d2, d3]);
  return Math.ceil((bursts * hw.dram.burstBytes) / dramBytesPerCycle(hw));
}

/** Cycles all transfers of a run hold the shared DRAM bus (a split-mode pair of PEs contends for this). */
export function dramBusCyclesOf(records: readonly TraceRecord[], hw: HwConfig): number {
  const strides = new Map<number, [number, number, number]>();
  let total = 0;
  for (const r of records) {
    if (r.ins.op === 'dma.cfg')
      strides.set(r.ins.channel, [r.ins.dramStride1, r.ins.dramStride2, r.ins.dramStride3]);
    else if (r.ins.op === 'dma.load' || r.ins.op === 'dma.store')
      total += busCycles(hw, r.ins, strides.get(r.ins.channel) ?? [0, 0, 0]);
  }
  return total;
}

/** The MAC engine's records in execution order (so every conv follows the mac.shape it uses). */
export function macOrder(records: readonly TraceRecord[]): TraceRecord[] {
  return records.filter((r) => r.engine === 'mac').sort((a, b) => a.start - b.start || a.pc - b.pc);
}

/** Per-node sums, in order of each node's first instruction; records without a node are left out. */
export function layersOf(records: readonly TraceRecord[], hw?: HwConfig): LayerRow[] {
  const rows = new Map<string, { -readonly [K in keyof LayerRow]: LayerRow[K] }>();
  const rowOf = (
    r: TraceRecord,
  ): (typeof rows extends Map<string, infer V> ? V : never) | undefined => {
    if (r.node === undefined) return undefined;
    let row = rows.get(r.node);
    if (row === undefined) {
      row = {
        node: r.node,
        start: r.start,
        end: r.end,
        macs: 0,
        dramBytes: 0,
        macCycles: 0,
        dmaCycles: 0,
        vectorCycles: 0,
        dramBusCycles: 0,
      };
      rows.set(r.node, row);
    }
    row.start = Math.min(row.start, r.start);
    row.end = Math.max(row.end, r.end);
    return row;
  };
  let shape: Shape | undefined;
  for (const r of macOrder(records)) {
    const row = rowOf(r);
    if (r.ins.op === 'mac.shape') shape = r.ins;
    if (row === undefined) continue;
    row.macCycles += r.end - r.start;
    if (r.ins.op === 'conv' && shape !== undefined) row.macs += convMacs(shape);
    if (r.ins.op === 'gemm') row.macs += r.ins.m * r.ins.n * r.ins.k;
  }
  // records are in start order, so each channel's dma.cfg precedes the transfers that use its strides
  const strides = new Map<number, [number, number, number]>();
  for (const r of records) {
    if (r.engine === 'mac') continue;
    if (r.ins.op === 'dma.cfg')
      strides.set(r.ins.channel, [r.ins.dramStride1, r.ins.dramStride2, r.ins.dramStride3]);
    const row = rowOf(r);
    if (row === undefined) continue;
    if (r.engine === 'vector') row.vectorCycles += r.end - r.start;
    else if (r.engine.startsWith('dma')) {
      row.dmaCycles += r.end - r.start;
      if (r.ins.op === 'dma.load' || r.ins.op === 'dma.store') {
        row.dramBytes += boxBytes(r.ins);
        if (hw !== undefined)
          row.dramBusCycles += busCycles(hw, r.ins, strides.get(r.ins.channel) ?? [0, 0, 0]);
      }
    }
  }
  return [...rows.values()].sort((a, b) => a.start - b.start);
}

export interface Timeline {
  readonly cycles: number;
  readonly binCycles: number;
  /** Engine name -> busy fraction (0..1) per bin. */
  readonly engines: Record<string, number[]>;
}

/** Busy fraction of every engine (dma0.., mac, vector) in `bins` equal time bins over [0, cycles). */
export function timelineOf(
  records: readonly TraceRecord[],
  cycles: number,
  bins: number,
): Timeline {
  const n = Math.max(1, Math.min(bins, cycles));
  const binCycles = Math.max(1, cycles / n);
  const engines: Record<string, number[]> = {};
  for (const r of records) {
    if (r.engine === 'ctrl' || r.end <= r.start) continue;
    const row = (engines[r.engine] ??= new Array<number>(n).fill(0));
    for (let b = Math.floor(r.start / binCycles); b < n && b * binCycles < r.end; b++) {
      const lo = Math.max(r.start, b * binCycles);
      const hi = Math.min(r.end, (b + 1) * binCycles);
      if (hi > lo) row[b] += (hi - lo) / binCycles;
    }
  }
  // dma0.., mac, vector: the order of the simulator's engine list
  const order = (e: string): string =>
    e.startsWith('dma') ? `0${e}` : e === 'mac' ? '1' : `2${e}`;
  const sorted = Object.fromEntries(
    Object.entries(engines).sort(([a], [b]) => order(a).localeCompare(order(b))),
  );
  for (const row of Object.values(sorted)) for (let b = 0; b < n; b++) row[b] = Math.min(1, row[b]);
  return { cycles, binCycles, engines: sorted };
}
