// Tiling of windowed and element-wise ops over [N][C][H][W]: output-channel blocks × output-row blocks with halos.

import type { OpTiling, Range, RegionSizes, Tile } from './tile-types.js';
import { blocks, placeRegions } from './tile-types.js';

/** What the tiler needs to know of a conv, pool or element-wise op (element-wise: k = stride = 1, no padding). */
export interface WindowSpec {
  batch: number;
  inC: number;
  inH: number;
  inW: number;
  outC: number;
  outH: number;
  outW: number;
  kH: number;
  strideH: number;
  dilH: number;
  padT: number;
  padL: number;
  padR: number;
  /** Channel groups: output channel block [a, b) reads the input channels of the groups it touches. */
  groups: number;
  /** Constant bytes per output channel (weights, int32 bias, requant entry) and once per op (a 256-entry LUT). */
  perChannel: { weights: number; bias: number; requant: number };
  constOnce: number;
  /** A second operand: full-shaped like the output ('elementwise'), one byte per channel ('perrow') or one byte. */
  operandB?: 'elementwise' | 'perrow' | 'scalar';
}

/** Input rows a block of output rows reads (clipped to the image) and the padding rows around them. */
export function inputRows(
  s: WindowSpec,
  y: Range,
): { inRows: Range; padTop: number; padBottom: number } {
  const first = y.start * s.strideH - s.padT;
  const last = (y.end - 1) * s.strideH - s.padT + s.dilH * (s.kH - 1);
  // a block entirely inside the top or bottom padding (padding wider than the kernel reaches) reads no row
  if (last < 0) return { inRows: { start: 0, end: 0 }, padTop: last - first + 1, padBottom: 0 };
  if (first > s.inH - 1)
    return { inRows: { start: s.inH, end: s.inH }, padTop: 0, padBottom: last - first + 1 };
  return {
    inRows: { start: Math.max(0, first), end: Math.min(s.inH, last + 1) },
    padTop: Math.max(0, -first),
    padBottom: Math.max(0, last - (s.inH - 1)),
  };
}

/** Input channels an output-channel block reads. */
export function inputChannels(s: WindowSpec, c: Range): Range {
  if (s.groups === 1) return { start: 0, end: s.inC };
  const cg = s.inC / s.groups;
  const kg = s.outC / s.groups;
  return { start: Math.floor(c.start / kg) * cg, end: (Math.floor((c.end - 1) / kg) + 1) * cg };
}

function sizes(s: WindowSpec, ocB: number, rows: number): RegionSizes {
  const ocBlocks = blocks(s.outC, ocB);
  const inCh = Math.max(
    ...ocBlocks.map((c) => inputChannels(s, c).end - inputChannels(s, c).start),
  );
  const virtRows = (rows - 1) * s.strideH + s.dilH * (s.kH - 1) + 1;
  const constBufs = ocBlocks.length > 1 ? 2 : 1;
  const out = ocB * rows * s.outW;
  const b =
    s.operandB === 'elementwise'
      ? out
      : s.operandB === 'perrow'
        ? ocB
        : s.operandB === 'scalar'
          ? 1
          : 0;
  return {
    input: { bytes: inCh * virtRows * (s.inW + s.padL + s.padR), buffers: 2 },
    inputB: { bytes: b, buffers: s.operandB === 'scalar' ? 1 : 2 },
    weights: { bytes: ocB * s.perChannel.weights, buffers: constBufs },
    bias: { bytes: ocB * s.perChannel.bias, buffers: constBufs },
    requant: { bytes: ocB * s.perChannel.requant, buffers: constBufs },
    lut: { bytes: s.constOnce, buffers: 1 },
    output: { bytes: out, buffers: 2 },
  };
}

export const workingSet = (s: WindowSpec, ocB: number, rows: number): number =>
  placeRegions(sizes(s, ocB, rows)).total;

/** DRAM bytes of one tile shape: inputs re-read per channel block (halos included), constants once per block. */
function traffic(s: WindowSpec, ocB: number, rows: number): number {
  const ocBlocks = blocks(s.outC, ocB);
  let input = 0;
  for (const c of ocBlocks) {
    const ch = inputChannels(s, c);
    for (const y of blocks(s.outH, rows)) {
      const r = inputRows(s, y).inRows;
      input += (ch.end - ch.start) * (r.end - r.start) * s.inW;
    }
  }
  const b =
    s.operandB === 'elementwise'
      ? s.outC * s.outH * s.outW
      : s.operandB === 'perrow'
        ? s.outC
        : s.operandB === 'scalar'
          ? 1
          : 0;
  return (
    s.batch * (input + b + s.outC * s.outH * s.outW) +
    s.outC * (s.perChannel.weights + s.perChannel.bias + s.perChannel.requant) +
    s.constOnce
  );
}

/** The smallest channel block: one group's output channels for a grouped op, else one channel. */
export const channelUnit = (outC: number, groups: number): number =>
  groups > 1 ? outC / groups : 1;

/**
 * Channel-block candidates: the whole, halves, quarters, ... down to one unit. A grouped conv's unit is one group's
 * output channels (outC / groups), so every block holds whole groups and the conv instruction's group mapping
 * (g = oc / (outC / groups)) stays valid inside a tile.
 */
function channelCandidates(outC: number, groups: number): number[] {
  const unit = channelUnit(outC, groups);
  const units = outC / unit;
  const out = new Set<number>();
  for (let d = 1; ; d *= 2) {
    out.add(Math.ceil(units / d) * unit);
    if (Math.ceil(units / d) === 1) break;
  }
  return [...out];
}

/**
 * The tile shape with the least DRAM traffic whose working set fits `sram` (ties: the larger tile), and its tiles;
 * undefined if not even one row of one channel fits. The working set is monotone in rows, so rows are bisected.
 */
export function tileWindow(s: WindowSpec, sram: number, op: number): OpTiling | undefined {
  let best: { ocB: number; rows: number; cost: number } | undefined;
  for (const ocB of channelCandidates(s.outC, s.groups)) {
    if (workingSet(s, ocB, 1) > sram) continue;
    let [lo, hi] = [1, s.outH];
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (workingSet(s, ocB, mid) <= sram) lo = mid;
      else hi = mid - 1;
    }
    const cost = traffic(s, ocB, lo);
    if (
      best === undefined ||
      cost < best.cost ||
      (cost === best.cost && ocB * lo > best.ocB * best.rows)
    )
      best = { ocB, rows: lo, cost };
  }
  if (best === undefined) return undefined;
  const tiles: Tile[] = [];
  for (let n = 0; n < s.batch; n++)
    for (const c of blocks(s.outC, best.ocB))
      for (const y of blocks(s.outH, best.rows))
        tiles.push({ n, c, y, inC: inputChannels(s, c), ...inputRows(s, y) });
  const { regions, total } = placeRegions(sizes(s, best.ocB, best.rows));
  return {
    op,
    tileShape: { channels: best.ocB, rows: best.rows, cols: s.outW },
    tiles,
    regions,
    workingSetBytes: total,
    dramBytes: best.cost,
  };
}
