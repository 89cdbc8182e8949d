// The dispatcher and engines: program-order dispatch to in-order queues, semaphore waits, event-driven timing.
import { fail, NpuError } from '../common/diagnostics.js';
import { decode } from '../isa/codec.js';
import type { Instruction } from '../isa/instructions.js';
import { BY_MNEMONIC } from '../isa/table.js';
import { EXECUTE } from './execute/table.js';
import type { Exec } from './execute/work.js';
import type { Machine } from './machine.js';
import type { TraceRecord } from './trace.js';

interface Entry {
  readonly pc: number;
  readonly ins: Instruction;
  readonly node: string | undefined;
}

interface Running {
  readonly entry: Entry;
  readonly start: number;
  readonly end: number;
}

export interface EngineState {
  readonly name: string;
  /** In-order queue; entries before `head` have started (an index, not shift(): queues can be long). */
  readonly queue: Entry[];
  head: number;
  running: Running | undefined;
  busy: number;
  stall: number;
  instructions: number;
}

export interface RunResult {
  readonly cycles: number;
  readonly engines: readonly EngineState[];
  readonly macs: number;
  readonly counts: Record<string, number>;
}

/** Engine names: one per DMA channel, then the MAC arrays and the vector unit. */
export const engineNames = (dmaChannels: number): string[] => [
  ...Array.from({ length: dmaChannels }, (_, k) => `dma${k}`),
  'mac',
  'vector',
];

/** Decoded instructions per program (a program runs many times; decoding is pure), filled as they are fetched. */
const DECODED = new WeakMap<readonly bigint[], (Instruction | undefined)[]>();

const bitsOf = (mask: number): number[] => {
  const out: number[] = [];
  for (let k = 0; mask >> k !== 0; k++) if (((mask >> k) & 1) === 1) out.push(k);
  return out;
};

/** One program on one machine (a PE): its dispatcher, engine queues and semaphores. */
export interface CoreSpec {
  readonly m: Machine;
  readonly code: readonly bigint[];
  readonly nodes: ReadonlyMap<number, string>;
  readonly trace: ((r: TraceRecord) => void) | undefined;
}

/** Simulated time and the DRAM interface, shared by every core of a run. */
interface Clock {
  t: number;
  /** When the DRAM interface is next free: all DMA channels of all cores share it, first come, first served. */
  bus: number;
}

interface Core {
  /** One pass at the current time (finished engines signal, the dispatcher issues, engines start); true if anything moved. */
  step(): boolean;
  /** Set when the core's halt has retired. */
  readonly result: RunResult | undefined;
  /** End times of the running instructions. */
  ends(): number[];
  /** Time passes to `next`: queues that could not start count it as stall. */
  stall(next: number): void;
  deadlock(): never;
}

function makeCore({ m, code, nodes, trace }: CoreSpec, clock: Clock): Core {
  const hw = m.hw;
  const names = engineNames(hw.dma.engines);
  const engines: EngineState[] = names.map((name) => ({
    name,
    queue: [],
    head: 0,
    running: undefined,
    busy: 0,
    stall: 0,
    instructions: 0,
  }));
  const MAC = hw.dma.engines;
  const VEC = MAC + 1;
  const counts: Record<string, number> = {};
  let macs = 0;
  let pc = 0;

  const checkMask = (e: Entry, mask: number, what: string): void => {
    for (const k of bitsOf(mask))
      if (k >= hw.semaphores) {
        m.current = { pc: e.pc, op: e.ins.op, node: e.node };
        m.fault(
          'simBadOperand',
          `${what} semaphore ${k} does not exist (semaphores = ${hw.semaphores})`,
        );
      }
  };
  const canAcquire = (mask: number): boolean => bitsOf(mask).every((k) => m.sems[k] > 0);
  const acquire = (mask: number): void => {
    bitsOf(mask).forEach((k) => m.sems[k]--);
  };
  const release = (mask: number): void => {
    bitsOf(mask).forEach((k) => m.sems[k]++);
  };
  const count = (e: Entry): void => {
    counts[e.ins.op] = (counts[e.ins.op] ?? 0) + 1;
  };
  const record = (e: Entry, engine: string, start: number, end: number): void =>
    trace?.({ pc: e.pc, op: e.ins.op, engine, node: e.node, start, end, ins: e.ins });

  let decoded = DECODED.get(code);
  if (decoded === undefined) DECODED.set(code, (decoded = new Array<undefined>(code.length)));
  const fetch = (): Entry => {
    const node = nodes.get(pc);
    let ins: Instruction;
    try {
      ins = decoded[pc] ??= decode(code[pc]);
    } catch (err) {
      if (!(err instanceof NpuError)) throw err;
      return fail('simIllegalInstruction', [pc, err.message], node === undefined ? {} : { node });
    }
    const e = { pc, ins, node };
    checkMask(e, ins.wait, 'wait');
    checkMask(e, ins.signal, 'signal');
    return e;
  };

  const engineOf = (e: Entry): number => {
    const kind = BY_MNEMONIC.get(e.ins.op)!.engine;
    if (kind === 'mac') return MAC;
    if (kind === 'vector') return VEC;
    const ch = (e.ins as { channel: number }).channel;
    if (ch >= hw.dma.engines) {
      m.current = { pc: e.pc, op: e.ins.op, node: e.node };
      m.fault(
        'simBadOperand',
        `DMA channel ${ch} does not exist (dma.engines = ${hw.dma.engines})`,
      );
    }
    return ch;
  };

  const start = (k: number, es: EngineState, e: Entry): void => {
    const t = clock.t;
    acquire(e.ins.wait);
    m.current = { pc: e.pc, op: e.ins.op, node: e.node };
    const w = (EXECUTE[e.ins.op] as Exec<typeof e.ins.op>)(m, e.ins);
    let end = t + w.cycles;
    if (w.dma !== undefined) {
      const dataStart = Math.max(t + w.dma.latency, clock.bus);
      clock.bus = dataStart + w.dma.dramCycles;
      end = Math.max(clock.bus, t + w.dma.latency + w.dma.sramCycles);
    }
    macs += w.macs;
    es.running = { entry: e, start: t, end };
    es.busy += end - t;
    es.instructions++;
    count(e);
    record(e, names[k], t, end);
  };

  let pending: Entry | undefined; // a fetched sync/halt the dispatcher is blocked on
  let result: RunResult | undefined;
  const step = (): boolean => {
    const t = clock.t;
    let progress = false;
    for (const es of engines)
      if (es.running !== undefined && es.running.end <= t) {
        release(es.running.entry.ins.signal);
        es.running = undefined;
        progress = true;
      }
    while (pc < code.length || pending !== undefined) {
      const e = pending ?? fetch();
      if (e.ins.op === 'sync' || e.ins.op === 'halt') {
        const drained = engines.every((x) => x.running === undefined && x.head === x.queue.length);
        if (!canAcquire(e.ins.wait) || (e.ins.op === 'halt' && !drained)) {
          if (pending === undefined) pc++;
          pending = e;
          break;
        }
        if (pending === undefined) pc++;
        pending = undefined;
        acquire(e.ins.wait);
        release(e.ins.signal);
        count(e);
        record(e, 'ctrl', t, t);
        progress = true;
        if (e.ins.op === 'halt') {
          result = { cycles: t, engines, macs, counts };
          return true;
        }
        continue;
      }
      engines[engineOf(e)].queue.push(e);
      pc++;
      progress = true;
    }
    if (pc >= code.length && pending === undefined) {
      m.current = { pc: code.length, op: 'halt', node: undefined };
      throw new NpuError('simNoHalt', [code.length]);
    }
    engines.forEach((es, k) => {
      const head = es.queue.at(es.head);
      if (es.running === undefined && head !== undefined && canAcquire(head.ins.wait)) {
        es.head++;
        start(k, es, head);
        progress = true;
      }
    });
    return progress;
  };
  return {
    step,
    get result() {
      return result;
    },
    ends: () => engines.flatMap((es) => (es.running === undefined ? [] : [es.running.end])),
    stall(next) {
      for (const es of engines)
        if (es.running === undefined && es.head < es.queue.length) es.stall += next - clock.t;
    },
    deadlock: () => deadlock(m, engines, pending),
  };
}

/**
 * Runs programs to their halts, each on its own machine (one per PE), in one simulated time: their DMA transfers
 * share the DRAM interface. Instructions are executed functionally when they start (in simulated-time order), which
 * is what the hardware computes for every program whose engines only share data through semaphores.
 */
export function runCores(specs: readonly CoreSpec[]): RunResult[] {
  const clock: Clock = { t: 0, bus: 0 };
  const cores = specs.map((s) => makeCore(s, clock));
  for (;;) {
    let progress = true;
    while (progress) {
      progress = false;
      for (const c of cores) if (c.result === undefined && c.step()) progress = true;
    }
    const live = cores.filter((c) => c.result === undefined);
    if (live.length === 0) return cores.map((c) => c.result!);
    const ends = live.flatMap((c) => c.ends());
    if (ends.length === 0) live[0].deadlock();
    const next = Math.min(...ends);
    for (const c of live) c.stall(next);
    clock.t = next;
  }
}

/** Runs one program to its halt on one machine. */
export function run(
  m: Machine,
  code: readonly bigint[],
  nodes: ReadonlyMap<number, string>,
  trace: ((r: TraceRecord) => void) | undefined,
): RunResult {
  return runCores([{ m, code, nodes, trace }])[0];
}

/** Nothing runs and nothing can start: fault on the blocked instruction with the lowest pc. */
function deadlock(m: Machine, engines: readonly EngineState[], pending: Entry | undefined): never {
  const blocked = engines.flatMap((es) =>
    es.head < es.queue.length ? [{ e: es.queue[es.head], where: es.name }] : [],
  );
  if (pending !== undefined) blocked.push({ e: pending, where: 'dispatcher' });
  blocked.sort((a, b) => a.e.pc - b.e.pc);
  const first = blocked[0];
  const missing = bitsOf(first.e.ins.wait).filter((k) => m.sems[k] <= 0);
  const others = blocked
    .slice(1)
    .map((b) => `pc ${b.e.pc} ${b.e.ins.op} on ${b.where}`)
    .join(', ');
  const what = missing.length > 0 ? missing.join(', ') : '(none: the halt waits for busy queues)';
  return fail(
    'simDeadlock',
    [
      first.e.pc,
      first.e.ins.op,
      what,
      others === '' ? 'every engine idle' : `also blocked: ${others}`,
    ],
    first.e.node === undefined ? {} : { node: first.e.node },
  );
}
