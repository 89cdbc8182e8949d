// The ISA table is valid, and the validator rejects deliberately broken tables (decodetree's err_* idea).
import { describe, expect, test } from 'vitest';
import { ENGINES, validateTable, type FieldSpec, type InstructionSpec } from '../../isa/format.js';
import { INSTRUCTIONS } from '../../isa/instructions.js';
import { ISA } from '../../isa/table.js';
import { OPCODE_BITS, WORD_BITS } from '../../isa/word.js';

const field = (name: string, bits: number, extra: Partial<FieldSpec> = {}): FieldSpec => ({
  name,
  bits,
  kind: 'u',
  doc: `${name} doc`,
  ...extra,
});
const ins = (
  mnemonic: string,
  opcode: number,
  fields: FieldSpec[],
  extra: Partial<InstructionSpec> = {},
): InstructionSpec => ({
  mnemonic,
  opcode,
  engine: 'mac',
  doc: 'doc',
  semantics: 'x = y',
  fields,
  ...extra,
});

describe('the ISA table', () => {
  test('validates and covers what the compiler needs', () => {
    expect(() => validateTable(INSTRUCTIONS)).not.toThrow();
    const mnemonics = ISA.map((i) => i.mnemonic);
    for (const m of [
      'dma.load',
      'dma.store',
      'conv',
      'gemm',
      'vec.add',
      'vec.mul',
      'vec.pool',
      'vec.lut',
      'vec.move',
      'vec.clamp',
      'vec.softmax',
      'vec.layernorm',
      'vec.gelu',
      'sync',
      'halt',
    ]) {
      expect(mnemonics).toContain(m);
    }
  });

  test('opcode 0 is illegal, engines are known, every instruction has the sync masks', () => {
    for (const i of ISA) {
      expect(i.opcode).not.toBe(0);
      expect(ENGINES).toContain(i.engine);
      expect(i.layout.slice(0, 2).map((f) => f.name)).toEqual(['wait', 'signal']);
      expect(i.layout[0].lsb).toBe(OPCODE_BITS);
    }
  });

  test('fields are disjoint and inside the word', () => {
    for (const i of ISA) {
      const bits = new Array<string>(WORD_BITS).fill('');
      for (let b = 0; b < OPCODE_BITS; b++) bits[b] = 'opcode';
      for (const f of i.layout) {
        for (let b = f.lsb; b < f.lsb + f.bits; b++) {
          expect(b, `${i.mnemonic}.${f.name}`).toBeLessThan(WORD_BITS);
          expect(bits[b], `${i.mnemonic}.${f.name} bit ${b}`).toBe('');
          bits[b] = f.name;
        }
      }
    }
  });
});

describe('validateTable rejects broken tables', () => {
  const good = ins('good', 1, [field('a', 8)]);
  const cases: [string, InstructionSpec[], RegExp][] = [
    ['duplicate opcode', [good, ins('other', 1, [])], /opcode 1 is already used by 'good'/],
    ['duplicate mnemonic', [good, ins('good', 2, [])], /duplicate mnemonic/],
    ['opcode too wide', [ins('big', 2 ** OPCODE_BITS, [])], /does not fit 8 bits/],
    [
      'field past the word',
      [ins('wide', 3, [field('a', 40, { lsb: WORD_BITS - 8 })])],
      /do not fit the 256-bit word/,
    ],
    [
      'fields overflow the word',
      [
        ins(
          'many',
          3,
          Array.from({ length: 6 }, (_, k) => field(`f${k}`, 40)),
        ),
      ],
      /do not fit the 256-bit word/,
    ],
    [
      'overlapping fields',
      [ins('ovl', 3, [field('a', 8, { lsb: 100 }), field('b', 8, { lsb: 104 })])],
      /'b'.*overlap/,
    ],
    [
      'field over the opcode',
      [ins('ovo', 3, [field('a', 4, { lsb: 2 })])],
      /overlap another field or the opcode/,
    ],
    ['field over a sync mask', [ins('ovs', 3, [field('a', 4, { lsb: 20 })])], /overlap/],
    ['undocumented field', [ins('nodoc', 3, [field('a', 8, { doc: ' ' })])], /field 'a': no doc/],
    ['undocumented instruction', [ins('nodoc', 3, [], { doc: '' })], /'nodoc': no doc/],
    ['no semantics', [ins('nosem', 3, [], { semantics: '' })], /no semantics/],
    ['duplicate field', [ins('dup', 3, [field('a', 8), field('a', 8)])], /duplicate field name/],
    ['reserved field name', [ins('res', 3, [field('op', 8)])], /bad or reserved name/],
    ['zero-width field', [ins('zero', 3, [field('a', 0)])], /width 0/],
    [
      'too many enum values',
      [ins('en', 3, [field('a', 1, { kind: 'enum', values: ['x', 'y', 'z'] })])],
      /3 enum values do not fit 1 bits/,
    ],
    [
      'f32 of the wrong width',
      [ins('fl', 3, [field('a', 16, { kind: 'f32' })])],
      /f32 fields are 32 bits/,
    ],
    ['bad mnemonic', [ins('Bad Name', 3, [])], /mnemonic must be/],
  ];
  test.each(cases)('%s', (_, table, message) => {
    expect(() => validateTable(table)).toThrow(message);
  });

  test('a good table passes', () => {
    expect(() => validateTable([good])).not.toThrow();
  });
});
