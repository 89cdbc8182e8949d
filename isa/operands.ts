// Operand groups that several instructions of the ISA table (isa/instructions.ts) share.
import { dim, en, sram, u } from './fields.js';
import { DMA_CHANNEL_BITS } from './word.js';

export const channel = u(
  'channel',
  DMA_CHANNEL_BITS,
  'DMA channel (queue) 0..dma.engines-1; each channel has its own strides',
);
export const sizes = [
  dim('size0', 'bytes in dim 0 (contiguous in DRAM and SRAM)'),
  dim('size1', 'elements of dim 1'),
  dim('size2', 'elements of dim 2'),
  dim('size3', 'elements of dim 3 (outermost)'),
] as const;
// vec.add and vec.mul: the same operands, different arithmetic
export const BINARY_FIELDS = [
  sram('aAddr', 'input A'),
  sram('bAddr', 'input B'),
  sram('outAddr', 'output'),
  u('n', 32, 'elements'),
  en('bMode', 2, ['elementwise', 'scalar', 'perrow'] as const, 'how B is indexed'),
  u('rowLen', 24, "elements per row for bMode 'perrow'"),
] as const;
export const ADDR_DOC =
  'Addresses: SRAM is one flat byte space, slice k owning [k*bytesPerSlice, (k+1)*bytesPerSlice).';
