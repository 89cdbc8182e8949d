// Test helper: builds hand-written NPU programs (instructions via the ISA encoder, DRAM image, I/O, debug map).
import type { Tensor } from '../../common/tensor.js';
import { encode } from '../../isa/codec.js';
import { validateHwConfig, PRESETS, type HwConfig } from '../../isa/hw-config.js';
import type { Instruction, InstructionOf, Mnemonic } from '../../isa/instructions.js';
import {
  programFor,
  type IoDescriptor,
  type IoDType,
  type Program,
} from '../../isa/program-file.js';
import { BY_MNEMONIC } from '../../isa/table.js';
import {
  floatMultipliers,
  fixedRealMultipliers,
  type RequantScales,
} from '../../reference/quant/requant.js';
import { quantizeMultiplier } from '../../reference/quant/gemmlowp.js';

type Fields<M extends Mnemonic> = Partial<Omit<InstructionOf<M>, 'op'>>;

/** An instruction with every field not given set to zero (enums: their first value). */
export function ins<M extends Mnemonic>(op: M, fields: Fields<M> = {}): Instruction {
  const spec = BY_MNEMONIC.get(op)!;
  const out: Record<string, unknown> = { op };
  for (const f of spec.layout) {
    const v = (fields as Record<string, unknown>)[f.name];
    out[f.name] = v ?? (f.kind === 'enum' ? f.values![0] : 0);
  }
  return out as unknown as Instruction;
}

/** A preset with overrides (deep-merged one level), validated. */
export function hwWith(
  base: string,
  over: {
    requant?: 'float' | 'fixed';
    dram?: Partial<HwConfig['dram']>;
    mac?: Partial<HwConfig['mac']>;
    slices?: number;
  } = {},
): HwConfig {
  const p = structuredClone(PRESETS[base]!) as unknown as Record<string, Record<string, unknown>>;
  const c = {
    ...p,
    ...(over.requant === undefined ? {} : { requant: over.requant }),
    ...(over.slices === undefined ? {} : { slices: over.slices }),
    dram: { ...p.dram, ...over.dram },
    mac: { ...p.mac, ...over.mac },
  };
  return validateHwConfig(c, base);
}

/** Largest linear DMA chunk used by the helpers (size0 is a 16-bit field). */
const CHUNK = 32768;
const ioBytesOf = (d: IoDescriptor): number =>
  d.shape.reduce((a, b) => a * b, 1) * (d.dtype === 'int8' || d.dtype === 'uint8' ? 1 : 4);
const align = (n: number, a: number): number => Math.ceil(n / a) * a;

export class ProgramBuilder {
  readonly code: Instruction[] = [];
  readonly debug: { pc: number; node: string }[] = [];
  private readonly segments: { addr: number; data: Uint8Array }[] = [];
  private readonly inputs: IoDescriptor[] = [];
  private readonly outputs: IoDescriptor[] = [];
  private dramTop = 0x1000;
  private sramTop = 0;

  readonly hw: HwConfig;

  constructor(hw: HwConfig) {
    this.hw = hw;
  }

  emit<M extends Mnemonic>(op: M, fields: Fields<M> = {}, node?: string): number {
    const pc = this.code.length;
    this.code.push(ins(op, fields));
    if (node !== undefined) this.debug.push({ pc, node });
    return pc;
  }

  private dramAlloc(bytes: number): number {
    const a = this.dramTop;
    this.dramTop = align(a + bytes, 64);
    return a;
  }

  sramAlloc(bytes: number): number {
    const a = this.sramTop;
    this.sramTop = align(a + bytes, 64);
    return a;
  }

  constant(data: Uint8Array): number {
    const addr = this.dramAlloc(data.length);
    this.segments.push({ addr, data });
    return addr;
  }

  io(
    dir: 'in' | 'out',
    name: string,
    shape: readonly number[],
    dtype: IoDType,
    scale = 1,
    zeroPoint = 0,
  ): IoDescriptor {
    const bytes =
      shape.reduce((a, b) => a * b, 1) * (dtype === 'int8' || dtype === 'uint8' ? 1 : 4);
    const d = {
      name,
      shape,
      dtype,
      scale: Math.fround(scale),
      zeroPoint,
      dramAddr: this.dramAlloc(bytes),
      layout: 'NCHW',
    };
    (dir === 'in' ? this.inputs : this.outputs).push(d);
    return d;
  }

  /** Linear DMA of `bytes` bytes (< 65536) on channel 0 (loads) or 1 (stores). */
  load(dramAddr: number, sramAddr: number, bytes: number, signal: number, node?: string): void {
    this.emit(
      'dma.load',
      { channel: 0, dramAddr, sramAddr, size0: bytes, size1: 1, size2: 1, size3: 1, signal },
      node,
    );
  }

  store(
    sramAddr: number,
    dramAddr: number,
    bytes: number,
    wait: number,
    signal: number,
    node?: string,
  ): void {
    this.emit(
      'dma.store',
      { channel: 1, sramAddr, dramAddr, size0: bytes, size1: 1, size2: 1, size3: 1, wait, signal },
      node,
    );
  }

  /** Linear chunked copy DRAM -> SRAM on channel 0; only the last chunk signals (the queue is in order). */
  private linearLoad(dramAddr: number, sramAddr: number, bytes: number, signal: number): void {
    for (let o = 0; o < bytes; o += CHUNK) {
      const last = o + CHUNK >= bytes;
      this.load(dramAddr + o, sramAddr + o, Math.min(CHUNK, bytes - o), last ? signal : 0);
    }
  }

  /** Puts the parts in one DRAM blob and loads it; returns each part's SRAM address (64-byte aligned). */
  loadConstants(parts: readonly Uint8Array[], signal: number): number[] {
    const offsets: number[] = [];
    let size = 0;
    for (const p of parts) {
      offsets.push(size);
      size = align(size + Math.max(p.length, 1), 64);
    }
    const blob = new Uint8Array(size);
    parts.forEach((p, k) => {
      blob.set(p, offsets[k]);
    });
    const dram = this.constant(blob);
    const sram = this.sramAlloc(size);
    this.linearLoad(dram, sram, size, signal);
    return offsets.map((o) => sram + o);
  }

  /** Loads an input tensor as stored (linear) into fresh SRAM. */
  loadInput(d: IoDescriptor, signal: number): number {
    const bytes = ioBytesOf(d);
    const sram = this.sramAlloc(bytes);
    this.linearLoad(d.dramAddr, sram, bytes, signal);
    return sram;
  }

  /** Stores SRAM bytes to an output on channel 1: the first chunk waits, the last signals. */
  storeOutput(d: IoDescriptor, sramAddr: number, wait: number, signal: number): void {
    const bytes = ioBytesOf(d);
    for (let o = 0; o < bytes; o += CHUNK) {
      const last = o + CHUNK >= bytes;
      this.store(
        sramAddr + o,
        d.dramAddr + o,
        Math.min(CHUNK, bytes - o),
        o === 0 ? wait : 0,
        last ? signal : 0,
      );
    }
  }

  program(): Program {
    return programFor(this.hw, {
      code: this.code.map(encode),
      dram: this.segments,
      inputs: this.inputs,
      outputs: this.outputs,
      debug: this.debug,
    });
  }
}

/** Bytes of an int8/uint8/int32 tensor's data as stored little-endian. */
export const bytesOf = (t: Tensor | ArrayBufferView): Uint8Array => {
  const d = 'dtype' in t ? (t.data as ArrayBufferView) : t;
  return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
};

/** The per-channel requantization table of conv/gemm for the config's mode ('float': f32; 'fixed': (M, shift)). */
export function requantTable(hw: HwConfig, s: RequantScales): Uint8Array {
  if (hw.requant === 'float') return bytesOf(floatMultipliers(s));
  const real = fixedRealMultipliers(s);
  const t = new Int32Array(2 * real.length);
  real.forEach((r, c) => {
    const q = quantizeMultiplier(r);
    t[2 * c] = q.multiplier;
    t[2 * c + 1] = q.shift;
  });
  return bytesOf(t);
}
