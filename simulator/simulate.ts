// simulate(): runs a prog.bin program on the configured NPU, bit-exact outputs plus cycle statistics and trace.
import { fail } from '../common/diagnostics.js';
import type { Tensor } from '../common/tensor.js';
import { fingerprint, fingerprintHex, macsPerCycle, type HwConfig } from '../isa/hw-config.js';
import { hex } from '../isa/bits.js';
import type { Program } from '../isa/program-file.js';
import { energyOf, type EnergyStats } from './energy.js';
import { engineNames, runCores, type RunResult } from './engines.js';
import { batchesOf, inputBytes, ioBytes, readOutput, stack } from './io.js';
import { Machine } from './machine.js';
import { traceResult, type TraceRecord, type TraceResult } from './trace.js';

export interface SimOptions {
  readonly hw: HwConfig;
  /** Collect per-instruction trace records (off: no records, no cost). */
  readonly trace?: boolean;
  /** Outputs as raw integers instead of dequantized float32. */
  readonly raw?: boolean;
  /**
   * A machine to run on (reset first), kept by callers that run a program many times (NpuSession): a new machine
   * allocates the whole SRAM (32 MiB on warboy-2pe). Must be built for the same hw.
   */
  readonly machine?: Machine;
  /**
   * Processing elements running inferences side by side (split mode, default 1): the program (compiled for one PE,
   * e.g. the `warboy` preset) runs on `pes` machines at once, their DMA sharing one DRAM interface; a batch goes in
   * rounds of `pes` inferences.
   */
  readonly pes?: number;
}

export interface EngineStats {
  readonly busyCycles: number;
  readonly stallCycles: number;
  readonly instructions: number;
}

export interface SimStats {
  readonly hw: string;
  readonly inferences: number;
  readonly cycles: number;
  readonly clockMhz: number;
  readonly latencyUs: number;
  readonly engines: Record<string, EngineStats>;
  readonly mac: {
    readonly usefulMacs: number;
    readonly macsPerCycle: number;
    readonly utilization: number;
  };
  readonly dram: { readonly bytesRead: number; readonly bytesWritten: number };
  readonly sram: { readonly bytesRead: number; readonly bytesWritten: number };
  readonly instructions: { readonly total: number; readonly byMnemonic: Record<string, number> };
  /** Split mode (SimOptions.pes > 1): throughput of the PEs together and the latency of one inference. */
  readonly split?: {
    readonly pes: number;
    readonly inferencesPerSecond: number;
    readonly meanLatencyUs: number;
  };
  /** From the counts above and hw.energy (simulator/energy.ts). */
  readonly energy: EnergyStats;
}

export interface SimResult {
  readonly outputs: Record<string, Tensor>;
  readonly stats: SimStats;
  /** Present when options.trace: records, Chrome Trace Event JSON and the text log. */
  readonly trace?: TraceResult;
}

function dramExtent(p: Program): number {
  let end = 0;
  for (const s of p.dram) end = Math.max(end, s.addr + s.data.length);
  for (const d of [...p.inputs, ...p.outputs]) end = Math.max(end, d.dramAddr + ioBytes(d));
  return end;
}

/**
 * The number of inferences `inputs` ask for (1, or N for a leading dimension of N x the batch), after the checks
 * every run makes, in this order: the hardware fingerprint, unknown input names, then per input missing, shape and
 * agreement with the other inputs.
 */
export function batchCount(
  program: Program,
  hw: HwConfig,
  inputs: Readonly<Record<string, Tensor>>,
): number {
  if (fingerprint(hw) !== program.hwFingerprint)
    fail('progFingerprint', [
      program.hwName,
      hex(program.hwFingerprint, 16),
      hw.name,
      fingerprintHex(hw),
    ]);
  for (const name of Object.keys(inputs))
    if (!program.inputs.some((d) => d.name === name))
      fail('unknownGraphInput', [name, program.inputs.map((d) => d.name).join(', ')]);
  let batches = 1;
  program.inputs.forEach((d, k) => {
    const t = inputs[d.name] ?? fail('missingGraphInput', [d.name]);
    const n = batchesOf(d, t);
    if (k > 0 && n !== batches)
      fail('simInput', [d.name, `asks for ${n} inferences, other inputs for ${batches}`]);
    batches = n;
  });
  return batches;
}

/** The counts a batch sums over its inferences; SimStats derive from them (statsOf). */
export interface Totals {
  cycles: number;
  inferences: number;
  macs: number;
  engines: Record<string, { busyCycles: number; stallCycles: number; instructions: number }>;
  byMnemonic: Record<string, number>;
  traffic: { dramRead: number; dramWritten: number; sramRead: number; sramWritten: number };
}

export const emptyTotals = (hw: HwConfig): Totals => ({
  cycles: 0,
  inferences: 0,
  macs: 0,
  engines: Object.fromEntries(
    engineNames(hw.dma.engines).map((n) => [n, { busyCycles: 0, stallCycles: 0, instructions: 0 }]),
  ),
  byMnemonic: {},
  traffic: { dramRead: 0, dramWritten: 0, sramRead: 0, sramWritten: 0 },
});

/** Adds one inference's run (its engines, counts and the machine's traffic counters); cycles are the caller's. */
function addRun(t: Totals, r: RunResult, m: Machine): void {
  t.inferences++;
  t.macs += r.macs;
  for (const es of r.engines) {
    const e = t.engines[es.name];
    e.busyCycles += es.busy;
    e.stallCycles += es.stall;
    e.instructions += es.instructions;
  }
  for (const [op, n] of Object.entries(r.counts)) t.byMnemonic[op] = (t.byMnemonic[op] ?? 0) + n;
  for (const k of Object.keys(t.traffic) as (keyof Totals['traffic'])[])
    t.traffic[k] += m.traffic[k];
}

/** SimStats from a batch's totals; `pes` PEs side by side (split mode) share the cycles and add their MAC arrays. */
export function statsOf(hw: HwConfig, t: Totals, pes = 1, latencySum = 0): SimStats {
  const { cycles, macs, traffic, byMnemonic } = t;
  const perCycle = macsPerCycle(hw) * pes;
  const seconds = cycles / (hw.clockMhz * 1e6);
  return {
    hw: pes > 1 ? `${pes} x ${hw.name}` : hw.name,
    inferences: t.inferences,
    cycles,
    clockMhz: hw.clockMhz,
    latencyUs: cycles / hw.clockMhz,
    engines: t.engines,
    mac: {
      usefulMacs: macs,
      macsPerCycle: perCycle,
      utilization: cycles === 0 ? 0 : macs / (cycles * perCycle),
    },
    dram: { bytesRead: traffic.dramRead, bytesWritten: traffic.dramWritten },
    sram: { bytesRead: traffic.sramRead, bytesWritten: traffic.sramWritten },
    instructions: { total: Object.values(byMnemonic).reduce((a, n) => a + n, 0), byMnemonic },
    energy: energyOf(hw, {
      usefulMacs: macs,
      sramBytes: traffic.sramRead + traffic.sramWritten,
      dramBytes: traffic.dramRead + traffic.dramWritten,
      vectorBusyCycles: t.engines.vector?.busyCycles ?? 0,
      cycles,
      inferences: t.inferences,
    }),
    ...(pes > 1
      ? {
          split: {
            pes,
            inferencesPerSecond: seconds === 0 ? 0 : t.inferences / seconds,
            meanLatencyUs: latencySum / t.inferences / hw.clockMhz,
          },
        }
      : {}),
  };
}

/** Runs `program` once per inference (N from a leading N x batch input dimension) and stacks the outputs. */
export function simulate(
  program: Program,
  inputs: Readonly<Record<string, Tensor>>,
  options: SimOptions,
): SimResult {
  const hw = options.hw;
  const batches = batchCount(program, hw, inputs);
  const extent = dramExtent(program);
  if (extent > hw.dram.sizeBytes)
    fail('progBadSection', [
      'dram',
      `the image and I/O need ${extent} bytes; ${hw.name} has ${hw.dram.sizeBytes}`,
    ]);
  const pes = options.pes ?? 1;
  if (!Number.isInteger(pes) || pes < 1) fail('badArgument', [`pes must be >= 1, got ${pes}`]);
  const nodes = new Map(program.debug.map((e) => [e.pc, e.node]));
  const records: TraceRecord[] = [];
  const totals = emptyTotals(hw);
  const parts: Record<string, Tensor[]> = Object.fromEntries(
    program.outputs.map((d) => [d.name, []]),
  );
  // one machine per PE; the caller's machine (kept across runs) is the first when it fits
  const reused = options.machine !== undefined && options.machine.hw === hw;
  const machines = Array.from({ length: pes }, (_, p) =>
    p === 0 && reused ? options.machine : new Machine(hw, extent),
  );
  const loaded = new Set<Machine>();
  const load = (m: Machine, b: number): void => {
    if (loaded.has(m) || (reused && m === options.machine)) {
      m.reset();
      m.dram.fill(0);
      m.growDram(extent);
    }
    loaded.add(m);
    for (const seg of program.dram) m.dram.set(seg.data, seg.addr);
    for (const d of program.inputs) m.dram.set(inputBytes(d, inputs[d.name], b), d.dramAddr);
  };
  let latencySum = 0;
  // rounds of `pes` inferences side by side (one round of one inference per PE: split mode); a single PE runs
  // the batch one inference after another
  for (let b0 = 0; b0 < batches; b0 += pes) {
    const group = machines.slice(0, Math.min(pes, batches - b0));
    const offset = totals.cycles;
    const specs = group.map((m, p) => {
      load(m, b0 + p);
      const engine = (e: string): string => (pes > 1 ? `pe${p}.${e}` : e);
      const trace =
        options.trace === true
          ? (r: TraceRecord) =>
              records.push({
                ...r,
                engine: engine(r.engine),
                start: r.start + offset,
                end: r.end + offset,
              })
          : undefined;
      return { m, code: program.code, nodes, trace };
    });
    const results = runCores(specs);
    totals.cycles += Math.max(...results.map((r) => r.cycles));
    results.forEach((r, p) => {
      latencySum += r.cycles;
      addRun(totals, r, group[p]);
      for (const d of program.outputs)
        parts[d.name].push(readOutput(d, group[p].dram, options.raw === true));
    });
  }
  const stats = statsOf(hw, totals, pes, latencySum);
  const outputs = Object.fromEntries(Object.entries(parts).map(([n, ts]) => [n, stack(ts)]));
  if (options.trace !== true) return { outputs, stats };
  const names = engineNames(hw.dma.engines);
  const tracks = pes > 1 ? machines.flatMap((_, p) => names.map((n) => `pe${p}.${n}`)) : names;
  return { outputs, stats, trace: traceResult(records, tracks, hw.clockMhz) };
}
