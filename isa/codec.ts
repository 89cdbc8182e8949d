// Generic encoder and decoder derived from the ISA table: no per-instruction code.
import { fail } from '../common/diagnostics.js';
import {
  bitsToFloat32,
  bytesToWord,
  extractBits,
  float32ToBits,
  hex,
  insertBits,
  wordToBytes,
} from './bits.js';
import { reservedMask, type PlacedField, type ResolvedInstruction } from './format.js';
import type { Instruction } from './instructions.js';
import { BY_MNEMONIC, BY_OPCODE } from './table.js';
import { OPCODE_BITS, WORD_BYTES } from './word.js';

export type FieldValue = number | string;

/** The float32 quiet NaN f32 fields store for NaN. */
const CANONICAL_NAN = 0x7fc00000n;
type Args = Readonly<Record<string, FieldValue>>;

function rangeText(f: PlacedField): string {
  switch (f.kind) {
    case 'u':
      return `unsigned ${f.bits}-bit integer, 0..${2 ** f.bits - 1}`;
    case 's':
      return `signed ${f.bits}-bit integer, ${-(2 ** (f.bits - 1))}..${2 ** (f.bits - 1) - 1}`;
    case 'f32':
      return 'a float32 value';
    case 'enum':
      return `one of ${f.values!.join(', ')}`;
  }
}

/** The raw bits of one field value; throws isaFieldRange if it does not fit. */
export function fieldToRaw(mnemonic: string, f: PlacedField, v: FieldValue | undefined): bigint {
  const bad = (): never => fail('isaFieldRange', [mnemonic, f.name, String(v), rangeText(f)]);
  switch (f.kind) {
    case 'u':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= 2 ** f.bits)
        return bad();
      return BigInt(v);
    case 's':
      if (
        typeof v !== 'number' ||
        !Number.isSafeInteger(v) ||
        v < -(2 ** (f.bits - 1)) ||
        v >= 2 ** (f.bits - 1)
      )
        return bad();
      return BigInt.asUintN(f.bits, BigInt(v));
    case 'f32':
      // Only exact float32 values round-trip; NaN is stored as the canonical quiet NaN.
      if (typeof v !== 'number' || (!Number.isNaN(v) && Math.fround(v) !== v)) return bad();
      return Number.isNaN(v) ? CANONICAL_NAN : BigInt(float32ToBits(v));
    case 'enum': {
      const k = typeof v === 'string' ? f.values!.indexOf(v) : -1;
      if (k < 0) return bad();
      return BigInt(k);
    }
  }
}

/** The value of one field from its raw bits; throws isaBadEncoding for an enum index without a name. */
export function rawToField(mnemonic: string, f: PlacedField, raw: bigint): FieldValue {
  switch (f.kind) {
    case 'u':
      return Number(raw);
    case 's':
      return Number(BigInt.asIntN(f.bits, raw));
    case 'f32':
      // A JS number cannot carry a NaN payload, so only the canonical NaN decodes (keeps encode(decode(w)) = w).
      if (raw !== CANONICAL_NAN && Number.isNaN(bitsToFloat32(Number(raw)))) {
        return fail('isaBadEncoding', [
          mnemonic,
          `field '${f.name}' holds a NaN other than the canonical ${hex(CANONICAL_NAN, 8)}`,
        ]);
      }
      return bitsToFloat32(Number(raw));
    case 'enum': {
      const name = f.values!.at(Number(raw));
      if (name === undefined)
        return fail('isaBadEncoding', [mnemonic, `field '${f.name}' has no value ${raw}`]);
      return name;
    }
  }
}

function specOf(i: { readonly op: string }): ResolvedInstruction {
  const spec = BY_MNEMONIC.get(i.op);
  if (spec === undefined) return fail('isaBadEncoding', [i.op, 'unknown mnemonic']);
  return spec;
}

/** The 256-bit word of an instruction. */
export function encode(i: Instruction): bigint {
  const spec = specOf(i);
  const args = i as unknown as Args;
  let w = BigInt(spec.opcode);
  for (const f of spec.layout)
    w = insertBits(w, f.lsb, f.bits, fieldToRaw(spec.mnemonic, f, args[f.name]));
  return w;
}

/** The instruction of a 256-bit word; illegal opcodes, unnamed enum values and nonzero reserved bits are errors. */
export function decode(word: bigint): Instruction {
  const opcode = Number(extractBits(word, 0, OPCODE_BITS));
  const spec = BY_OPCODE.get(opcode);
  if (spec === undefined) return fail('isaIllegalOpcode', [hex(opcode, 2)]);
  if ((word & reservedMask(spec)) !== 0n)
    return fail('isaBadEncoding', [spec.mnemonic, 'reserved bits are not zero']);
  const out: Record<string, FieldValue> = { op: spec.mnemonic };
  for (const f of spec.layout)
    out[f.name] = rawToField(spec.mnemonic, f, extractBits(word, f.lsb, f.bits));
  return out as unknown as Instruction;
}

export const encodeBytes = (i: Instruction): Uint8Array => wordToBytes(encode(i), WORD_BYTES);
export const decodeBytes = (data: Uint8Array, offset = 0): Instruction =>
  decode(bytesToWord(data, offset, WORD_BYTES));
