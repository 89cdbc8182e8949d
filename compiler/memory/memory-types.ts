// The DRAM plan: the constant image, program inputs and outputs, and the reused intermediate arena.

export interface ConstantBlock {
  /** Op id and what the block holds. */
  op: number;
  what: 'weights' | 'bias' | 'requant' | 'lut' | 'params' | 'operand';
  offset: number;
  bytes: number;
}

export interface TensorPlacement {
  tensor: string;
  region: 'input' | 'output' | 'intermediate';
  offset: number;
  bytes: number;
  /** Steps (op positions) where the buffer is live, inclusive; views share their source's buffer. */
  live: [number, number];
  /** Set when the tensor is a view of another tensor's buffer. */
  aliasOf?: string;
}

export interface MemoryPlan {
  /** [0, constBytes): constants; then inputs, outputs, then the intermediate arena. */
  constants: ConstantBlock[];
  constBytes: number;
  tensors: TensorPlacement[];
  /** Sum of intermediate sizes without reuse, and the arena actually used. */
  intermediateBytesNaive: number;
  arenaBytes: number;
  totalBytes: number;
}
