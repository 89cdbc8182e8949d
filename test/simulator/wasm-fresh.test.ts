// The committed WebAssembly modules are the assembly of the committed .wat sources (run `npm run gen:wasm`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assembleWat, WASM_MODULES, wasmModuleSource } from '../../scripts/wasm-assemble.js';

const DIR = join(import.meta.dirname, '..', '..', 'simulator', 'wasm');

describe('generated WebAssembly modules', () => {
  for (const name of WASM_MODULES)
    it(`${name}.wasm.ts is up to date with ${name}.wat`, async () => {
      const bytes = await assembleWat(
        `${name}.wat`,
        readFileSync(join(DIR, `${name}.wat`), 'utf8'),
      );
      expect(readFileSync(join(DIR, `${name}.wasm.ts`), 'utf8')).toBe(
        wasmModuleSource(name, bytes),
      );
    });
});
