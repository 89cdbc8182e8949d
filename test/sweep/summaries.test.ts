// Sweep summaries on hand-built programs: per-layer MACs, bytes and bus cycles, the timeline, split-mode throughput.
import { describe, expect, test } from 'vitest';
import { loadHwConfig } from '../../isa/hw-config.js';
import { simulate, type SimStats } from '../../simulator/simulate.js';
import { dramBusCyclesOf, layersOf, timelineOf } from '../../simulator/sweep/layers.js';
import { randomInput, splitThroughput } from '../../simulator/sweep/point.js';
import { hwWith, ProgramBuilder } from '../simulator/program-builder.js';

const edge = hwWith('edge');

/** Two layers: 'load' moves 1000 B (16 bursts at 8 B/cycle = 128 bus cycles) and 'mm' is a 16x8x32 gemm. */
function twoLayers(): ReturnType<typeof simulate> {
  const b = new ProgramBuilder(edge);
  const d = b.constant(new Uint8Array(1024));
  b.load(d, 0, 1000, 1, 'load');
  b.emit(
    'gemm',
    {
      aAddr: 0,
      bAddr: 512,
      outAddr: 2048,
      m: 16,
      n: 8,
      k: 32,
      aRowStride: 32,
      outRowStride: 8,
      wait: 1,
      signal: 2,
    },
    'mm',
  );
  b.emit('halt', { wait: 2 });
  return simulate(b.program(), {}, { hw: edge, trace: true });
}

describe('layersOf', () => {
  test('sums MACs, DRAM bytes, bus cycles and engine time per node, in start order', () => {
    const r = twoLayers();
    const layers = layersOf(r.trace!.records, edge);
    expect(layers.map((l) => l.node)).toEqual(['load', 'mm']);
    const [load, mm] = layers;
    expect(load.dramBytes).toBe(1000);
    expect(load.dramBusCycles).toBe(128);
    expect(load.dmaCycles).toBe(228); // 100 latency + 128
    expect(load.macs).toBe(0);
    expect(mm.macs).toBe(16 * 8 * 32);
    expect(mm.macs).toBe(r.stats.mac.usefulMacs);
    // gemm: ceil(16 / 4 slices) x ceil(8 / 4) x ceil(32 / 8) = 32 cycles, after the load
    expect(mm.macCycles).toBe(32);
    expect(mm.start).toBe(load.end);
    expect(mm.end).toBe(r.stats.cycles);
    expect(dramBusCyclesOf(r.trace!.records, edge)).toBe(128);
  });

  test('without hw the bus cycles are not computed', () => {
    expect(layersOf(twoLayers().trace!.records)[0].dramBusCycles).toBe(0);
  });
});

describe('timelineOf', () => {
  test('busy fractions per bin: the DMA fills the first 228 cycles, the MAC array the last 32', () => {
    const r = twoLayers();
    const t = timelineOf(r.trace!.records, r.stats.cycles, 260);
    expect(r.stats.cycles).toBe(260);
    expect(Object.keys(t.engines)).toEqual(['dma0', 'mac']);
    expect(t.engines.dma0.slice(0, 228).every((f) => f === 1)).toBe(true);
    expect(t.engines.dma0.slice(228).every((f) => f === 0)).toBe(true);
    expect(t.engines.mac.reduce((a, f) => a + f, 0)).toBeCloseTo(32, 9);
    const coarse = timelineOf(r.trace!.records, r.stats.cycles, 2); // bins of 130 cycles
    expect(coarse.engines.dma0[1]).toBeCloseTo(98 / 130, 9);
  });
});

describe('splitThroughput', () => {
  const stats = (cycles: number, dramBytes: number): SimStats =>
    ({
      cycles,
      inferences: 1,
      dram: { bytesRead: dramBytes, bytesWritten: 0 },
    }) as unknown as SimStats;
  const one = loadHwConfig('warboy'); // 66 GB/s at 2 GHz = 33 B/cycle

  test('two PEs double the throughput while the shared DRAM keeps up', () => {
    expect(splitThroughput(one, stats(2_000_000, 33_000_000))).toBeCloseTo(2 * 1000, 6); // 1 ms per inference
  });

  test('capped by the DRAM bus when two PEs would need more than it has', () => {
    // 1.5 M bus cycles per inference: a pair needs 3 M cycles = 1.5 ms
    expect(splitThroughput(one, stats(2_000_000, 49_500_000))).toBeCloseTo(2 / 1.5e-3, 6);
    expect(splitThroughput(one, stats(2_000_000, 0), 1_500_000)).toBeCloseTo(2 / 1.5e-3, 6);
  });

  test('not defined for fused configs', () => {
    expect(splitThroughput(loadHwConfig('warboy-2pe'), stats(2_000_000, 0))).toBeUndefined();
  });
});

test('randomInput: seeded, the descriptor shape, the full int8 range', () => {
  const d = {
    name: 'x',
    shape: [1, 3, 16, 16],
    dtype: 'int8',
    scale: 1,
    zeroPoint: 0,
    dramAddr: 0,
    layout: 'NCHW',
  } as const;
  const a = randomInput(d, 's');
  expect(a.shape).toEqual([1, 3, 16, 16]);
  expect(randomInput(d, 's').data).toEqual(a.data);
  expect(randomInput(d, 't').data).not.toEqual(a.data);
  const v = Array.from(a.data as Int8Array);
  expect(Math.min(...v)).toBeLessThan(-120);
  expect(Math.max(...v)).toBeGreaterThan(120);
});
