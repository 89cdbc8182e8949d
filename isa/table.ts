// The validated, laid-out ISA table with lookups by opcode and mnemonic (validation runs when this module loads).
import { validateTable, type ResolvedInstruction } from './format.js';
import { INSTRUCTIONS, type Mnemonic } from './instructions.js';

export const ISA: readonly ResolvedInstruction[] = validateTable(INSTRUCTIONS);
export const BY_OPCODE: ReadonlyMap<number, ResolvedInstruction> = new Map(
  ISA.map((i) => [i.opcode, i]),
);
export const BY_MNEMONIC: ReadonlyMap<string, ResolvedInstruction> = new Map(
  ISA.map((i) => [i.mnemonic, i]),
);
export const MNEMONICS: readonly Mnemonic[] = INSTRUCTIONS.map((i) => i.mnemonic);
