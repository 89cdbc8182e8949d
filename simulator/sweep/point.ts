// One sweep point: compile the model for a config, simulate it with a trace, and summarise per layer and per engine.
import seedrandom from 'seedrandom';
import { NpuError } from '../../common/diagnostics.js';
import { readNpy } from '../../common/npy.js';
import type { Tensor } from '../../common/tensor.js';
import { compile } from '../../compiler/pipeline.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { IoDescriptor } from '../../isa/program-file.js';
import type { Model } from '../../onnx/graph.js';
import { NpuSession } from '../../runtime/session.js';
import type { SimStats } from '../simulate.js';
import { dramBytesPerCycle } from '../timing.js';
import { dramBusCyclesOf, layersOf, timelineOf, type LayerRow, type Timeline } from './layers.js';

export interface PointJob {
  readonly index: number;
  readonly config: HwConfig;
  /** Value of every symbolic input dimension (the batch). */
  readonly batch: number;
  /** A .npy input for the model's (first) input; otherwise seeded random codes. */
  readonly inputPath?: string;
  readonly seed: string;
  /** Per-layer and timeline summaries (needs a trace; costs memory on big models). */
  readonly detail: boolean;
  readonly timelineBins: number;
}

export interface PointMetrics {
  readonly cycles: number;
  /** One inference: run latency / inferences. */
  readonly latencyUs: number;
  readonly inferences: number;
  /** Inferences per second back to back on this config. */
  readonly throughputIps: number;
  /**
   * One-PE configs (peCount 1) as half of a 2-PE chip in split mode: two independent inferences at once, capped by
   * the DRAM bandwidth the two PEs share. Undefined for fused configs.
   */
  readonly splitThroughputIps: number | undefined;
  readonly macUtilisation: number;
  readonly usefulMacs: number;
  readonly dramBytes: number;
  readonly sramBytes: number;
  readonly energyUj: number;
  readonly topsPerWatt: number;
  readonly averageW: number;
}

export interface PointResult {
  readonly index: number;
  readonly error?: string;
  readonly metrics?: PointMetrics;
  readonly layers?: readonly LayerRow[];
  readonly timeline?: Timeline;
  readonly compileMs: number;
  readonly simMs: number;
}

/** Seeded random integer codes of the program's input type (uniform over the type's range). */
export function randomInput(d: IoDescriptor, seed: string): Tensor {
  const rng = seedrandom(`${seed}:${d.name}`);
  const n = d.shape.reduce((a, b) => a * b, 1);
  if (d.dtype === 'uint8') {
    const data = new Uint8Array(n);
    for (let k = 0; k < n; k++) data[k] = Math.floor(rng() * 256);
    return { dtype: 'uint8', shape: [...d.shape], data };
  }
  if (d.dtype === 'int8') {
    const data = new Int8Array(n);
    for (let k = 0; k < n; k++) data[k] = Math.floor(rng() * 256) - 128;
    return { dtype: 'int8', shape: [...d.shape], data };
  }
  const data = new Float32Array(n);
  for (let k = 0; k < n; k++) data[k] = rng() * 2 - 1;
  return { dtype: 'float32', shape: [...d.shape], data };
}

/**
 * Split-mode throughput of a one-PE config: 2 PEs at once, unless their DRAM traffic saturates the shared bus.
 * `busCycles` (from a trace: whole bursts) is the run's DRAM bus time; without it, payload bytes / bandwidth.
 */
export function splitThroughput(hw: HwConfig, s: SimStats, busCycles?: number): number | undefined {
  if (hw.peCount !== 1 || s.cycles === 0) return undefined;
  const perInferenceCycles = s.cycles / s.inferences;
  const dramCycles =
    (busCycles ?? (s.dram.bytesRead + s.dram.bytesWritten) / dramBytesPerCycle(hw)) / s.inferences;
  const cyclesPerPair = Math.max(perInferenceCycles, 2 * dramCycles);
  return (2 * hw.clockMhz * 1e6) / cyclesPerPair;
}

export function metricsOf(hw: HwConfig, s: SimStats, busCycles?: number): PointMetrics {
  const perInferenceUs = s.latencyUs / Math.max(1, s.inferences);
  return {
    cycles: s.cycles,
    latencyUs: perInferenceUs,
    inferences: s.inferences,
    throughputIps: perInferenceUs === 0 ? 0 : 1e6 / perInferenceUs,
    splitThroughputIps: splitThroughput(hw, s, busCycles),
    macUtilisation: s.mac.utilization,
    usefulMacs: s.mac.usefulMacs,
    dramBytes: s.dram.bytesRead + s.dram.bytesWritten,
    sramBytes: s.sram.bytesRead + s.sram.bytesWritten,
    energyUj: s.energy.perInferenceUj,
    topsPerWatt: s.energy.topsPerWatt,
    averageW: s.energy.averageW,
  };
}

/** Runs one point; a user error (e.g. a tile that does not fit a small SRAM) is the point's result, not a crash. */
export function runPoint(model: Model, job: PointJob): PointResult {
  const hw = job.config;
  let t0 = performance.now();
  let compileMs = 0;
  try {
    const symbolic = new Set(
      model.graph.inputs.flatMap((i) => (i.shape ?? []).filter((d) => typeof d === 'string')),
    );
    const c = compile(model, {
      hw,
      requant: hw.requant,
      cpuFallback: false,
      fixedDims: Object.fromEntries([...symbolic].map((d) => [d, job.batch])),
    });
    compileMs = performance.now() - t0;
    if (c.program === undefined) throw new Error('the compiler produced no program');
    const session = new NpuSession(c.program, { hw });
    const inputs: Record<string, Tensor> = {};
    session.inputs.forEach((d, k) => {
      inputs[d.name] =
        k === 0 && job.inputPath !== undefined ? readNpy(job.inputPath) : randomInput(d, job.seed);
    });
    t0 = performance.now();
    const r = session.run(inputs, { trace: job.detail });
    const simMs = performance.now() - t0;
    const records = r.trace?.records ?? [];
    return {
      index: job.index,
      metrics: metricsOf(hw, r.stats, job.detail ? dramBusCyclesOf(records, hw) : undefined),
      ...(job.detail
        ? {
            layers: layersOf(records, hw),
            timeline: timelineOf(records, r.stats.cycles, job.timelineBins),
          }
        : {}),
      compileMs,
      simMs,
    };
  } catch (e) {
    if (!(e instanceof NpuError)) throw e;
    return { index: job.index, error: e.format(), compileMs, simMs: 0 };
  }
}
