// Test helper for vec.softmax / vec.layernorm / vec.gelu: a one-instruction program over strided int8 rows.
import fc from 'fast-check';
import seedrandom from 'seedrandom';
import { tensor } from '../../common/tensor.js';
import type { HwConfig } from '../../isa/hw-config.js';
import type { InstructionOf } from '../../isa/instructions.js';
import type { Q8Data, Q8Type, QuantInfo } from '../../reference/ibert/int8-io.js';
import { simulate } from '../../simulator/simulate.js';
import { qtypeArb, scaleArb, zpArb } from '../helpers/arbitraries.js';
import { ProgramBuilder } from './program-builder.js';

export type RowOp = 'vec.softmax' | 'vec.layernorm' | 'vec.gelu';
type RowFields = Partial<Omit<InstructionOf<RowOp>, 'op'>>;

export interface RowRun {
  /** The output rows without their stride padding, rows x len. */
  y: number[];
  /** Busy cycles of the vector engine (the row instruction is its only costed instruction). */
  cycles: number;
}

/** Random codes of a dtype from a seed. */
export function randomCodes(t: Q8Type, n: number, seed: number): Q8Data {
  const rng = seedrandom(`ibert-sim:${seed}`);
  const lo = t === 'int8' ? -128 : 0;
  const out = t === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + Math.floor(rng() * 256);
  return out;
}

/**
 * Runs `op` on x (rows x len, dense) stored with row strides inStride / outStride (padding bytes are junk), the
 * parameter block loaded to a 64-byte-aligned SRAM address; `over` replaces instruction fields (fault tests).
 * overlap: output row r overwrites input row r + 1 (outAddr = inAddr + inStride, outStride = inStride), which a
 * kernel that wrote a row before reading the next would get wrong.
 */
export function runRows(
  hw: HwConfig,
  op: RowOp,
  x: Q8Data,
  types: { in: Q8Type; out: Q8Type },
  shape: { rows: number; len: number; inStride?: number; outStride?: number; overlap?: boolean },
  block: Uint8Array,
  over: RowFields | ((a: { inAddr: number; outAddr: number; paramAddr: number }) => RowFields) = {},
): RowRun {
  const { rows, len } = shape;
  const inStride = shape.inStride ?? len;
  const overlap = shape.overlap === true;
  const outStride = overlap ? inStride : (shape.outStride ?? len);
  const padded = randomCodes(types.in, rows * inStride, rows * 7919 + len);
  for (let r = 0; r < rows; r++) padded.set(x.subarray(r * len, (r + 1) * len), r * inStride);
  const b = new ProgramBuilder(hw);
  const xd = b.io('in', 'x', [rows, inStride], types.in);
  const yd = b.io('out', 'y', [rows, outStride], types.out);
  const inAddr = b.loadInput(xd, 0b1);
  const [paramAddr] = b.loadConstants([block], 0b10);
  const outAddr = overlap ? inAddr + inStride : b.sramAlloc(rows * outStride);
  b.emit(
    op,
    {
      inAddr,
      outAddr,
      paramAddr,
      rows,
      len,
      inRowStride: inStride,
      outRowStride: outStride,
      wait: 0b11,
      signal: 0b100,
      ...(typeof over === 'function' ? over({ inAddr, outAddr, paramAddr }) : over),
    },
    'node0',
  );
  b.storeOutput(yd, outAddr, 0b100, 0b1000);
  b.emit('halt', { wait: 0b1000 });
  const res = simulate(
    b.program(),
    { x: tensor(types.in, [rows, inStride], padded) },
    { hw, raw: true },
  );
  const all = Array.from(res.outputs.y.data as ArrayLike<number>);
  const y: number[] = [];
  for (let r = 0; r < rows; r++) y.push(...all.slice(r * outStride, r * outStride + len));
  return { y, cycles: res.stats.engines.vector.busyCycles };
}

export const modeArb = fc.constantFrom('fixed' as const, 'float' as const);
export const quantArb = (lo: number, hi: number, dtype?: Q8Type): fc.Arbitrary<QuantInfo> =>
  (dtype === undefined ? qtypeArb : fc.constant(dtype)).chain((t) =>
    fc.record({ scale: scaleArb(lo, hi), zeroPoint: zpArb(t), dtype: fc.constant(t) }),
  );
/** Rows x len with len 1 and odd lengths likely, and row strides >= len. */
export const shapeArb = (maxLen: number) =>
  fc.record({
    rows: fc.integer({ min: 1, max: 4 }),
    len: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: maxLen })),
    inPad: fc.integer({ min: 0, max: 5 }),
    outPad: fc.integer({ min: 0, max: 5 }),
  });
