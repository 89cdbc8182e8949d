// Constructors for ISA table fields; their literal types let instructions.ts derive a typed Instruction union.
import { DIM_BITS, DRAM_ADDR_BITS, SRAM_ADDR_BITS, STRIDE_BITS } from './word.js';

export const u = <const N extends string>(name: N, bits: number, doc: string) => ({
  name,
  bits,
  kind: 'u' as const,
  doc,
});
export const s = <const N extends string>(name: N, bits: number, doc: string) => ({
  name,
  bits,
  kind: 's' as const,
  doc,
});
export const f32 = <const N extends string>(name: N, doc: string) => ({
  name,
  bits: 32,
  kind: 'f32' as const,
  doc,
});
export const en = <const N extends string, const V extends readonly string[]>(
  name: N,
  bits: number,
  values: V,
  doc: string,
) => ({ name, bits, kind: 'enum' as const, values, doc });

export const sram = <const N extends string>(name: N, doc: string) =>
  u(name, SRAM_ADDR_BITS, `SRAM byte address: ${doc}`);
export const dram = <const N extends string>(name: N, doc: string) =>
  u(name, DRAM_ADDR_BITS, `DRAM byte address: ${doc}`);
export const dim = <const N extends string>(name: N, doc: string) => u(name, DIM_BITS, doc);
export const stride = <const N extends string>(name: N, doc: string) =>
  u(name, STRIDE_BITS, `byte stride: ${doc}`);
/** 8-bit unsigned kernel geometry (kernel size, stride, dilation, padding). */
export const k8 = <const N extends string>(name: N, doc: string) => u(name, 8, doc);
/** Zero points and clamp bounds cover int8 and uint8 values: 9-bit signed. */
export const q9 = <const N extends string>(name: N, doc: string) => s(name, 9, doc);

/** Element type of an int8-domain operand. */
export const ACT_TYPES = ['int8', 'uint8'] as const;
export const qtype = <const N extends string>(name: N, doc: string) => en(name, 1, ACT_TYPES, doc);
