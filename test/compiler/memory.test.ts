// The interval allocator: buffers live at the same time never overlap; memory is reused when lifetimes do not meet.

import fc from 'fast-check';
import { expect, test } from 'vitest';
import { allocateIntervals, type LiveBuffer } from '../../compiler/memory/interval-alloc.js';

const buffersArb = fc
  .array(
    fc.record({
      size: fc.integer({ min: 1, max: 5000 }),
      start: fc.integer({ min: 0, max: 40 }),
      len: fc.integer({ min: 0, max: 15 }),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((bs): LiveBuffer[] =>
    bs.map((b, i) => ({ id: `t${i}`, size: b.size, start: b.start, end: b.start + b.len })),
  );

test('two buffers live at the same step never share an address; offsets are aligned', () => {
  fc.assert(
    fc.property(buffersArb, fc.constantFrom(1, 16, 64), (bufs, align) => {
      const { offsets, total } = allocateIntervals(bufs, align);
      for (const a of bufs) {
        const oa = offsets.get(a.id)!;
        expect(oa % align).toBe(0);
        expect(oa + a.size).toBeLessThanOrEqual(total);
        for (const b of bufs) {
          if (a === b || a.start > b.end || b.start > a.end) continue;
          const ob = offsets.get(b.id)!;
          expect(oa + a.size <= ob || ob + b.size <= oa, `${a.id} and ${b.id}`).toBe(true);
        }
      }
      // never worse than no reuse at all, never better than the peak of live bytes at one step
      expect(total).toBeLessThanOrEqual(
        bufs.reduce((s, b) => s + Math.ceil(b.size / align) * align, 0),
      );
      for (let step = 0; step <= 55; step++) {
        const live = bufs
          .filter((b) => b.start <= step && step <= b.end)
          .reduce((s, b) => s + b.size, 0);
        expect(total).toBeGreaterThanOrEqual(live);
      }
    }),
    { numRuns: 300, seed: 99 },
  );
});

test('buffers with disjoint lifetimes share memory (a chain needs two buffers, not n)', () => {
  // t_i is produced at step i and read at step i + 1: a chain of 10 equal buffers
  const chain = Array.from({ length: 10 }, (_, i): LiveBuffer => ({
    id: `t${i}`,
    size: 1000,
    start: i,
    end: i + 1,
  }));
  const { total } = allocateIntervals(chain, 64);
  expect(total).toBe(2 * 1024);
});

test('deterministic: the same intervals in another order give the same offsets', () => {
  fc.assert(
    fc.property(buffersArb, (bufs) => {
      const a = allocateIntervals(bufs, 64);
      const b = allocateIntervals([...bufs].reverse(), 64);
      expect([...b.offsets].sort()).toEqual([...a.offsets].sort());
    }),
    { numRuns: 100, seed: 5 },
  );
});
