// Tiling of gemm: blocks of rows of A (m) × blocks of output columns (n); k is never split (one accumulation).

import type { OpTiling, RegionSizes, Tile } from './tile-types.js';
import { blocks, placeRegions } from './tile-types.js';

export interface GemmSpec {
  m: number;
  n: number;
  k: number;
  /** bias and requant bytes per output column, LUT bytes. */
  perColumn: { bias: number; requant: number };
  constOnce: number;
  /** Several constant blocks even with one column block (the batched matmul: one block of Bᵀ per batch). */
  batched?: boolean;
}

function sizes(s: GemmSpec, mB: number, nB: number): RegionSizes {
  const bufs = nB < s.n || s.batched === true ? 2 : 1;
  return {
    input: { bytes: mB * s.k, buffers: 2 },
    weights: { bytes: nB * s.k, buffers: bufs },
    bias: { bytes: nB * s.perColumn.bias, buffers: bufs },
    requant: { bytes: nB * s.perColumn.requant, buffers: bufs },
    lut: { bytes: s.constOnce, buffers: 1 },
    output: { bytes: mB * nB, buffers: 2 },
  };
}

/** Working set of an mB × nB tile. */
export const gemmWorkingSet = (s: GemmSpec, mB: number, nB: number): number =>
  placeRegions(sizes(s, mB, nB)).total;

const halvings = (x: number): number[] => {
  const out = new Set<number>();
  for (let d = 1; ; d *= 2) {
    out.add(Math.ceil(x / d));
    if (Math.ceil(x / d) === 1) break;
  }
  return [...out];
};

/** Column blocks outer (B block loaded once), A re-read per column block; least traffic that fits wins. */
export function tileGemm(s: GemmSpec, sram: number, op: number): OpTiling | undefined {
  let best: { mB: number; nB: number; cost: number; ws: number } | undefined;
  for (const nB of halvings(s.n)) {
    for (const mB of halvings(s.m)) {
      const ws = placeRegions(sizes(s, mB, nB)).total;
      if (ws > sram) continue;
      const cost =
        Math.ceil(s.n / nB) * s.m * s.k +
        s.n * (s.k + s.perColumn.bias + s.perColumn.requant) +
        s.m * s.n +
        s.constOnce;
      if (
        best === undefined ||
        cost < best.cost ||
        (cost === best.cost && mB * nB > best.mB * best.nB)
      )
        best = { mB, nB, cost, ws };
      break; // the largest mB that fits for this nB
    }
  }
  if (best === undefined) return undefined;
  const tiles: Tile[] = [];
  for (const c of blocks(s.n, best.nB))
    for (const y of blocks(s.m, best.mB)) tiles.push({ n: 0, c, y });
  const { regions, total } = placeRegions(sizes(s, best.mB, best.nB));
  return {
    op,
    tileShape: { channels: best.nB, rows: best.mB, cols: 1 },
    tiles,
    regions,
    workingSetBytes: total,
    dramBytes: best.cost,
  };
}
