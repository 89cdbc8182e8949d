// Architectural faults: one catalogued NpuError naming pc, mnemonic and ONNX node; never a JS exception.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NpuError, type DiagnosticId } from '../../common/diagnostics.js';
import { encode } from '../../isa/codec.js';
import { sramBytes } from '../../isa/hw-config.js';
import { simulate } from '../../simulator/simulate.js';
import { arbInstruction } from '../isa/arb.js';
import { hwWith, ProgramBuilder } from './program-builder.js';

const edge = hwWith('edge');

function faultOf(b: ProgramBuilder): NpuError {
  try {
    simulate(b.program(), {}, { hw: edge });
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected a fault');
}

function expectFault(b: ProgramBuilder, id: DiagnosticId, ...parts: string[]): void {
  const e = faultOf(b);
  expect(e.id).toBe(id);
  const line = e.format();
  expect(line.split('\n')).toHaveLength(1);
  for (const p of parts) expect(line).toContain(p);
}

const load = { channel: 0, dramAddr: 0x1000, sramAddr: 0, size0: 64, size1: 1, size2: 1, size3: 1 };

describe('faults', () => {
  test('a wait nobody can satisfy is a deadlock naming pc, instruction and node', () => {
    const b = new ProgramBuilder(edge);
    b.emit('dma.load', { ...load, signal: 1 }, 'input');
    b.emit('vec.clamp', { n: 4, lo: -1, hi: 1, wait: 0b110, signal: 0b1000 }, 'relu_1');
    b.emit('halt', { wait: 0b1001 });
    expectFault(
      b,
      'simDeadlock',
      'pc 1',
      'vec.clamp',
      "node 'relu_1'",
      'semaphores 1, 2',
      'pc 2 halt',
    );
  });

  test('a sync barrier that never opens is a deadlock of the dispatcher', () => {
    const b = new ProgramBuilder(edge);
    b.emit('sync', { wait: 1 }, 'barrier');
    b.emit('halt');
    expectFault(b, 'simDeadlock', 'pc 0', 'sync', "node 'barrier'");
  });

  test('an SRAM address past the end faults naming pc', () => {
    const b = new ProgramBuilder(edge);
    b.emit('sync', {});
    b.emit('dma.load', { ...load, sramAddr: sramBytes(edge) - 10, signal: 1 }, 'conv1');
    b.emit('halt', { wait: 1 });
    expectFault(b, 'simSramRange', 'pc 1', 'dma.load', "node 'conv1'", 'overflow');
  });

  test('a DRAM address past the configured DRAM faults', () => {
    const b = new ProgramBuilder(edge);
    b.emit('dma.store', {
      channel: 1,
      sramAddr: 0,
      dramAddr: edge.dram.sizeBytes - 8,
      size0: 64,
      size1: 1,
      size2: 1,
      size3: 1,
      signal: 1,
    });
    b.emit('halt', { wait: 1 });
    expectFault(b, 'simDramRange', 'pc 0', 'dma.store');
  });

  test('a misaligned requantization table faults', () => {
    const b = new ProgramBuilder(edge);
    b.emit('mac.quant', { requantAddr: 0x102 });
    b.emit('gemm', { m: 1, n: 1, k: 1, signal: 1 }, 'fc');
    b.emit('halt', { wait: 1 });
    expectFault(b, 'simMisaligned', 'pc 1', 'gemm', "node 'fc'");
  });

  test('an illegal opcode, a missing DMA channel and a missing halt fault cleanly', () => {
    const b = new ProgramBuilder(edge);
    b.emit('sync');
    const p = b.program();
    const bad = { ...p, code: [...p.code, 0n] };
    expect(() => simulate(bad, {}, { hw: edge })).toThrow(
      /pc 1: illegal instruction: illegal opcode 0x00/,
    );
    const c = new ProgramBuilder(edge);
    c.emit('dma.cfg', { channel: 3 });
    c.emit('halt');
    expectFault(c, 'simBadOperand', 'pc 0', 'DMA channel 3');
    const d = new ProgramBuilder(edge);
    d.emit('sync');
    expectFault(d, 'simNoHalt', 'pc 1');
  });

  test('a program built for another config is refused', () => {
    const b = new ProgramBuilder(hwWith('edge', { requant: 'fixed' }));
    b.emit('halt');
    expect(() => simulate(b.program(), {}, { hw: edge })).toThrow(/compiled for hardware/);
  });

  test('element-wise instructions of zero elements write nothing, whatever their output address', () => {
    // found by the random-instruction property: an empty result at an out-of-range address threw a RangeError
    const b = new ProgramBuilder(edge);
    const far = edge.sram.bytesPerSlice * edge.slices + 1;
    b.emit('vec.add', { aAddr: 0, bAddr: 0, outAddr: far, n: 0, bMode: 'elementwise', rowLen: 0 });
    b.emit('vec.lut', { inAddr: 0, outAddr: far, lutAddr: 0, n: 0 });
    b.emit('vec.clamp', { inAddr: 0, outAddr: far, n: 0, type: 'int8', lo: -1, hi: 1 });
    b.emit('halt', {});
    expect(() => simulate(b.program(), {}, { hw: edge })).not.toThrow();
  });

  test('a gemm too large for the kernel memory is a catalogued fault, not a RangeError', () => {
    // 65535 rows of A at row stride 0 fit SRAM (one row) but widen to 65535 x 65536 int16 lanes (8 GiB)
    const b = new ProgramBuilder(edge);
    b.emit('mac.quant', {});
    b.emit('gemm', {
      aAddr: 0,
      bAddr: 0,
      outAddr: 0,
      m: 65535,
      n: 1,
      k: 65535,
      aRowStride: 0,
      outRowStride: 0,
    });
    b.emit('halt', {});
    let err: unknown;
    try {
      simulate(b.program(), {}, { hw: edge });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NpuError);
    expect(String(err)).toMatch(/kernel memory/);
  });

  test('random instructions never throw anything but a catalogued error', () => {
    // sizes are drawn small so that legal programs finish quickly; addresses and everything else are random
    const small = arbInstruction.map((i) => {
      const o: Record<string, unknown> = { ...i };
      for (const k of [
        'size0',
        'size1',
        'size2',
        'size3',
        'n',
        'm',
        'k',
        'c',
        'h',
        'w',
        'inC',
        'outC',
        'inH',
        'inW',
      ])
        if (typeof o[k] === 'number') o[k] = o[k] % 9;
      for (const k of [
        'padLo0',
        'padHi0',
        'padLo1',
        'padHi1',
        'padLo2',
        'padHi2',
        'padLo3',
        'padHi3',
        'padT',
        'padB',
        'padL',
        'padR',
      ])
        if (typeof o[k] === 'number') o[k] = o[k] % 3;
      return o as typeof i;
    });
    fc.assert(
      fc.property(fc.array(small, { maxLength: 12 }), (list) => {
        const b = new ProgramBuilder(edge);
        const p = b.program();
        const prog = {
          ...p,
          code: [...list.map(encode), encode({ op: 'halt', wait: 0, signal: 0 })],
        };
        try {
          simulate(prog, {}, { hw: edge });
        } catch (e) {
          expect(e).toBeInstanceOf(NpuError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
