// Machine state of the simulated NPU: DRAM, SRAM, semaphores, per-engine configuration registers, traffic counters.
import { fail, type DiagnosticId } from '../common/diagnostics.js';
import { sramBytes, type HwConfig } from '../isa/hw-config.js';
import type { InstructionOf, Mnemonic } from '../isa/instructions.js';

/** Registers written by the configuration instructions; all start at zero (docs/isa.md). */
export interface MacRegs {
  shape: Omit<InstructionOf<'mac.shape'>, 'op' | 'wait' | 'signal'> | undefined;
  quant: Omit<InstructionOf<'mac.quant'>, 'op' | 'wait' | 'signal'> | undefined;
}
export interface VecRegs {
  scale: Omit<InstructionOf<'vec.scale'>, 'op' | 'wait' | 'signal'> | undefined;
  zp: Omit<InstructionOf<'vec.zp'>, 'op' | 'wait' | 'signal'> | undefined;
  move: [src: number[], dst: number[]];
}
export interface DmaRegs {
  dram: number[];
  sram: number[];
}

/** The instruction being executed, for fault messages. */
export interface Current {
  pc: number;
  op: Mnemonic;
  node: string | undefined;
}

export interface Traffic {
  dramRead: number;
  dramWritten: number;
  sramRead: number;
  sramWritten: number;
}

const hexAddr = (a: number): string => `0x${a.toString(16)}`;

export class Machine {
  readonly hw: HwConfig;
  readonly sram: Uint8Array;
  readonly sramView: DataView;
  /** The same SRAM bytes read as int8 (the datapath's signed view). */
  readonly sramI8: Int8Array;
  /** Grows on demand up to hw.dram.sizeBytes (most programs touch a small prefix of a 16 GiB space). */
  dram: Uint8Array;
  readonly sems: Int32Array;
  readonly dma: DmaRegs[];
  readonly mac: MacRegs = { shape: undefined, quant: undefined };
  readonly vec: VecRegs = {
    scale: undefined,
    zp: undefined,
    move: [
      [0, 0, 0],
      [0, 0, 0],
    ],
  };
  readonly traffic: Traffic = { dramRead: 0, dramWritten: 0, sramRead: 0, sramWritten: 0 };
  current: Current = { pc: -1, op: 'halt', node: undefined };
  /**
   * The SRAM bytes any operand has covered since the last reset, [touchedLo, touchedHi): every instruction checks
   * its operands (checkSram) before it writes, so bytes outside are still zero and reset() need not clear them.
   */
  private touchedLo = Infinity;
  private touchedHi = 0;

  constructor(hw: HwConfig, dramBytes: number) {
    this.hw = hw;
    this.sram = new Uint8Array(sramBytes(hw));
    this.sramView = new DataView(this.sram.buffer);
    this.sramI8 = new Int8Array(this.sram.buffer);
    this.dram = new Uint8Array(Math.min(hw.dram.sizeBytes, Math.max(dramBytes, 0)));
    this.sems = new Int32Array(hw.semaphores);
    this.dma = Array.from({ length: hw.dma.engines }, () => ({ dram: [0, 0, 0], sram: [0, 0, 0] }));
  }

  /**
   * Back to the power-on state between inferences of one program: registers, semaphores, counters and SRAM zeroed
   * (DRAM keeps its bytes; the caller reloads the image and the inputs). Cheaper than a new machine: the SRAM of
   * a 128-slice preset is 32 MiB, and only the part operands touched is cleared.
   */
  reset(): void {
    if (this.touchedHi > this.touchedLo) this.sram.fill(0, this.touchedLo, this.touchedHi);
    this.touchedLo = Infinity;
    this.touchedHi = 0;
    this.sems.fill(0);
    for (const d of this.dma) {
      d.dram.fill(0);
      d.sram.fill(0);
    }
    this.mac.shape = undefined;
    this.mac.quant = undefined;
    this.vec.scale = undefined;
    this.vec.zp = undefined;
    this.vec.move = [
      [0, 0, 0],
      [0, 0, 0],
    ];
    this.traffic.dramRead =
      this.traffic.dramWritten =
      this.traffic.sramRead =
      this.traffic.sramWritten =
        0;
    this.current = { pc: -1, op: 'halt', node: undefined };
  }

  /** Throws the catalogued fault for the current instruction. */
  fault(id: DiagnosticId, detail: string): never {
    const c = this.current;
    return fail(id, [c.pc, c.op, detail], c.node === undefined ? {} : { node: c.node });
  }

  /** Checks that SRAM bytes [addr, addr + n) exist (n > 0); `what` names the operand. */
  checkSram(addr: number, n: number, what: string): void {
    if (n <= 0) return;
    if (addr < 0 || addr + n > this.sram.length)
      this.fault(
        'simSramRange',
        `${what}: SRAM bytes ${hexAddr(addr)}..${hexAddr(addr + n - 1)} overflow the ${this.sram.length}-byte SRAM`,
      );
    if (addr < this.touchedLo) this.touchedLo = addr;
    if (addr + n > this.touchedHi) this.touchedHi = addr + n;
  }

  /** Checks a 4-byte-aligned int32/float32 table of `count` entries of `bytes` each. */
  checkSramWords(addr: number, bytes: number, what: string): void {
    if (addr % 4 !== 0)
      this.fault(
        'simMisaligned',
        `${what}: 32-bit access at SRAM ${hexAddr(addr)} is not 4-byte aligned`,
      );
    this.checkSram(addr, bytes, what);
  }

  checkDram(addr: number, n: number, what: string): void {
    if (n <= 0) return;
    if (addr < 0 || addr + n > this.hw.dram.sizeBytes)
      this.fault(
        'simDramRange',
        `${what}: DRAM bytes ${hexAddr(addr)}..${hexAddr(addr + n - 1)} are past the end of the ${this.hw.dram.sizeBytes}-byte DRAM`,
      );
    this.growDram(addr + n);
  }

  /** Makes the backing store cover [0, end) (end already checked against the configured size). */
  growDram(end: number): void {
    if (end <= this.dram.length) return;
    const size = Math.min(this.hw.dram.sizeBytes, Math.max(end, this.dram.length * 2));
    const next = new Uint8Array(size);
    next.set(this.dram);
    this.dram = next;
  }

  i32(addr: number): number {
    return this.sramView.getInt32(addr, true);
  }
  f32(addr: number): number {
    return this.sramView.getFloat32(addr, true);
  }
}

/** int8 / uint8 element readers over SRAM bytes. */
export const readQ = (sram: Uint8Array, type: 'int8' | 'uint8', addr: number): number =>
  type === 'int8' ? (sram[addr] << 24) >> 24 : sram[addr];
