// fast-check arbitraries derived from the ISA table: random valid instructions of every mnemonic, and random programs.
import fc from 'fast-check';
import type { PlacedField, ResolvedInstruction } from '../../isa/format.js';
import type { Instruction } from '../../isa/instructions.js';
import { IO_DTYPES, type IoDescriptor, type Program } from '../../isa/program-file.js';
import { ISA } from '../../isa/table.js';
import { WORD_BITS } from '../../isa/word.js';

export function arbField(f: PlacedField): fc.Arbitrary<number | string> {
  switch (f.kind) {
    case 'u':
      return fc.bigInt({ min: 0n, max: (1n << BigInt(f.bits)) - 1n }).map(Number);
    case 's':
      return fc
        .bigInt({ min: -(1n << BigInt(f.bits - 1)), max: (1n << BigInt(f.bits - 1)) - 1n })
        .map(Number);
    case 'f32':
      return fc.float();
    case 'enum':
      return fc.constantFrom(...f.values!);
  }
}

export const arbInstructionOf = (spec: ResolvedInstruction): fc.Arbitrary<Instruction> =>
  fc
    .record(Object.fromEntries(spec.layout.map((f) => [f.name, arbField(f)])))
    .map((args) => ({ op: spec.mnemonic, ...args }) as unknown as Instruction);

export const arbInstruction: fc.Arbitrary<Instruction> = fc.oneof(...ISA.map(arbInstructionOf));

/** Any 256-bit word. */
export const arbWord = fc.bigInt({ min: 0n, max: (1n << BigInt(WORD_BITS)) - 1n });

const arbName = fc.string({ minLength: 1, maxLength: 20 });

const arbIo: fc.Arbitrary<IoDescriptor> = fc.record({
  name: arbName,
  shape: fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 6 }),
  dtype: fc.constantFrom(...IO_DTYPES),
  scale: fc.float({ noNaN: true }),
  zeroPoint: fc.integer({ min: -128, max: 255 }),
  dramAddr: fc.integer({ min: 0, max: 2 ** 34 }),
  layout: fc.constantFrom('NCHW', 'NHWC', 'NC', ''),
});

export const arbProgram = (words: fc.Arbitrary<bigint> = arbWord): fc.Arbitrary<Program> =>
  fc.array(words, { minLength: 1, maxLength: 12 }).chain((code) =>
    fc.record({
      hwName: arbName,
      hwFingerprint: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      code: fc.constant(code),
      dram: fc.array(
        fc.record({
          addr: fc.integer({ min: 0, max: 2 ** 34 }),
          data: fc.uint8Array({ maxLength: 64 }),
        }),
        { maxLength: 4 },
      ),
      inputs: fc.array(arbIo, { maxLength: 3 }),
      outputs: fc.array(arbIo, { maxLength: 3 }),
      debug: fc.array(
        fc.record({ pc: fc.integer({ min: 0, max: code.length - 1 }), node: arbName }),
        { maxLength: 6 },
      ),
    }),
  );
