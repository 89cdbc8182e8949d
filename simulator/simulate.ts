// simulate(): runs a prog.bin program on the configured NPU, bit-exact outputs plus cycle statistics and trace.
import { fail } from '../common/diagnostics.js';
import type { Tensor } from '../common/tensor.js';
import { fingerprint, fingerprintHex, macsPerCycle, type HwConfig } from '../isa/hw-config.js';
import { hex } from '../isa/bits.js';
import type { Program } from '../isa/program-file.js';
import { energyOf, type EnergyStats } from './energy.js';
import { engineNames, run, runCores, type RunResult } from './engines.js';
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

/** Runs `program` once per inference (N from a leading N x batch input dimension) and stacks the outputs. */
export function simulate(
  program: Program,
  inputs: Readonly<Record<string, Tensor>>,
  options: SimOptions,
): SimResult {
  const hw = options.hw;
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
  const extent = dramExtent(program);
  if (extent > hw.dram.sizeBytes)
    fail('progBadSection', [
      'dram',
      `the image and I/O need ${extent} bytes; ${hw.name} has ${hw.dram.sizeBytes}`,
    ]);
  const nodes = new Map(program.debug.map((e) => [e.pc, e.node]));
  const records: TraceRecord[] = [];
  const names = engineNames(hw.dma.engines);
  const engineTotals = Object.fromEntries(
    names.map((n) => [n, { busyCycles: 0, stallCycles: 0, instructions: 0 }]),
  );
  const byMnemonic: Record<string, number> = {};
  const traffic = { dramRead: 0, dramWritten: 0, sramRead: 0, sramWritten: 0 };
  const parts: Record<string, Tensor[]> = Object.fromEntries(
    program.outputs.map((d) => [d.name, []]),
  );
  let cycles = 0;
  let macs = 0;
  const pes = options.pes ?? 1;
  if (!Number.isInteger(pes) || pes < 1) fail('badArgument', [`pes must be >= 1, got ${pes}`]);
  if (pes > 1) return simulateSplit(program, inputs, options, pes, batches, extent, nodes);
  const reused = options.machine !== undefined && options.machine.hw === hw;
  const m = reused ? options.machine : new Machine(hw, extent);
  for (let b = 0; b < batches; b++) {
    if (b > 0 || reused) {
      m.reset();
      m.dram.fill(0);
      m.growDram(extent);
    }
    for (const s of program.dram) m.dram.set(s.data, s.addr);
    for (const d of program.inputs) m.dram.set(inputBytes(d, inputs[d.name], b), d.dramAddr);
    const offset = cycles;
    const tracer =
      options.trace === true
        ? (r: TraceRecord) => records.push({ ...r, start: r.start + offset, end: r.end + offset })
        : undefined;
    const r: RunResult = run(m, program.code, nodes, tracer);
    cycles += r.cycles;
    macs += r.macs;
    for (const es of r.engines) {
      const e = engineTotals[es.name];
      e.busyCycles += es.busy;
      e.stallCycles += es.stall;
      e.instructions += es.instructions;
    }
    for (const [op, n] of Object.entries(r.counts)) byMnemonic[op] = (byMnemonic[op] ?? 0) + n;
    for (const k of Object.keys(traffic) as (keyof typeof traffic)[]) traffic[k] += m.traffic[k];
    for (const d of program.outputs)
      parts[d.name].push(readOutput(d, m.dram, options.raw === true));
  }
  const perCycle = macsPerCycle(hw);
  const stats: SimStats = {
    hw: hw.name,
    inferences: batches,
    cycles,
    clockMhz: hw.clockMhz,
    latencyUs: cycles / hw.clockMhz,
    engines: engineTotals,
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
      vectorBusyCycles: engineTotals.vector?.busyCycles ?? 0,
      cycles,
      inferences: batches,
    }),
  };
  const outputs = Object.fromEntries(Object.entries(parts).map(([n, ts]) => [n, stack(ts)]));
  if (options.trace !== true) return { outputs, stats };
  return {
    outputs,
    stats,
    trace: traceResult(records, names, hw.clockMhz),
  };
}

/** Split mode: rounds of `pes` inferences, one per machine, simulated together (simulate's `pes` option). */
function simulateSplit(
  program: Program,
  inputs: Readonly<Record<string, Tensor>>,
  options: SimOptions,
  pes: number,
  batches: number,
  extent: number,
  nodes: ReadonlyMap<number, string>,
): SimResult {
  const hw = options.hw;
  const names = engineNames(hw.dma.engines);
  const peNames = Array.from({ length: pes }, (_, p) => names.map((n) => `pe${p}.${n}`)).flat();
  const machines = Array.from({ length: pes }, () => new Machine(hw, extent));
  const records: TraceRecord[] = [];
  const engineTotals = Object.fromEntries(
    names.map((n) => [n, { busyCycles: 0, stallCycles: 0, instructions: 0 }]),
  );
  const byMnemonic: Record<string, number> = {};
  const traffic = { dramRead: 0, dramWritten: 0, sramRead: 0, sramWritten: 0 };
  const parts: Record<string, Tensor[]> = Object.fromEntries(
    program.outputs.map((d) => [d.name, []]),
  );
  let cycles = 0;
  let macs = 0;
  let latencySum = 0;
  const used = new Set<Machine>();
  for (let b0 = 0; b0 < batches; b0 += pes) {
    const group = machines.slice(0, Math.min(pes, batches - b0));
    const offset = cycles;
    const specs = group.map((m, p) => {
      if (used.has(m)) {
        m.reset();
        m.dram.fill(0);
      }
      used.add(m);
      for (const seg of program.dram) m.dram.set(seg.data, seg.addr);
      for (const d of program.inputs) m.dram.set(inputBytes(d, inputs[d.name], b0 + p), d.dramAddr);
      const trace =
        options.trace === true
          ? (r: TraceRecord) =>
              records.push({
                ...r,
                engine: `pe${p}.${r.engine}`,
                start: r.start + offset,
                end: r.end + offset,
              })
          : undefined;
      return { m, code: program.code, nodes, trace };
    });
    const results = runCores(specs);
    cycles += Math.max(...results.map((r) => r.cycles));
    results.forEach((r, p) => {
      const m = group[p];
      latencySum += r.cycles;
      macs += r.macs;
      for (const es of r.engines) {
        const e = engineTotals[es.name];
        e.busyCycles += es.busy;
        e.stallCycles += es.stall;
        e.instructions += es.instructions;
      }
      for (const [op, n] of Object.entries(r.counts)) byMnemonic[op] = (byMnemonic[op] ?? 0) + n;
      for (const k of Object.keys(traffic) as (keyof typeof traffic)[]) traffic[k] += m.traffic[k];
      for (const d of program.outputs)
        parts[d.name].push(readOutput(d, m.dram, options.raw === true));
    });
  }
  const perCycle = macsPerCycle(hw) * pes;
  const seconds = cycles / (hw.clockMhz * 1e6);
  const stats: SimStats = {
    hw: `${pes} x ${hw.name}`,
    inferences: batches,
    cycles,
    clockMhz: hw.clockMhz,
    latencyUs: cycles / hw.clockMhz,
    engines: engineTotals,
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
      vectorBusyCycles: engineTotals.vector?.busyCycles ?? 0,
      cycles,
      inferences: batches,
    }),
    split: {
      pes,
      inferencesPerSecond: seconds === 0 ? 0 : batches / seconds,
      meanLatencyUs: latencySum / batches / hw.clockMhz,
    },
  };
  const outputs = Object.fromEntries(Object.entries(parts).map(([n, ts]) => [n, stack(ts)]));
  if (options.trace !== true) return { outputs, stats };
  return {
    outputs,
    stats,
    trace: traceResult(records, peNames, hw.clockMhz),
  };
}
