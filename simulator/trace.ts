// Execution traces: per-instruction records, as Chrome Trace Event JSON (Perfetto) or a readable text log.
import { disassemble } from '../isa/asm.js';
import type { Instruction, Mnemonic } from '../isa/instructions.js';

export interface TraceRecord {
  readonly pc: number;
  readonly op: Mnemonic;
  /** Engine track: dma0.., mac, vector, or ctrl (the dispatcher's sync and halt). */
  readonly engine: string;
  readonly node: string | undefined;
  /** Cycles since the start of the run (inference k of a batch starts where k-1 ended). */
  readonly start: number;
  readonly end: number;
  readonly ins: Instruction;
}

export interface ChromeEvent {
  readonly name: string;
  readonly ph: 'X' | 'M';
  readonly ts: number;
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly cat?: string;
  readonly args?: Record<string, unknown>;
}

const PID = 1;

/** Chrome Trace Event JSON object: a thread (track) per engine, one complete ('X') event per instruction; ts in µs. */
export function chromeTrace(
  records: readonly TraceRecord[],
  engines: readonly string[],
  clockMhz: number,
): { traceEvents: ChromeEvent[]; displayTimeUnit: 'ns' } {
  const tracks = [...engines, 'ctrl'];
  const meta: ChromeEvent[] = tracks.map((name, tid) => ({
    name: 'thread_name',
    ph: 'M',
    ts: 0,
    dur: 0,
    pid: PID,
    tid,
    args: { name },
  }));
  const events: ChromeEvent[] = records.map((r) => ({
    name: r.node ?? r.op,
    cat: r.engine,
    ph: 'X',
    ts: r.start / clockMhz,
    dur: (r.end - r.start) / clockMhz,
    pid: PID,
    tid: Math.max(0, tracks.indexOf(r.engine)),
    args: { pc: r.pc, mnemonic: r.op, startCycle: r.start, cycles: r.end - r.start },
  }));
  return { traceEvents: [...meta, ...events], displayTimeUnit: 'ns' };
}

/** One line per instruction in start order: cycles, engine, pc, node and the disassembled instruction. */
export function textLog(records: readonly TraceRecord[]): string {
  const sorted = [...records].sort((a, b) => a.start - b.start || a.pc - b.pc);
  const w = String(sorted.at(-1)?.end ?? 0).length;
  return sorted
    .map(
      (r) =>
        `${String(r.start).padStart(w)}..${String(r.end).padStart(w)}  ${r.engine.padEnd(6)} pc ${String(r.pc).padStart(4)}  ${(r.node ?? '-').padEnd(16)} ${disassemble(r.ins)}`,
    )
    .join('\n');
}

export interface TraceResult {
  readonly records: readonly TraceRecord[];
  readonly chrome: { traceEvents: ChromeEvent[]; displayTimeUnit: 'ns' };
  readonly text: string;
}

/**
 * A run's trace: the records, with the Perfetto JSON and the text log built on first use (formatting every
 * instruction costs more than simulating a small model, and most callers want one of the two).
 */
export function traceResult(
  records: readonly TraceRecord[],
  engines: readonly string[],
  clockMhz: number,
): TraceResult {
  let chrome: TraceResult['chrome'] | undefined;
  let text: string | undefined;
  return {
    records,
    get chrome() {
      return (chrome ??= chromeTrace(records, engines, clockMhz));
    },
    get text() {
      return (text ??= textLog(records));
    },
  };
}
