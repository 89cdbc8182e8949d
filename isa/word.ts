// Instruction-word geometry and the operand widths the whole toolchain relies on (addresses, dims, sync masks).

/** Every instruction is one 256-bit word, stored little-endian as 32 bytes. */
export const WORD_BITS = 256;
export const WORD_BYTES = WORD_BITS / 8;
/** Bits [0, OPCODE_BITS) hold the opcode in every instruction. */
export const OPCODE_BITS = 8;
/** Width of the wait and signal semaphore masks that follow the opcode in every instruction. */
export const SYNC_MASK_BITS = 16;
/** SRAM byte addresses: one flat space of slices x sram.bytesPerSlice bytes. */
export const SRAM_ADDR_BITS = 32;
/** DRAM byte addresses (16 GiB of Warboy DRAM need 34 bits; 40 leaves room). */
export const DRAM_ADDR_BITS = 40;
/** Tensor dimensions and element counts per dimension. */
export const DIM_BITS = 16;
/** Byte strides of DMA and move instructions. */
export const STRIDE_BITS = 32;
/** Selects a DMA channel. */
export const DMA_CHANNEL_BITS = 2;
/** A LUT is indexed by one 8-bit value. */
export const LUT_INDEX_BITS = 8;
