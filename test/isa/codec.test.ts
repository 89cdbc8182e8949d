// Encoder, decoder, disassembler and assembler: round-trip laws on random instructions of every mnemonic, and their errors.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { NpuError } from '../../common/diagnostics.js';
import { assemble, assembleWords, disassemble } from '../../isa/asm.js';
import { extractBits } from '../../isa/bits.js';
import { decode, decodeBytes, encode, encodeBytes } from '../../isa/codec.js';
import { EXAMPLE_ASM } from '../../isa/example.js';
import { listing } from '../../isa/listing.js';
import type { Instruction } from '../../isa/instructions.js';
import { ISA } from '../../isa/table.js';
import { arbInstruction, arbInstructionOf, arbWord } from './arb.js';

const npuError = (f: () => unknown): NpuError => {
  try {
    f();
  } catch (e) {
    if (e instanceof NpuError) return e;
    throw e;
  }
  throw new Error('expected an NpuError');
};

describe('round trips', () => {
  test.each(ISA.map((i) => [i.mnemonic, i] as const))(
    '%s: decode(encode(i)) = i and assemble(disassemble(w)) = w',
    (_, spec) => {
      fc.assert(
        fc.property(arbInstructionOf(spec), (i) => {
          const w = encode(i);
          expect(decode(w)).toEqual(i);
          expect(assembleWords(disassemble(w))).toEqual([w]);
          expect(decodeBytes(encodeBytes(i))).toEqual(i);
        }),
        { numRuns: 150 },
      );
    },
  );

  test('any word the decoder accepts re-encodes to itself; other words give catalogued errors', () => {
    const opcodes = ISA.map((i) => BigInt(i.opcode));
    const words = fc.oneof(
      arbWord,
      // words with a valid opcode and random fields, reserved bits mostly clear
      fc
        .tuple(arbInstruction, fc.constantFrom(...opcodes), fc.nat(255))
        .map(([i, op, b]) => (encode(i) & ~0xffn) | op | (b < 32 ? 1n << BigInt(b + 224) : 0n)),
    );
    fc.assert(
      fc.property(words, (w) => {
        let i: Instruction;
        try {
          i = decode(w);
        } catch (e) {
          expect(e).toBeInstanceOf(NpuError);
          expect(['isaIllegalOpcode', 'isaBadEncoding']).toContain((e as NpuError).id);
          return;
        }
        expect(encode(i)).toBe(w);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encoding follows the documented layout', () => {
  test('conv: opcode in bits 7:0, wait 23:8, signal 39:24, inAddr 71:40, outCStride 199:168', () => {
    const [w] = assembleWords(
      'conv wait=0x5 signal=2 inAddr=0x12345678 weightAddr=7 outAddr=8 inCStride=9 outCStride=0xfedcba98',
    );
    expect(extractBits(w, 0, 8)).toBe(0x22n);
    expect(extractBits(w, 8, 16)).toBe(5n);
    expect(extractBits(w, 24, 16)).toBe(2n);
    expect(extractBits(w, 40, 32)).toBe(0x12345678n);
    expect(extractBits(w, 168, 32)).toBe(0xfedcba98n);
    expect(w >> 200n).toBe(0n);
  });

  test('signed, float and enum fields', () => {
    const [i] = assemble(
      'mac.quant inType=uint8 wType=int8 outType=int8 inZp=-256 wZp=255 outZp=-1 useBias=1 biasAddr=0 requantAddr=0 act=lut clipLo=0 clipHi=0 lutAddr=0',
    );
    const w = encode(i);
    expect(decode(w)).toMatchObject({
      op: 'mac.quant',
      inType: 'uint8',
      inZp: -256,
      wZp: 255,
      outZp: -1,
      act: 'lut',
    });
    const [s] = assemble(
      'vec.scale scaleA=-0 scaleB=0.5 scaleOut=NaN multA=-2147483648 multB=2147483647 multOut=0 shiftA=-32 shiftB=31 shiftOut=0 leftShift=20',
    );
    const d = decode(encode(s));
    expect(Object.is((d as { scaleA: number }).scaleA, -0)).toBe(true);
    expect(d).toMatchObject({
      scaleB: 0.5,
      scaleOut: Number.NaN,
      multA: -2147483648,
      shiftA: -32,
      leftShift: 20,
    });
  });
});

describe('errors', () => {
  test('illegal opcode and reserved bits', () => {
    expect(npuError(() => decode(0n)).id).toBe('isaIllegalOpcode');
    expect(npuError(() => decode(0n)).message).toBe('illegal opcode 0x00');
    const halt = encode({ op: 'halt', wait: 0, signal: 0 });
    expect(npuError(() => decode(halt | (1n << 100n))).message).toMatch(
      /'halt': reserved bits are not zero/,
    );
    // act is a 2-bit enum with 4 names; pool kind has 3 names in 2 bits: index 3 is unnamed
    const pool = ISA.find((i) => i.mnemonic === 'vec.pool')!;
    const kind = pool.layout.find((f) => f.name === 'kind')!;
    expect(npuError(() => decode(BigInt(pool.opcode) | (3n << BigInt(kind.lsb)))).message).toMatch(
      /field 'kind' has no value 3/,
    );
  });

  test('out-of-range fields', () => {
    const e = npuError(() =>
      encode({
        op: 'vec.clamp',
        wait: 0,
        signal: 0,
        inAddr: 2 ** 32,
        outAddr: 0,
        n: 1,
        type: 'int8',
        lo: 0,
        hi: 1,
      }),
    );
    expect(e.id).toBe('isaFieldRange');
    expect(e.message).toBe(
      "'vec.clamp': field 'inAddr' = 4294967296 is out of range (unsigned 32-bit integer, 0..4294967295)",
    );
    expect(
      npuError(() =>
        encode({
          op: 'vec.clamp',
          wait: 0,
          signal: 0,
          inAddr: 0,
          outAddr: 0,
          n: 1,
          type: 'int8',
          lo: -257,
          hi: 1,
        }),
      ).message,
    ).toMatch(/'lo' = -257 .*-256\.\.255/);
    expect(
      npuError(() =>
        encode({
          op: 'vec.clamp',
          wait: 0,
          signal: 0,
          inAddr: 0.5,
          outAddr: 0,
          n: 1,
          type: 'int8',
          lo: 0,
          hi: 1,
        }),
      ).id,
    ).toBe('isaFieldRange');
    expect(
      npuError(() =>
        encode({
          op: 'vec.clamp',
          wait: 0,
          signal: 0,
          inAddr: 0,
          outAddr: 0,
          n: 1,
          type: 'int4' as 'int8',
          lo: 0,
          hi: 1,
        }),
      ).message,
    ).toMatch(/one of int8, uint8/);
    expect(
      npuError(() =>
        encode({
          op: 'vec.scale',
          wait: 0,
          signal: 0,
          scaleA: 0.1,
          scaleB: 0,
          scaleOut: 0,
          multA: 0,
          multB: 0,
          multOut: 0,
          shiftA: 0,
          shiftB: 0,
          shiftOut: 0,
          leftShift: 0,
        }),
      ).message,
    ).toMatch(/'scaleA' = 0.1 .*float32/);
  });

  test('assembler errors name the line and file', () => {
    const cases: [string, RegExp][] = [
      ['halt\nfoo x=1', /line 2: unknown mnemonic 'foo'/],
      ['halt bogus=1', /line 1: 'halt' has no field 'bogus'/],
      ['halt wait', /line 1: expected field=value, got 'wait'/],
      ['halt wait=1 wait=2', /field 'wait' given twice/],
      ['# comment\n\nvec.lut inAddr=0 outAddr=0 n=1', /line 3: 'vec.lut' needs field 'lutAddr'/],
      ['halt wait=0x10000', /line 1: 'halt': field 'wait' = 65536 is out of range/],
      ['halt wait=1.5', /field 'wait' = 1.5 is out of range/],
      ['halt wait=abc', /field 'wait' = abc is out of range/],
    ];
    for (const [text, message] of cases) {
      const e = npuError(() => assemble(text, 'prog.s'));
      expect(e.id).toBe('asmSyntax');
      expect(e.format()).toMatch(message);
      expect(e.format()).toMatch(/^error NPU3013: prog\.s: /);
    }
  });

  test('assembler accepts comments, hex, binary and omitted sync masks', () => {
    const words = assembleWords('; a program\nsync wait=0b11 # barrier\nhalt\n');
    expect(words.map((w) => decode(w))).toEqual([
      { op: 'sync', wait: 3, signal: 0 },
      { op: 'halt', wait: 0, signal: 0 },
    ]);
  });
});

describe('the example program of docs/isa.md', () => {
  test('assembles, and its listing reassembles to the same words', () => {
    const words = assembleWords(EXAMPLE_ASM, 'example.s');
    expect(words.map((w) => decode(w).op)).toEqual([
      'dma.cfg',
      'dma.load',
      'dma.load',
      'mac.shape',
      'mac.quant',
      'conv',
      'dma.store',
      'halt',
    ]);
    const text = listing({ code: words, debug: [{ pc: 5, node: 'conv1' }] });
    expect(text.split('\n')[5]).toMatch(/^5: conv .* # conv1$/);
    expect(assembleWords(text.replace(/^\s*\d+: /gm, ''))).toEqual(words);
  });

  test('listing shows undecodable words instead of stopping', () => {
    expect(listing({ code: [0n, encode({ op: 'halt', wait: 0, signal: 0 })], debug: [] })).toBe(
      '0: .word 0x0  # illegal opcode 0x00\n1: halt wait=0 signal=0',
    );
  });
});
