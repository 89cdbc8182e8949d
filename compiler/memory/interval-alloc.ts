// Greedy best-fit placement of buffers with lifetimes: two buffers that are live at the same time never overlap.

import { alignUp } from '../tiling/tile-types.js';

/** A buffer live from step `start` to step `end` (inclusive). */
export interface LiveBuffer {
  id: string;
  size: number;
  start: number;
  end: number;
}

const overlapsInTime = (a: LiveBuffer, b: LiveBuffer): boolean =>
  a.start <= b.end && b.start <= a.end;

/**
 * Largest buffers first (ties: earlier start, then id, for determinism); each goes into the smallest gap between
 * the buffers it overlaps in time that fits it, or above all of them. Returns offsets (aligned) and the arena size.
 */
export function allocateIntervals(
  buffers: readonly LiveBuffer[],
  align: number,
): { offsets: Map<string, number>; total: number } {
  const order = [...buffers].sort(
    (a, b) => b.size - a.size || a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  const placed: { buf: LiveBuffer; offset: number }[] = [];
  const offsets = new Map<string, number>();
  let total = 0;
  for (const buf of order) {
    const busy = placed
      .filter((p) => overlapsInTime(p.buf, buf))
      .sort((a, b) => a.offset - b.offset);
    let best: { offset: number; gap: number } | undefined;
    let cursor = 0;
    for (const p of busy) {
      const gap = p.offset - cursor;
      if (gap >= buf.size && (best === undefined || gap < best.gap)) best = { offset: cursor, gap };
      cursor = Math.max(cursor, alignUp(p.offset + p.buf.size, align));
    }
    const offset = best?.offset ?? cursor;
    placed.push({ buf, offset });
    offsets.set(buf.id, offset);
    total = Math.max(total, alignUp(offset + buf.size, align));
  }
  return { offsets, total };
}
