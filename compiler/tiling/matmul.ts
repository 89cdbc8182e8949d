// Tiling of the batched activation × activation matmul: the gemm tiling of one matrix, repeated for each batch.

import type { GemmSpec } from './gemm.js';
import { tileGemm } from './gemm.js';
import type { OpTiling } from './tile-types.js';

/**
 * Per batch b: column blocks of Bᵀ (loaded like weights, one block per (b, column block)) × row blocks of A. The
 * tile's `n` is the batch index, so codegen's constant-block ids change with the batch or the column block.
 */
export function tileMatMul(
  s: GemmSpec,
  batch: number,
  sram: number,
  op: number,
): OpTiling | undefined {
  const one = tileGemm({ ...s, batched: batch > 1 }, sram, op);
  if (one === undefined) return undefined;
  const tiles = Array.from({ length: batch }, (_, b) =>
    one.tiles.map((t) => ({ ...t, n: b })),
  ).flat();
  // Bᵀ is an activation: every batch loads its own, so the constant part of the traffic repeats too
  return { ...one, tiles, dramBytes: one.dramBytes * batch };
}
