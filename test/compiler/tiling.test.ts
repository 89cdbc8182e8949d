// Tiling properties: every tile's working set fits SRAM, tiles cover the output exactly once, halos are exact.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { sramBytes } from '../../isa/hw-config.js';
import type { OpTiling, Tile } from '../../compiler/tiling/tile-types.js';
import { SRAM_ALIGN, alignUp } from '../../compiler/tiling/tile-types.js';
import { tileWindow, type WindowSpec } from '../../compiler/tiling/window.js';
import { tileGemm } from '../../compiler/tiling/gemm.js';
import { hw } from './compile-helpers.js';

/** A random conv: output size from the ONNX formula; groups divide both channel counts. */
const convArb = fc
  .record({
    batch: fc.integer({ min: 1, max: 2 }),
    groupsExp: fc.integer({ min: 0, max: 3 }),
    cg: fc.integer({ min: 1, max: 24 }),
    kg: fc.integer({ min: 1, max: 24 }),
    inH: fc.integer({ min: 1, max: 48 }),
    inW: fc.integer({ min: 1, max: 48 }),
    kH: fc.integer({ min: 1, max: 7 }),
    strideH: fc.integer({ min: 1, max: 3 }),
    dilH: fc.integer({ min: 1, max: 3 }),
    padT: fc.integer({ min: 0, max: 3 }),
    padB: fc.integer({ min: 0, max: 3 }),
    padLR: fc.integer({ min: 0, max: 3 }),
    bias: fc.boolean(),
    fixed: fc.boolean(),
    lut: fc.boolean(),
  })
  .filter((r) => r.inH + r.padT + r.padB >= r.dilH * (r.kH - 1) + 1)
  .map((r): WindowSpec & { padB: number } => {
    const groups = 2 ** r.groupsExp;
    const outH = Math.floor((r.inH + r.padT + r.padB - r.dilH * (r.kH - 1) - 1) / r.strideH) + 1;
    return {
      batch: r.batch,
      inC: r.cg * groups,
      inH: r.inH,
      inW: r.inW,
      outC: r.kg * groups,
      outH,
      outW: r.inW,
      kH: r.kH,
      strideH: r.strideH,
      dilH: r.dilH,
      padT: r.padT,
      padB: r.padB,
      padL: r.padLR,
      padR: r.padLR,
      groups,
      perChannel: { weights: r.cg * r.kH * r.kH, bias: r.bias ? 4 : 0, requant: r.fixed ? 8 : 4 },
      constOnce: r.lut ? 256 : 0,
    };
  });

/** Bytes one tile needs, computed from the tile itself (double-buffered input and output, constants of its block). */
function tileBytes(s: WindowSpec, t: Tile, multipleOcBlocks: boolean): number {
  const rowsIn = (t.padTop ?? 0) + (t.inRows!.end - t.inRows!.start) + (t.padBottom ?? 0);
  const inCh = t.inC!.end - t.inC!.start;
  const oc = t.c.end - t.c.start;
  const bufs = multipleOcBlocks ? 2 : 1;
  const parts: [number, number][] = [
    [inCh * rowsIn * (s.inW + s.padL + s.padR), 2],
    [oc * s.perChannel.weights, bufs],
    [oc * s.perChannel.bias, bufs],
    [oc * s.perChannel.requant, bufs],
    [s.constOnce, 1],
    [oc * (t.y.end - t.y.start) * s.outW, 2],
  ];
  return parts.reduce((a, [b, n]) => a + (b === 0 ? 0 : alignUp(b, SRAM_ALIGN) * n), 0);
}

function checkCoverage(s: WindowSpec, tiling: OpTiling): void {
  const hits = new Uint8Array(s.batch * s.outC * s.outH);
  for (const t of tiling.tiles)
    for (let c = t.c.start; c < t.c.end; c++)
      for (let y = t.y.start; y < t.y.end; y++) hits[(t.n * s.outC + c) * s.outH + y]++;
  expect(hits.every((h) => h === 1)).toBe(true);
}

/** Input rows by brute force: every tap row of every output row of the tile, in and out of the image. */
function checkHalo(s: WindowSpec, t: Tile): void {
  const taps: number[] = [];
  for (let oy = t.y.start; oy < t.y.end; oy++)
    for (let ky = 0; ky < s.kH; ky++) taps.push(oy * s.strideH - s.padT + ky * s.dilH);
  const inside = taps.filter((r) => r >= 0 && r < s.inH);
  const [lo, hi] = [Math.min(...taps), Math.max(...taps)];
  // the box loaded is the contiguous span of tap rows clipped to the image (strided taps read rows in between)
  const span = { start: Math.max(0, lo), end: Math.min(s.inH, hi + 1) };
  if (span.end > span.start) {
    expect(t.padTop).toBe(Math.max(0, -lo));
    expect(t.padBottom).toBe(Math.max(0, hi - (s.inH - 1)));
    expect(t.inRows).toEqual(span);
  } else {
    // a block wholly in the top or bottom padding loads no row: its padding is exactly the window's rows
    expect(t.inRows!.end - t.inRows!.start).toBe(0);
    expect([t.padTop, t.padBottom]).toContain(0);
  }
  expect(t.padTop! + (t.inRows!.end - t.inRows!.start) + t.padBottom!).toBe(hi - lo + 1);
  for (const r of inside) expect(r >= t.inRows!.start && r < t.inRows!.end).toBe(true);
  // input channels: exactly the groups the output channels belong to
  const cg = s.inC / s.groups;
  const kg = s.outC / s.groups;
  expect(t.inC).toEqual(
    s.groups === 1
      ? { start: 0, end: s.inC }
      : { start: Math.floor(t.c.start / kg) * cg, end: Math.floor((t.c.end - 1) / kg) * cg + cg },
  );
}

describe.each([
  ['edge', sramBytes(hw('edge'))],
  ['warboy-2pe', sramBytes(hw('warboy-2pe'))],
  ['a 6 KiB SRAM', 6 * 1024],
])('conv tiles on %s', (_, sram) => {
  test('fit SRAM, cover the output once, read exactly their halo rows', () => {
    fc.assert(
      fc.property(convArb, (s) => {
        const tiling = tileWindow(s, sram, 0);
        if (tiling === undefined) {
          // only when not even one output row of the smallest channel block fits (one group's channels when grouped)
          const virt = s.dilH * (s.kH - 1) + 1;
          const unit = s.groups > 1 ? s.outC / s.groups : 1;
          const one: Tile = {
            n: 0,
            c: { start: 0, end: unit },
            y: { start: 0, end: 1 },
            inC: { start: 0, end: s.groups === 1 ? s.inC : s.inC / s.groups },
            inRows: { start: 0, end: virt },
            padTop: 0,
            padBottom: 0,
          };
          expect(tileBytes(s, one, s.outC > unit)).toBeGreaterThan(sram);
          return;
        }
        const multi = tiling.tileShape.channels < s.outC;
        if (s.groups > 1) expect(tiling.tileShape.channels % (s.outC / s.groups)).toBe(0);
        for (const t of tiling.tiles) {
          expect(tileBytes(s, t, multi)).toBeLessThanOrEqual(sram);
          checkHalo(s, t);
        }
        expect(tiling.workingSetBytes).toBeLessThanOrEqual(sram);
        checkCoverage(s, tiling);
      }),
      { numRuns: 150, seed: 4242 },
    );
  });
});

test('small SRAM forces output-row and output-channel tiling', () => {
  const s: WindowSpec = {
    batch: 1,
    inC: 64,
    inH: 32,
    inW: 32,
    outC: 64,
    outH: 32,
    outW: 32,
    kH: 3,
    strideH: 1,
    dilH: 1,
    padT: 1,
    padL: 1,
    padR: 1,
    groups: 1,
    perChannel: { weights: 576, bias: 4, requant: 4 },
    constOnce: 0,
  };
  const t = tileWindow(s, 32 * 1024, 0)!;
  expect(t.tileShape.rows).toBeLessThan(32);
  expect(t.tiles.length).toBeGreaterThan(1);
  expect(t.workingSetBytes).toBeLessThanOrEqual(32 * 1024);
  checkCoverage(s, t);
});

test('gemm tiles fit and cover the m × n output once', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 300 }),
      fc.integer({ min: 1, max: 600 }),
      (m, n, k) => {
        const sram = 16 * 1024;
        const t = tileGemm({ m, n, k, perColumn: { bias: 4, requant: 4 }, constOnce: 0 }, sram, 0);
        if (t === undefined) return;
        expect(t.workingSetBytes).toBeLessThanOrEqual(sram);
        const hits = new Uint8Array(m * n);
        for (const tile of t.tiles)
          for (let y = tile.y.start; y < tile.y.end; y++)
            for (let c = tile.c.start; c < tile.c.end; c++) hits[y * n + c]++;
        expect(hits.every((h) => h === 1)).toBe(true);
      },
    ),
    { numRuns: 100, seed: 7 },
  );
});
