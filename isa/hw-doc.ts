// Renders the parameter section of docs/hardware-model.md from HW_PARAMS and the presets.
import { HW_PARAMS, type ParamSpec } from './hw-params.js';
import { PRESETS } from './hw-presets.js';
import { DRAM_ADDR_BITS, SRAM_ADDR_BITS } from './word.js';

export const PARAMS_BEGIN = '<!-- BEGIN GENERATED: parameters (npx tsx scripts/gen-isa-doc.ts) -->';
export const PARAMS_END = '<!-- END GENERATED: parameters -->';

function constraint(p: ParamSpec): string {
  const parts: string[] = [];
  if (p.kind === 'enum') parts.push(p.values!.map((v) => `'${v}'`).join(' or '));
  else if (p.kind === 'string') parts.push('text');
  else parts.push(p.kind === 'int' ? 'integer' : 'number');
  if (p.min !== undefined && p.min === p.max) parts.push(`= ${p.min}`);
  else {
    if (p.min !== undefined) parts.push(`>= ${p.min}`);
    if (p.max !== undefined) parts.push(`<= ${p.max}`);
  }
  if (p.pow2 === true) parts.push('power of two');
  return parts.join(', ');
}

const valueAt = (o: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], o);

/** The generated block, markers included. */
export function renderHwParamsSection(): string {
  const names = Object.keys(PRESETS);
  const rows = HW_PARAMS.filter((p) => p.path !== 'name' && p.path !== 'description').map((p) => {
    const values = names.map((n) => String(valueAt(PRESETS[n], p.path)));
    const unit = p.unit !== undefined ? `, in ${p.unit}` : '';
    return `| \`${p.path}\` | ${p.doc} | ${constraint(p)}${unit} | ${values.join(' | ')} | ${p.source} |`;
  });
  return [
    PARAMS_BEGIN,
    '',
    `| parameter | meaning | constraint | ${names.join(' | ')} | source |`,
    `| --- | --- | --- | ${names.map(() => '---').join(' | ')} | --- |`,
    ...rows,
    '',
    `Cross-field constraints: \`slices x sram.bytesPerSlice\` fits the ${SRAM_ADDR_BITS}-bit SRAM address space, \`dram.sizeBytes\` fits`,
    `the ${DRAM_ADDR_BITS}-bit DRAM address space, and \`sram.bytesPerSlice\` is a multiple of \`banksPerSlice x accessBytes\`.`,
    'Unknown fields are rejected (a misspelt override would otherwise be ignored silently).',
    '',
    PARAMS_END,
  ].join('\n');
}

/** `doc` with its generated block replaced (or appended if it has none). */
export function withParamsSection(doc: string): string {
  const b = doc.indexOf(PARAMS_BEGIN);
  const e = doc.indexOf(PARAMS_END);
  if (b < 0 || e < b) return `${doc.replace(/\n*$/, '\n\n')}${renderHwParamsSection()}\n`;
  return doc.slice(0, b) + renderHwParamsSection() + doc.slice(e + PARAMS_END.length);
}
