// docs/isa.md and the parameter section of docs/hardware-model.md are exactly what the tables generate.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { HW_PARAMS } from '../../isa/hw-params.js';
import { ISA } from '../../isa/table.js';
import { generateDocs, HW_DOC, ISA_DOC } from '../../scripts/gen-isa-doc.js';

const REGENERATE = 'stale: run `npx tsx scripts/gen-isa-doc.ts` and commit the result';

describe('generated docs are current', () => {
  const isa = readFileSync(ISA_DOC, 'utf8');
  const hw = readFileSync(HW_DOC, 'utf8');

  test('regenerating changes nothing', async () => {
    const docs = await generateDocs(hw);
    expect(docs.isa === isa, `docs/isa.md is ${REGENERATE}`).toBe(true);
    expect(docs.hw === hw, `docs/hardware-model.md is ${REGENERATE}`).toBe(true);
  });

  test('every mnemonic, field and parameter is documented', () => {
    for (const i of ISA) {
      expect(isa).toContain(`### \`${i.mnemonic}\``);
      for (const f of i.layout) expect(isa).toMatch(new RegExp(`\\| ${f.name} +\\|`));
    }
    for (const p of HW_PARAMS.filter((q) => q.path !== 'name' && q.path !== 'description')) {
      expect(hw).toContain(`\`${p.path}\``);
    }
  });
});
