// Writes docs/isa.md from the ISA table and the parameter section of docs/hardware-model.md from the config table.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';
import { withParamsSection } from '../isa/hw-doc.js';
import { renderIsaDoc } from '../isa/isa-doc.js';

export const DOCS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
export const ISA_DOC = join(DOCS_DIR, 'isa.md');
export const HW_DOC = join(DOCS_DIR, 'hardware-model.md');

/** Markdown as the repository's prettier config formats it (so `npm run format:check` and the docs test agree). */
async function formatMarkdown(text: string, path: string): Promise<string> {
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, parser: 'markdown' });
}

/** The generated text of both documents, given the current hardware-model.md (its hand-written parts are kept). */
export async function generateDocs(currentHwDoc: string): Promise<{ isa: string; hw: string }> {
  return {
    isa: await formatMarkdown(renderIsaDoc(), ISA_DOC),
    hw: await formatMarkdown(withParamsSection(currentHwDoc), HW_DOC),
  };
}

const entry = process.argv.at(1);
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const docs = await generateDocs(
    existsSync(HW_DOC) ? readFileSync(HW_DOC, 'utf8') : '# Hardware model\n',
  );
  writeFileSync(ISA_DOC, docs.isa);
  writeFileSync(HW_DOC, docs.hw);
  console.log('wrote docs/isa.md and the parameter section of docs/hardware-model.md');
}
