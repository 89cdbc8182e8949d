// The shape of the ISA table (fields, instructions), its layout in the word, and its validation (run at load and in tests).
import { OPCODE_BITS, SYNC_MASK_BITS, WORD_BITS } from './word.js';

export type Engine = 'dma' | 'mac' | 'vector' | 'ctrl';
export const ENGINES: readonly Engine[] = ['dma', 'mac', 'vector', 'ctrl'];

/** u: unsigned integer; s: two's-complement integer; f32: IEEE float32 bits; enum: index into `values`. */
export type FieldKind = 'u' | 's' | 'f32' | 'enum';

export interface FieldSpec {
  readonly name: string;
  readonly bits: number;
  readonly kind: FieldKind;
  readonly values?: readonly string[];
  readonly doc: string;
  /** Explicit least significant bit; by default a field follows the previous one. */
  readonly lsb?: number;
}

export interface InstructionSpec {
  readonly mnemonic: string;
  readonly opcode: number;
  readonly engine: Engine;
  readonly doc: string;
  /** Semantics as pseudocode (docs/isa.md shows it; the simulator implements it). */
  readonly semantics: string;
  readonly fields: readonly FieldSpec[];
}

/** A field with its position in the word. */
export interface PlacedField extends FieldSpec {
  readonly lsb: number;
}

export interface ResolvedInstruction extends InstructionSpec {
  readonly layout: readonly PlacedField[];
}

/** Fields every instruction has after the opcode: the semaphore masks of the synchronization model. */
export const SYNC_FIELDS: readonly FieldSpec[] = [
  {
    name: 'wait',
    bits: SYNC_MASK_BITS,
    kind: 'u',
    doc: 'Semaphores to acquire before executing: for each set bit k, wait until sem[k] > 0, then sem[k] -= 1.',
  },
  {
    name: 'signal',
    bits: SYNC_MASK_BITS,
    kind: 'u',
    doc: 'Semaphores to release after completing: for each set bit k, sem[k] += 1.',
  },
];

/** Field names reserved by the Instruction object and the assembler syntax. */
const RESERVED_NAMES = new Set(['op', 'opcode']);
const NAME_RE = /^[a-z][A-Za-z0-9]*$/;
const MNEMONIC_RE = /^[a-z][a-z0-9]*(\.[a-z][a-z0-9]*)?$/;
const MAX_FIELD_BITS = 48; // decoded values are JS numbers: integers stay exact below 2^53

/** Places fields (sync header first, then the instruction's own) and returns the table with layouts. */
export function resolveTable(specs: readonly InstructionSpec[]): ResolvedInstruction[] {
  return specs.map((s) => {
    let next = OPCODE_BITS;
    const layout = [...SYNC_FIELDS, ...s.fields].map((f) => {
      const lsb = f.lsb ?? next;
      next = lsb + f.bits;
      return { ...f, lsb };
    });
    return { ...s, layout };
  });
}

/** Checks the table the way riscv-opcodes and decodetree check theirs; throws an Error listing every problem. */
export function validateTable(specs: readonly InstructionSpec[]): ResolvedInstruction[] {
  const problems: string[] = [];
  const table = resolveTable(specs);
  const opcodes = new Map<number, string>();
  const mnemonics = new Set<string>();
  for (const ins of table) {
    const m = ins.mnemonic;
    if (!MNEMONIC_RE.test(m))
      problems.push(`'${m}': mnemonic must be lowercase words joined by at most one dot`);
    if (mnemonics.has(m)) problems.push(`'${m}': duplicate mnemonic`);
    mnemonics.add(m);
    if (!Number.isInteger(ins.opcode) || ins.opcode < 0 || ins.opcode >= 2 ** OPCODE_BITS) {
      problems.push(`'${m}': opcode ${ins.opcode} does not fit ${OPCODE_BITS} bits`);
    }
    const other = opcodes.get(ins.opcode);
    if (other !== undefined)
      problems.push(`'${m}': opcode ${ins.opcode} is already used by '${other}'`);
    opcodes.set(ins.opcode, m);
    if (ins.doc.trim() === '') problems.push(`'${m}': no doc`);
    if (ins.semantics.trim() === '') problems.push(`'${m}': no semantics`);
    const names = new Set<string>();
    let used = (1n << BigInt(OPCODE_BITS)) - 1n;
    for (const f of ins.layout) {
      const where = `'${m}' field '${f.name}'`;
      if (!NAME_RE.test(f.name) || RESERVED_NAMES.has(f.name))
        problems.push(`${where}: bad or reserved name`);
      if (names.has(f.name)) problems.push(`${where}: duplicate field name`);
      names.add(f.name);
      if (f.doc.trim() === '') problems.push(`${where}: no doc`);
      if (!Number.isInteger(f.bits) || f.bits < 1 || f.bits > MAX_FIELD_BITS) {
        problems.push(`${where}: width ${f.bits} must be 1..${MAX_FIELD_BITS} bits`);
        continue;
      }
      if (f.kind === 'f32' && f.bits !== 32) problems.push(`${where}: f32 fields are 32 bits`);
      if (f.kind === 'enum') {
        const n = f.values?.length ?? 0;
        if (n < 1 || n > 2 ** f.bits)
          problems.push(`${where}: ${n} enum values do not fit ${f.bits} bits`);
        if (new Set(f.values).size !== n) problems.push(`${where}: duplicate enum values`);
      } else if (f.values !== undefined)
        problems.push(`${where}: values given for a non-enum field`);
      if (!Number.isInteger(f.lsb) || f.lsb < 0 || f.lsb + f.bits > WORD_BITS) {
        problems.push(
          `${where}: bits [${f.lsb}, ${f.lsb + f.bits}) do not fit the ${WORD_BITS}-bit word`,
        );
        continue;
      }
      const mask = ((1n << BigInt(f.bits)) - 1n) << BigInt(f.lsb);
      if ((used & mask) !== 0n)
        problems.push(
          `${where}: bits [${f.lsb}, ${f.lsb + f.bits}) overlap another field or the opcode`,
        );
      used |= mask;
    }
  }
  if (problems.length > 0) throw new Error(`invalid ISA table:\n  ${problems.join('\n  ')}`);
  return table;
}

/** Bits of the word not covered by the opcode or any field of `ins` (reserved: must be zero). */
export function reservedMask(ins: ResolvedInstruction): bigint {
  let used = (1n << BigInt(OPCODE_BITS)) - 1n;
  for (const f of ins.layout) used |= ((1n << BigInt(f.bits)) - 1n) << BigInt(f.lsb);
  return ((1n << BigInt(WORD_BITS)) - 1n) & ~used;
}
