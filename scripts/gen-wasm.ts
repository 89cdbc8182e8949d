// `npm run gen:wasm`: assembles simulator/wasm/*.wat with wabt into base64 modules the simulator imports (a test
// checks that the committed modules are the assembly of the committed sources).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-write.js';
import { assembleWat, WASM_MODULES, wasmModuleSource } from './wasm-assemble.js';

const ROOT = join(import.meta.dirname, '..');

for (const name of WASM_MODULES) {
  const wat = readFileSync(join(ROOT, 'simulator', 'wasm', `${name}.wat`), 'utf8');
  const bytes = await assembleWat(`${name}.wat`, wat);
  const out = join(ROOT, 'simulator', 'wasm', `${name}.wasm.ts`);
  writeFileAtomic(out, wasmModuleSource(name, bytes));
  console.log(`${out}: ${bytes.length} bytes`);
}
