// Batches on worker threads: the leading batch dimension split into contiguous chunks, one per worker, results merged.

import { Worker } from 'node:worker_threads';
import { NpuError, type DiagnosticId, type ErrorLocation } from '../common/diagnostics.js';
import { sizeOf, zeros, type Tensor } from '../common/tensor.js';
import type { HwConfig } from '../isa/hw-config.js';
import type { Program } from '../isa/program-file.js';
import { engineNames } from '../simulator/engines.js';
import { emptyTotals, statsOf, type SimResult, type SimStats } from '../simulator/simulate.js';
import { traceResult, type TraceRecord } from '../simulator/trace.js';

/** What a worker is started with: the prog.bin bytes (not an object graph) and the resolved hardware. */
export interface WorkerInit {
  readonly program: Uint8Array;
  readonly hw: HwConfig;
}

export interface ChunkJob {
  readonly id: number;
  readonly inputs: Record<string, Tensor>;
  readonly raw: boolean;
  readonly trace: boolean;
}

/** One chunk's result: trace records only (the parent builds the Perfetto JSON and the log of the whole batch). */
export interface ChunkResult {
  readonly outputs: Record<string, Tensor>;
  readonly stats: SimStats;
  readonly records?: readonly TraceRecord[];
}

export interface WorkerError {
  readonly message: string;
  readonly stack?: string;
  /** Set for an NpuError, so the parent rethrows the same one-line error. */
  readonly npu?: { readonly id: DiagnosticId; readonly location: ErrorLocation };
}

export type FromWorker =
  | { type: 'result'; id: number; result: ChunkResult }
  | { type: 'error'; id: number; error: WorkerError };

export function toWorkerError(e: unknown): WorkerError {
  if (!(e instanceof Error)) return { message: String(e) };
  return {
    message: e.message,
    ...(e.stack !== undefined ? { stack: e.stack } : {}),
    ...(e instanceof NpuError ? { npu: { id: e.id, location: e.location } } : {}),
  };
}

function fromWorkerError(w: WorkerError): Error {
  const e = w.npu !== undefined ? new NpuError(w.npu.id, [], w.npu.location) : new Error();
  e.message = w.message;
  if (w.stack !== undefined) e.stack = w.stack;
  return e;
}

/** Contiguous chunk sizes of `n` inferences over `parts` workers, the first ones one larger when it does not divide. */
export function chunkSizes(n: number, parts: number): number[] {
  const base = Math.floor(n / parts);
  return Array.from({ length: parts }, (_, k) => base + (k < n % parts ? 1 : 0));
}

/** Inferences [first, first + count) of every input, as fresh (transferable) tensors. */
function sliceInputs(
  program: Program,
  inputs: Readonly<Record<string, Tensor>>,
  first: number,
  count: number,
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const d of program.inputs) {
    const t = inputs[d.name];
    const per = sizeOf(d.shape);
    const data = t.data.slice(first * per, (first + count) * per);
    out[d.name] = { dtype: t.dtype, shape: [count * d.shape[0], ...d.shape.slice(1)], data };
  }
  return out;
}

/** Chunk outputs concatenated along axis 0, as simulate's stack() lays out a whole batch. */
function concat(parts: readonly Tensor[]): Tensor {
  const first = parts[0];
  const rows = parts.reduce((a, p) => a + p.shape[0], 0);
  const out = zeros(first.dtype, [rows, ...first.shape.slice(1)]);
  let at = 0;
  for (const p of parts) {
    (out.data as Float32Array).set(p.data as Float32Array, at);
    at += p.data.length;
  }
  return out;
}

/**
 * The stats of a whole batch from its chunks' stats, as simulate() builds them from per-inference counts: the
 * counts summed (integers, so the order of addition does not matter; byMnemonic in order of first use), then
 * simulate's statsOf.
 */
export function combineStats(hw: HwConfig, parts: readonly SimStats[]): SimStats {
  const t = emptyTotals(hw);
  for (const s of parts) {
    t.cycles += s.cycles;
    t.inferences += s.inferences;
    t.macs += s.mac.usefulMacs;
    for (const [n, e] of Object.entries(s.engines)) {
      t.engines[n].busyCycles += e.busyCycles;
      t.engines[n].stallCycles += e.stallCycles;
      t.engines[n].instructions += e.instructions;
    }
    for (const [op, n] of Object.entries(s.instructions.byMnemonic))
      t.byMnemonic[op] = (t.byMnemonic[op] ?? 0) + n;
    t.traffic.dramRead += s.dram.bytesRead;
    t.traffic.dramWritten += s.dram.bytesWritten;
    t.traffic.sramRead += s.sram.bytesRead;
    t.traffic.sramWritten += s.sram.bytesWritten;
  }
  return statsOf(hw, t);
}

/** The chunks' results as one SimResult of the whole batch: outputs concatenated, stats combined, trace shifted. */
export function combineResults(
  program: Program,
  hw: HwConfig,
  chunks: readonly ChunkResult[],
  trace: boolean,
): SimResult {
  const outputs = Object.fromEntries(
    program.outputs.map((d) => [d.name, concat(chunks.map((c) => c.outputs[d.name]))]),
  );
  const stats = combineStats(
    hw,
    chunks.map((c) => c.stats),
  );
  if (!trace) return { outputs, stats };
  // chunk k starts where chunk k-1 ended, as inference k of a single-thread batch does
  const records: TraceRecord[] = [];
  let offset = 0;
  for (const c of chunks) {
    for (const r of c.records ?? [])
      records.push(offset === 0 ? r : { ...r, start: r.start + offset, end: r.end + offset });
    offset += c.stats.cycles;
  }
  const names = engineNames(hw.dma.engines);
  return {
    outputs,
    stats,
    trace: traceResult(records, names, hw.clockMhz),
  };
}

/**
 * Starts the worker entry next to this file: parallel-worker.js in the built package; under tsx or vitest it is a
 * .ts file, and Node 20 applies no `--import tsx` loader to worker threads, so a small eval'd bootstrap loads it
 * with tsx's tsImport (resolved from here, so it works whatever the current directory is).
 */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./parallel-worker.js', import.meta.url), { workerData: init });
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./parallel-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(boot, { eval: true, workerData: init });
}

interface Pending {
  resolve: (r: ChunkResult) => void;
  reject: (e: Error) => void;
}

/** One worker thread with its NpuSession; unref'd while idle, so a script that forgets close() still exits. */
class PoolWorker {
  readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  dead = false;

  constructor(init: WorkerInit) {
    this.worker = startWorker(init);
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.settle(m.id);
      if (m.type === 'result') p.resolve(m.result);
      else p.reject(fromWorkerError(m.error));
    });
    this.worker.on('error', (e) => {
      this.die(e);
    });
    this.worker.on('exit', (code) => {
      this.die(new Error(`npu worker thread exited with code ${code}`));
    });
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private die(e: Error): void {
    this.dead = true;
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(e);
    }
  }

  run(inputs: Record<string, Tensor>, raw: boolean, trace: boolean): Promise<ChunkResult> {
    if (this.dead) return Promise.reject(new Error('npu worker thread is gone'));
    const id = this.nextId++;
    const job: ChunkJob = { id, inputs, raw, trace };
    return new Promise<ChunkResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(
        job,
        Object.values(inputs).map((t) => t.data.buffer as ArrayBuffer),
      );
    });
  }
}

/** Worker threads for one program on one hardware config, started on demand and kept for later batches. */
export class WorkerPool {
  private workers: PoolWorker[] = [];
  private readonly init: () => WorkerInit;

  /** `init` is called when the first worker starts (encoding a program's bytes is then paid only if needed). */
  constructor(init: () => WorkerInit) {
    this.init = init;
  }

  /** Runs inferences [0, N) of `inputs` as `parts` contiguous chunks on `parts` workers; N >= parts. */
  async run(
    program: Program,
    hw: HwConfig,
    inputs: Readonly<Record<string, Tensor>>,
    batches: number,
    parts: number,
    opts: { raw: boolean; trace: boolean },
  ): Promise<SimResult> {
    this.workers = this.workers.filter((w) => !w.dead);
    while (this.workers.length < parts) this.workers.push(new PoolWorker(this.init()));
    const sizes = chunkSizes(batches, parts);
    let first = 0;
    const jobs = sizes.map((count, k) => {
      const chunk = sliceInputs(program, inputs, first, count);
      first += count;
      return this.workers[k].run(chunk, opts.raw, opts.trace);
    });
    const settled = await Promise.allSettled(jobs);
    // the earliest failing chunk holds the first failing inference: the error a single-thread run stops at
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const chunks = settled.map((s) => (s as PromiseFulfilledResult<ChunkResult>).value);
    return combineResults(program, hw, chunks, opts.trace);
  }

  /** Live worker threads. */
  get size(): number {
    return this.workers.filter((w) => !w.dead).length;
  }

  /** Terminates the workers (a later run starts new ones). */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    for (const w of ws) w.dead = true;
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

/** The number of workers asked for: a positive integer. */
export function workerCount(n: number): number {
  if (!Number.isInteger(n) || n < 1)
    throw new NpuError('badArgument', [`workers must be a positive integer, got ${n}`]);
  return n;
}
