import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', '**/*.generated.ts', '.vitest/**'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // numeric kernels index typed arrays heavily; template numbers are fine in messages
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // noUncheckedIndexedAccess is off (typed-array kernels), so index reads look never-undefined to this
      // rule and every honest `x[k] === undefined` check is flagged; the check is the point, keep it
      '@typescript-eslint/no-unnecessary-condition': 'off',
    },
  },
);
