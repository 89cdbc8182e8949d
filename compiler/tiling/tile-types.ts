// Tiles and SRAM regions: what the tiler records for each op and codegen will loop over.

/** Half-open [start, end). */
export interface Range {
  start: number;
  end: number;
}

/**
 * One tile of an op's output, seen as [N][C][H][W] (gemm: C = output columns, H = rows of A): image `n`, channels
 * `c`, rows `y`, all columns. For windowed ops (conv, pools) `inRows` are the input rows read, clipped to the
 * image, and `padTop` / `padBottom` the rows of padding the DMA writes around them (the halo at the borders).
 */
export interface Tile {
  n: number;
  c: Range;
  y: Range;
  inC?: Range;
  inRows?: Range;
  padTop?: number;
  padBottom?: number;
}

export type RegionName = 'input' | 'inputB' | 'output' | 'weights' | 'bias' | 'requant' | 'lut';

/** A buffer in SRAM: `buffers` copies of `bytes` (2 = double buffering: DMA fills one while compute uses the other). */
export interface SramRegion {
  name: RegionName;
  offset: number;
  bytes: number;
  buffers: 1 | 2;
}

export interface OpTiling {
  op: number;
  /** Largest tile: channels, rows, columns of the output view. */
  tileShape: { channels: number; rows: number; cols: number };
  tiles: Tile[];
  regions: SramRegion[];
  /** Σ regions' bytes × buffers (with alignment), <= the SRAM size. */
  workingSetBytes: number;
  /** DRAM bytes the tiles load and store (input re-reads for halos and output-channel blocks included). */
  dramBytes: number;
}

/** Region sizes of one candidate tile shape, before placement. */
export type RegionSizes = Partial<Record<RegionName, { bytes: number; buffers: 1 | 2 }>>;

export const SRAM_ALIGN = 64;
export const alignUp = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Places the regions one after another, each aligned; returns them and the total. */
export function placeRegions(sizes: RegionSizes): { regions: SramRegion[]; total: number } {
  const regions: SramRegion[] = [];
  let offset = 0;
  for (const name of ['input', 'inputB', 'weights', 'bias', 'requant', 'lut', 'output'] as const) {
    const r = sizes[name];
    if (r === undefined || r.bytes === 0) continue;
    regions.push({ name, offset, bytes: r.bytes, buffers: r.buffers });
    offset += alignUp(r.bytes, SRAM_ALIGN) * r.buffers;
  }
  return { regions, total: offset };
}

/** Splits [0, total) into blocks of `size` (the last may be shorter). */
export function blocks(total: number, size: number): Range[] {
  const out: Range[] = [];
  for (let s = 0; s < total; s += size) out.push({ start: s, end: Math.min(total, s + size) });
  return out;
}
