// Timing model: hand-computed cycles of one MAC tile and one DMA, DRAM sharing, monotonic laws, statistics.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { HwConfig } from '../../isa/hw-config.js';
import { simulate, type SimResult } from '../../simulator/simulate.js';
import { randomIntTensor, seedArb } from '../helpers/arbitraries.js';
import { bytesOf, hwWith, ProgramBuilder, requantTable } from './program-builder.js';

const edge = hwWith('edge');

test('the edge preset has the parameters the hand computations below assume', () => {
  expect(edge.slices).toBe(4);
  expect([edge.mac.width, edge.mac.height]).toEqual([8, 4]);
  expect([edge.dram.gbps, edge.clockMhz, edge.dram.burstBytes, edge.dram.latencyCycles]).toEqual([
    8, 1000, 64, 100,
  ]);
  expect([edge.sram.banksPerSlice, edge.sram.accessBytes, edge.vector.lanesPerSlice]).toEqual([
    4, 8, 8,
  ]);
});

const cyclesOf = (r: SimResult, op: string): number[] =>
  r.trace!.records.filter((x) => x.op === op).map((x) => x.end - x.start);

/** Loads `bytes` bytes at DRAM offset `misalign` from a 64-byte boundary; optionally a second load on channel 1. */
function dmaProgram(hw: HwConfig, bytes: number, misalign: number, two: boolean): SimResult {
  const b = new ProgramBuilder(hw);
  const d = b.constant(new Uint8Array(bytes + misalign + 64));
  b.emit('dma.load', {
    channel: 0,
    dramAddr: d + misalign,
    sramAddr: 0,
    size0: bytes,
    size1: 1,
    size2: 1,
    size3: 1,
    signal: 1,
  });
  if (two)
    b.emit('dma.load', {
      channel: 1,
      dramAddr: d,
      sramAddr: 0x4000,
      size0: bytes,
      size1: 1,
      size2: 1,
      size3: 1,
      signal: 2,
    });
  b.emit('halt', { wait: two ? 3 : 1 });
  return simulate(b.program(), {}, { hw, trace: true });
}

describe('DMA', () => {
  test('one aligned load: latency + whole bursts at DRAM bandwidth', () => {
    // 1000 B -> 16 bursts of 64 B = 1024 B at 8 GB/s / 1000 MHz = 8 B/cycle -> 128 cycles; SRAM side 1000 B at
    // 4 banks x 8 B = 32 B/cycle -> 32 cycles (hidden); total 100 + max(128, 32) = 228
    const r = dmaProgram(edge, 1000, 0, false);
    expect(cyclesOf(r, 'dma.load')).toEqual([228]);
    expect(r.stats.cycles).toBe(228);
    expect(r.stats.dram.bytesRead).toBe(1000);
    expect(r.stats.sram.bytesWritten).toBe(1000);
    expect(r.stats.engines.dma0).toEqual({ busyCycles: 228, stallCycles: 0, instructions: 1 });
  });

  test('a misaligned run costs one more burst', () => {
    // 64 B starting 32 B into a burst touch 2 bursts: 100 + 128 / 8 = 116
    expect(cyclesOf(dmaProgram(edge, 64, 32, false), 'dma.load')).toEqual([116]);
  });

  test('two channels share the DRAM bandwidth', () => {
    // both start at 0; the first moves data in [100, 228), the second waits for the bus: [228, 356)
    const r = dmaProgram(edge, 1024, 0, true);
    expect(cyclesOf(r, 'dma.load').sort((a, b) => a - b)).toEqual([228, 356]);
    expect(r.stats.cycles).toBe(356);
  });

  test('rows adjacent in DRAM form one run: a 4 x 10 B plane at stride 10 is 40 B in one burst', () => {
    // per-row rounding would cost 4 bursts (256 B / 8 = 32 cycles); one 40 B run is 1 burst: 100 + 64 / 8 = 108
    const b = new ProgramBuilder(edge);
    const d = b.constant(Uint8Array.from({ length: 64 }, (_, k) => k));
    const out = b.io('out', 'y', [4, 12], 'uint8');
    b.emit('dma.cfg', { channel: 0, dramStride1: 10, sramStride1: 12 });
    b.emit('dma.load', {
      channel: 0,
      dramAddr: d,
      sramAddr: 0,
      size0: 10,
      size1: 4,
      size2: 1,
      size3: 1,
      fill: 0,
      padLo0: 1,
      padHi0: 1,
      signal: 1,
    });
    b.store(0, out.dramAddr, 48, 1, 2);
    b.emit('halt', { wait: 2 });
    const r = simulate(b.program(), {}, { hw: edge, trace: true, raw: true });
    expect(cyclesOf(r, 'dma.load')).toEqual([108]);
    expect(r.stats.dram.bytesRead).toBe(40);
  });

  test('a strided, padded box: one run per row, padding only on the SRAM side', () => {
    // 3 rows of 10 B, 100 B apart in DRAM (each within one burst) -> 3 bursts = 192 B / 8 = 24 cycles; SRAM
    // (1 + 10 + 1) x (1 + 3 + 1) = 60 B / 32 = 2 cycles; total 100 + 24 = 124
    const b = new ProgramBuilder(edge);
    const src = Uint8Array.from({ length: 300 }, (_, k) => k % 251);
    const d = b.constant(src);
    const out = b.io('out', 'y', [5, 12], 'uint8');
    b.emit('dma.cfg', { channel: 0, dramStride1: 100, sramStride1: 12 });
    b.emit('dma.load', {
      channel: 0,
      dramAddr: d,
      sramAddr: 0,
      size0: 10,
      size1: 3,
      size2: 1,
      size3: 1,
      fill: 0xee,
      padLo0: 1,
      padHi0: 1,
      padLo1: 1,
      padHi1: 1,
      signal: 1,
    });
    b.store(0, out.dramAddr, 60, 1, 2);
    b.emit('halt', { wait: 2 });
    const r = simulate(b.program(), {}, { hw: edge, trace: true, raw: true });
    expect(cyclesOf(r, 'dma.load')).toEqual([124]);
    const expected = Array.from({ length: 60 }, (_, k) => {
      const [row, col] = [Math.floor(k / 12), k % 12];
      return row === 0 || row === 4 || col === 0 || col === 11
        ? 0xee
        : src[(row - 1) * 100 + col - 1];
    });
    expect(Array.from(r.outputs.y.data as Uint8Array)).toEqual(expected);
    expect(r.stats.dram.bytesRead).toBe(30);
    expect(r.stats.sram.bytesWritten).toBe(60);
  });

  test('a fast DRAM makes the SRAM side the limit', () => {
    const hw = hwWith('edge', { dram: { gbps: 1000 } }); // 1000 B/cycle
    // 4096 B: DRAM 64 bursts = 4096 B -> 5 cycles; SRAM 4096 / 32 = 128 cycles (one slice) -> 100 + 128
    expect(cyclesOf(dmaProgram(hw, 4096, 0, false), 'dma.load')).toEqual([228]);
  });
});

/** A tiled pipeline: per tile, load input (ch0), conv (mac), store (ch1); sems 0 loaded, 1 computed, 2 stored. */
function convPipeline(
  hw: HwConfig,
  g: { c: number; m: number; h: number; w: number; k: number; tiles: number; seed: number },
  double = false,
): SimResult {
  const b = new ProgramBuilder(hw);
  const x = randomIntTensor('int8', [g.tiles, g.c, g.h, g.w], g.seed);
  const xd = b.io('in', 'x', x.shape, 'int8', 0.1, 0);
  const oh = g.h - g.k + 1;
  const ow = g.w - g.k + 1;
  const yd = b.io('out', 'y', [g.tiles, g.m, oh, ow], 'int8', 1, 0);
  const w = randomIntTensor('int8', [g.m, g.c, g.k, g.k], g.seed + 1);
  const [wA, rqA] = b.loadConstants(
    [bytesOf(w), requantTable(hw, { x: 0.1, w: [0.01], y: 1 })],
    0b1000,
  );
  b.emit('sync', { wait: 0b1000 });
  b.emit('mac.shape', {
    inC: g.c,
    inH: g.h,
    inW: g.w,
    outC: g.m,
    kH: g.k,
    kW: g.k,
    strideH: 1,
    strideW: 1,
    dilH: 1,
    dilW: 1,
    groups: 1,
  });
  b.emit('mac.quant', { requantAddr: rqA, act: 'none' });
  const tin = g.c * g.h * g.w;
  const tout = g.m * oh * ow;
  if (double) {
    // double buffering: sem 4 counts free input buffers, sem 5 free output buffers (both start at 2)
    const xs = [b.sramAlloc(tin), b.sramAlloc(tin)];
    const os = [b.sramAlloc(tout), b.sramAlloc(tout)];
    for (let k = 0; k < 2; k++) b.emit('sync', { signal: 0b110000 });
    for (let t = 0; t < g.tiles; t++) {
      const x = xs[t % 2];
      const o = os[t % 2];
      b.emit('dma.load', {
        channel: 0,
        dramAddr: xd.dramAddr + t * tin,
        sramAddr: x,
        size0: tin,
        size1: 1,
        size2: 1,
        size3: 1,
        wait: 0b10000,
        signal: 0b1,
      });
      b.emit(
        'conv',
        {
          inAddr: x,
          weightAddr: wA,
          outAddr: o,
          inCStride: g.h * g.w,
          outCStride: oh * ow,
          wait: 0b100001,
          signal: 0b10010,
        },
        `conv${t}`,
      );
      b.store(o, yd.dramAddr + t * tout, tout, 0b10, 0b100000);
    }
    b.emit('halt');
    return simulate(b.program(), { x }, { hw, trace: true });
  }
  const xA = b.sramAlloc(tin);
  const oA = b.sramAlloc(tout);
  for (let t = 0; t < g.tiles; t++) {
    // single buffers: the next load waits until the conv has read the input (sem 1), the conv waits for the store
    b.load(xd.dramAddr + t * tin, xA, tin, 0b1);
    b.emit(
      'conv',
      {
        inAddr: xA,
        weightAddr: wA,
        outAddr: oA,
        inCStride: g.h * g.w,
        outCStride: oh * ow,
        wait: 0b1,
        signal: 0b10,
      },
      `conv${t}`,
    );
    b.store(oA, yd.dramAddr + t * tout, tout, 0b10, 0b100);
    if (t + 1 < g.tiles) b.emit('sync', { wait: 0b100 });
  }
  b.emit('halt', { wait: 0b100 });
  return simulate(b.program(), { x }, { hw, trace: true });
}

describe('MAC array', () => {
  test('one conv: rounds of pixels over slices x output-channel tiles x input-channel passes x taps', () => {
    // 16 -> 6 channels, 6x6 input, 3x3 kernel: 16 output pixels over 4 slices = 4 rounds; ceil(6/4) = 2 output
    // tiles; ceil(16/8) = 2 input passes; 9 taps: 4 * 2 * 2 * 9 = 144 cycles for 6*16*16*9 = 13824 useful MACs
    const r = convPipeline(edge, { c: 16, m: 6, h: 6, w: 6, k: 3, tiles: 1, seed: 1 });
    expect(cyclesOf(r, 'conv')).toEqual([144]);
    expect(r.stats.mac.usefulMacs).toBe(13824);
    expect(r.stats.mac.macsPerCycle).toBe(128);
    expect(r.stats.mac.utilization).toBeCloseTo(13824 / (r.stats.cycles * 128), 12);
  });

  test('one full tile takes one cycle', () => {
    // 8 input channels (width), 4 output channels (height), 4 pixels (slices), 1x1 kernel
    const r = convPipeline(edge, { c: 8, m: 4, h: 2, w: 2, k: 1, tiles: 1, seed: 2 });
    expect(cyclesOf(r, 'conv')).toEqual([1]);
  });

  test('total cycles follow the dependency chain', () => {
    const r = convPipeline(edge, { c: 8, m: 4, h: 2, w: 2, k: 1, tiles: 1, seed: 2 });
    const ends = r.trace!.records;
    const conv = ends.find((x) => x.op === 'conv')!;
    const store = ends.find((x) => x.op === 'dma.store')!;
    const load = ends.filter((x) => x.op === 'dma.load').at(-1)!; // the input tile, after the constants
    expect(conv.start).toBe(load.end);
    expect(store.start).toBe(conv.end);
    expect(r.stats.cycles).toBe(store.end);
    expect(r.stats.engines.mac.stallCycles).toBeGreaterThan(0);
  });
});

test('double buffering overlaps DMA and MAC: same bits, fewer cycles than the busy cycles added up', () => {
  const g = { c: 16, m: 8, h: 10, w: 10, k: 3, tiles: 4, seed: 9 };
  const single = convPipeline(edge, g);
  const double = convPipeline(edge, g, true);
  expect(double.outputs.y.data).toEqual(single.outputs.y.data);
  expect(double.stats.cycles).toBeLessThan(single.stats.cycles);
  const e = double.stats.engines;
  expect(double.stats.cycles).toBeLessThan(
    e.dma0.busyCycles + e.mac.busyCycles + e.dma1.busyCycles,
  );
  expect(double.stats.instructions.byMnemonic.conv).toBe(4);
});

describe('monotonic laws', () => {
  const geom = fc.record({
    c: fc.integer({ min: 1, max: 20 }),
    m: fc.integer({ min: 1, max: 12 }),
    h: fc.integer({ min: 3, max: 9 }),
    w: fc.integer({ min: 3, max: 9 }),
    k: fc.integer({ min: 1, max: 3 }),
    tiles: fc.integer({ min: 1, max: 3 }),
    seed: seedArb,
  });
  test('more DRAM bandwidth, a larger MAC array or more slices never make a program slower', () => {
    fc.assert(
      fc.property(
        geom,
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('gbps', 'width', 'height', 'slices'),
        fc.boolean(),
        (g, f, what, double) => {
          const base = edge;
          const faster =
            what === 'gbps'
              ? hwWith('edge', { dram: { gbps: base.dram.gbps * (1 + f) } })
              : what === 'slices'
                ? hwWith('edge', { slices: base.slices * 2 ** f })
                : hwWith('edge', { mac: { [what]: base.mac[what] * 2 ** f } });
          const slow = convPipeline(base, g, double);
          const fast = convPipeline(faster, g, double);
          expect(fast.stats.cycles).toBeLessThanOrEqual(slow.stats.cycles);
          expect(fast.outputs.y.data).toEqual(slow.outputs.y.data);
        },
      ),
      { numRuns: 60 },
    );
  });
});
