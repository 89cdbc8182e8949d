// The runtime API: load a prog.bin, find the hardware it was compiled for, run it on float or integer tensors.

import { readFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fail, NpuError } from '../common/diagnostics.js';
import type { Tensor } from '../common/tensor.js';
import { fingerprint, loadHwConfig, type HwConfig } from '../isa/hw-config.js';
import { PRESETS } from '../isa/hw-presets.js';
import { readProgram, writeProgram, type IoDescriptor, type Program } from '../isa/program-file.js';
import { Machine } from '../simulator/machine.js';
import { batchCount, simulate, type SimResult } from '../simulator/simulate.js';
import { WorkerPool, workerCount } from './parallel.js';

export interface LoadOptions {
  /** Hardware preset name, JSON file or config; default: the preset the program names, in the matching requant mode. */
  hw?: string | HwConfig;
  /** Overrides the requantization mode of `hw`. */
  requant?: HwConfig['requant'];
}

export interface RunOptions {
  /** Outputs as the program's raw integers instead of dequantized float32. */
  raw?: boolean;
  /** Collect the per-instruction trace (Perfetto JSON and a text log). */
  trace?: boolean;
  /** Split mode: PEs running the batch side by side, sharing DRAM (simulate's `pes`; default 1). */
  pes?: number;
}

export interface ParallelRunOptions extends RunOptions {
  /** Worker threads (default: os.availableParallelism()); never more than the inferences asked for. */
  workers?: number;
}

/**
 * The hardware a program runs on: the given config (its fingerprint is checked when running), or the preset the
 * program was compiled for, in whichever requant mode reproduces the program's fingerprint.
 */
export function hardwareFor(program: Program, opts: LoadOptions = {}): HwConfig {
  if (opts.hw !== undefined) {
    const base = typeof opts.hw === 'string' ? loadHwConfig(opts.hw) : opts.hw;
    return { ...base, requant: opts.requant ?? base.requant };
  }
  const preset = PRESETS[program.hwName];
  if (preset === undefined)
    throw new NpuError('badArgument', [
      `the program was compiled for hardware '${program.hwName}', which is not a preset: give its config with --hw`,
    ]);
  const modes = opts.requant !== undefined ? [opts.requant] : (['float', 'fixed'] as const);
  for (const requant of modes) {
    const hw = { ...preset, requant };
    if (fingerprint(hw) === program.hwFingerprint) return hw;
  }
  return { ...preset, requant: opts.requant ?? preset.requant }; // simulate() reports the fingerprint mismatch
}

export class NpuSession {
  readonly program: Program;
  readonly hw: HwConfig;
  /** One machine for every run: allocated on the first run, reset before each inference. */
  private machine: Machine | undefined;
  /** The prog.bin bytes workers load (kept by load(), encoded on demand otherwise). */
  private bytes: Uint8Array | undefined;
  /** Worker threads of runParallel, started on its first batch and kept until close(). */
  private pool: WorkerPool | undefined;

  constructor(program: Program, opts: LoadOptions = {}) {
    this.program = program;
    this.hw = hardwareFor(program, opts);
  }

  /** Loads a prog.bin file (or its bytes). */
  static load(source: string | Uint8Array, opts: LoadOptions = {}): NpuSession {
    if (typeof source === 'string' && !existsSync(source))
      fail('fileNotFound', [], { file: source });
    const bytes = typeof source === 'string' ? new Uint8Array(readFileSync(source)) : source;
    const file = typeof source === 'string' ? { file: source } : {};
    const session = new NpuSession(readProgram(bytes, file), opts);
    session.bytes = bytes;
    // a mismatch is reported at load time, naming the file
    readProgram(bytes, { ...file, hw: session.hw });
    return session;
  }

  get inputs(): readonly IoDescriptor[] {
    return this.program.inputs;
  }

  get outputs(): readonly IoDescriptor[] {
    return this.program.outputs;
  }

  /**
   * Runs the program: float32 inputs are quantized with the program's input parameters (as QuantizeLinear), integer
   * inputs of the program's type are taken as codes; a leading dimension of N × the program's batch runs N
   * inferences with the program loaded once. Outputs are dequantized float32 unless `raw`.
   */
  run(inputs: Readonly<Record<string, Tensor>>, opts: RunOptions = {}): SimResult {
    this.machine ??= new Machine(this.hw, 0);
    return simulate(this.program, inputs, {
      hw: this.hw,
      raw: opts.raw === true,
      trace: opts.trace === true,
      machine: this.machine,
      ...(opts.pes !== undefined ? { pes: opts.pes } : {}),
    });
  }

  /**
   * Runs a batch like run(), its N inferences split into contiguous chunks on worker threads (one chunk per worker,
   * each worker loading the program once and keeping it for later calls). The result is identical to run()'s:
   * outputs concatenated in order, stats combined as run() combines inferences, the trace shifted to one timeline.
   * One chunk (N = 1 or workers = 1) runs on this thread. close() ends the workers; idle workers do not keep the
   * process alive.
   */
  async runParallel(
    inputs: Readonly<Record<string, Tensor>>,
    opts: ParallelRunOptions = {},
  ): Promise<SimResult> {
    if ((opts.pes ?? 1) !== 1)
      throw new NpuError('badArgument', [
        'runParallel does not run split mode: use run() with pes',
      ]);
    const workers = workerCount(opts.workers ?? availableParallelism());
    const batches = batchCount(this.program, this.hw, inputs);
    const parts = Math.min(workers, batches);
    if (parts <= 1) return this.run(inputs, opts);
    this.pool ??= new WorkerPool(() => ({
      program: (this.bytes ??= writeProgram(this.program)),
      hw: this.hw,
    }));
    return this.pool.run(this.program, this.hw, inputs, batches, parts, {
      raw: opts.raw === true,
      trace: opts.trace === true,
    });
  }

  /** The worker threads runParallel has running (0 before its first multi-chunk batch and after close()). */
  get workerThreads(): number {
    return this.pool?.size ?? 0;
  }

  /** Terminates runParallel's worker threads (a later runParallel starts new ones). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}
