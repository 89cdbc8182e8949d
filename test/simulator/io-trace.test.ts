// Program I/O (QuantizeLinear of float inputs, dequantized or raw outputs, batches) and the trace formats.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { tensor, type Tensor } from '../../common/tensor.js';
import { simulate } from '../../simulator/simulate.js';
import {
  qtypeArb,
  randomFloatTensor,
  randomIntTensor,
  scaleArb,
  seedArb,
  type QType,
} from '../helpers/arbitraries.js';
import { run, vals } from '../reference/quant-harness.js';
import { hwWith, ProgramBuilder } from './program-builder.js';

const edge = hwWith('edge');
const f = (v: number): Tensor => tensor('float32', [], [v]);

/** Copies input x to output y through SRAM with a relu clamp (node names for the trace). */
function copyProgram(
  shape: readonly number[],
  dtype: QType,
  scale: number,
  zp: number,
): ReturnType<ProgramBuilder['program']> {
  const b = new ProgramBuilder(edge);
  const xd = b.io('in', 'x', shape, dtype, scale, zp);
  const yd = b.io('out', 'y', shape, dtype, scale, zp);
  const n = shape.reduce((a, x) => a * x, 1);
  const xA = b.loadInput(xd, 0b1);
  const yA = b.sramAlloc(n);
  b.emit(
    'vec.clamp',
    {
      inAddr: xA,
      outAddr: yA,
      n,
      type: dtype,
      lo: zp,
      hi: dtype === 'int8' ? 127 : 255,
      wait: 0b1,
      signal: 0b10,
    },
    'relu',
  );
  b.storeOutput(yd, yA, 0b10, 0b100);
  b.emit('halt', { wait: 0b100 });
  return b.program();
}

describe('I/O', () => {
  test('float32 inputs are quantized as QuantizeLinear, outputs dequantized as DequantizeLinear', () => {
    fc.assert(
      fc.property(
        qtypeArb,
        scaleArb(-6, 0),
        fc.nat(255),
        fc.integer({ min: 1, max: 40 }),
        seedArb,
        (dtype, scale, zr, n, seed) => {
          const zp = zr + (dtype === 'int8' ? -128 : 0);
          const x = randomFloatTensor([1, n], seed, -200 * scale, 200 * scale);
          const zpT = tensor(dtype, [], [zp]);
          const qx = run('QuantizeLinear', [x, f(scale), zpT], 'float', {}, { domain: '' })[0];
          const relu = vals(qx).map((v) => Math.max(v, zp));
          const p = copyProgram([1, n], dtype, scale, zp);
          const raw = simulate(p, { x }, { hw: edge, raw: true });
          expect(raw.outputs.y.dtype).toBe(dtype);
          expect(vals(raw.outputs.y)).toEqual(relu);
          const deq = run(
            'DequantizeLinear',
            [tensor(dtype, [1, n], relu), f(scale), zpT],
            'float',
            {},
            { domain: '' },
          )[0];
          const out = simulate(p, { x }, { hw: edge });
          expect(out.outputs.y.dtype).toBe('float32');
          expect(vals(out.outputs.y)).toEqual(vals(deq));
        },
      ),
      { numRuns: 30 },
    );
  });

  test('a leading N x batch dimension runs N inferences and stacks the outputs', () => {
    const p = copyProgram([1, 3, 4], 'int8', 0.5, -3);
    const x = randomIntTensor('int8', [3, 3, 4], 5);
    const all = simulate(p, { x }, { hw: edge, raw: true });
    expect(all.outputs.y.shape).toEqual([3, 3, 4]);
    expect(all.stats.inferences).toBe(3);
    const one = (k: number) =>
      simulate(
        p,
        { x: { ...x, shape: [1, 3, 4], data: x.data.slice(12 * k, 12 * (k + 1)) } },
        { hw: edge, raw: true },
      );
    expect(vals(all.outputs.y)).toEqual([0, 1, 2].flatMap((k) => vals(one(k).outputs.y)));
    expect(all.stats.cycles).toBe(3 * one(0).stats.cycles);
    expect(() => simulate(p, { x: randomIntTensor('int8', [2, 3, 5], 1) }, { hw: edge })).toThrow(
      /input 'x': shape/,
    );
    expect(() => simulate(p, {}, { hw: edge })).toThrow(/'x' was not provided/);
  });
});

describe('trace', () => {
  const p = copyProgram([1, 64], 'int8', 0.5, 0);
  const r = simulate(p, { x: randomIntTensor('int8', [1, 64], 3) }, { hw: edge, trace: true });

  test('is Chrome Trace Event JSON: a track per engine, a complete event per instruction named after its node', () => {
    const json: unknown = JSON.parse(JSON.stringify(r.trace!.chrome));
    const events = Array.isArray(json) ? json : (json as { traceEvents: unknown[] }).traceEvents;
    expect(Array.isArray(events)).toBe(true);
    for (const e of events as Record<string, unknown>[]) {
      expect(typeof e.name).toBe('string');
      expect(['X', 'M']).toContain(e.ph);
      for (const k of ['ts', 'dur']) expect(typeof e[k] === 'number' && e[k] >= 0).toBe(true);
      for (const k of ['pid', 'tid']) expect(Number.isInteger(e[k])).toBe(true);
    }
    const x = (events as Record<string, unknown>[]).filter((e) => e.ph === 'X');
    expect(x).toHaveLength(r.stats.instructions.total);
    const relu = x.find((e) => e.name === 'relu')!;
    expect((relu.args as Record<string, unknown>).mnemonic).toBe('vec.clamp');
    const threads = (events as Record<string, unknown>[]).filter((e) => e.ph === 'M');
    const tidOf = (name: string) =>
      threads.find((t) => (t.args as { name: string }).name === name)!.tid;
    expect(relu.tid).toBe(tidOf('vector'));
    expect(
      x
        .filter((e) => (e.args as { mnemonic: string }).mnemonic === 'dma.store')
        .every((e) => e.tid === tidOf('dma1')),
    ).toBe(true);
    // ts in microseconds at the configured clock
    const last = Math.max(...x.map((e) => (e.ts as number) + (e.dur as number)));
    expect(last).toBeCloseTo(r.stats.latencyUs, 9);
  });

  test('the text log has one line per instruction with pc, engine and node', () => {
    const lines = r.trace!.text.split('\n');
    expect(lines).toHaveLength(r.stats.instructions.total);
    expect(lines.some((l) => /vector\s+pc\s+\d+\s+relu\s+vec\.clamp/.test(l))).toBe(true);
  });

  test('without trace there are no records', () => {
    expect(
      simulate(p, { x: randomIntTensor('int8', [1, 64], 3) }, { hw: edge }).trace,
    ).toBeUndefined();
  });
});
