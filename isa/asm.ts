// Disassembler and assembler derived from the ISA table: one line per instruction, `mnemonic field=value ...`.
import { fail, NpuError } from '../common/diagnostics.js';
import { decode, encode, fieldToRaw, type FieldValue } from './codec.js';
import type { PlacedField } from './format.js';
import type { Instruction } from './instructions.js';
import { BY_MNEMONIC } from './table.js';

/** Fields an assembly line may omit (the sync masks default to "no synchronization"). */
const OPTIONAL_FIELDS: ReadonlySet<string> = new Set(['wait', 'signal']);

function formatValue(f: PlacedField, v: FieldValue): string {
  if (f.kind === 'f32' && Object.is(v, -0)) return '-0';
  return String(v);
}

/** One line of assembly for an instruction or a word (every field, in table order). */
export function disassemble(x: Instruction | bigint): string {
  const i = typeof x === 'bigint' ? decode(x) : x;
  const spec = BY_MNEMONIC.get(i.op)!;
  const args = i as unknown as Readonly<Record<string, FieldValue>>;
  return [
    spec.mnemonic,
    ...spec.layout.map((f) => `${f.name}=${formatValue(f, args[f.name])}`),
  ].join(' ');
}

const INT_RE = /^[-+]?(0x[0-9a-f]+|0b[01]+|\d+)$/i;

/** A field value from text; text that is not a number is returned as is, so fieldToRaw rejects it with the range. */
function parseValue(f: PlacedField, text: string): FieldValue {
  if (f.kind === 'enum') return text;
  if (f.kind === 'f32') {
    const x = Number(text);
    return text.trim() === '' || (Number.isNaN(x) && text !== 'NaN') ? text : x;
  }
  if (!INT_RE.test(text)) return text;
  const n = Number(text.replace(/^[-+]/, ''));
  return text.startsWith('-') ? -n : n;
}

function assembleLine(line: string, lineNo: number): Instruction | undefined {
  const code = line.replace(/[#;].*$/, '').trim();
  if (code === '') return undefined;
  const [mnemonic, ...tokens] = code.split(/\s+/);
  const spec = BY_MNEMONIC.get(mnemonic);
  if (spec === undefined) return fail('asmSyntax', [lineNo, `unknown mnemonic '${mnemonic}'`]);
  const byName = new Map(spec.layout.map((f) => [f.name, f]));
  const out: Record<string, FieldValue> = { op: spec.mnemonic };
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq <= 0) fail('asmSyntax', [lineNo, `expected field=value, got '${t}'`]);
    const name = t.slice(0, eq);
    const f = byName.get(name);
    if (f === undefined)
      fail('asmSyntax', [
        lineNo,
        `'${spec.mnemonic}' has no field '${name}' (fields: ${[...byName.keys()].join(', ')})`,
      ]);
    if (name in out) fail('asmSyntax', [lineNo, `field '${name}' given twice`]);
    out[name] = parseValue(f, t.slice(eq + 1));
  }
  for (const f of spec.layout) {
    if (!(f.name in out)) {
      if (!OPTIONAL_FIELDS.has(f.name))
        fail('asmSyntax', [lineNo, `'${spec.mnemonic}' needs field '${f.name}'`]);
      out[f.name] = 0;
    }
    try {
      fieldToRaw(spec.mnemonic, f, out[f.name]);
    } catch (e) {
      if (e instanceof NpuError) fail('asmSyntax', [lineNo, e.message]);
      throw e;
    }
  }
  return out as unknown as Instruction;
}

/** Instructions of an assembly text; `#` and `;` start comments. Errors name the line (and file, if given). */
export function assemble(text: string, file?: string): Instruction[] {
  const out: Instruction[] = [];
  try {
    text.split(/\r?\n/).forEach((line, k) => {
      const i = assembleLine(line, k + 1);
      if (i !== undefined) out.push(i);
    });
  } catch (e) {
    if (e instanceof NpuError && file !== undefined) e.at({ file });
    throw e;
  }
  return out;
}

export const assembleWords = (text: string, file?: string): bigint[] =>
  assemble(text, file).map(encode);
